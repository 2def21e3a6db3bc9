#pragma once
// The journeys funnel of a lot: of the beneficiaries whose first request
// falls in a period, how many reached each step of the CEP service (a level 1
// appointment, a level 2 appointment, an action plan, a closure), on every
// fact known (late ones included: it describes journeys, not a KPI at
// closing). The query API's lot page shows it.
//
// Pure; safe from any thread.

#include <cstdint>

#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"

namespace pilotage::domain {

struct JourneyFunnel {
  // Beneficiaries whose first request's day is in the period.
  int64_t requests = 0;
  // Of those, with at least one appointment of that level in their journey.
  int64_t level_1 = 0;
  int64_t level_2 = 0;
  // With an action plan (deliverable ACTION_PLAN).
  int64_t action_plan = 0;
  // With a closure.
  int64_t closure = 0;
};

// The funnel of `facts` for `period`. Journeys without a request, or whose
// first request has an unreadable day, are left out.
JourneyFunnel CountFunnel(const LotFacts& facts, const Period& period);

// Adds one beneficiary's stored journey (normalized) to `funnel`, as
// CountFunnel does: a reader can count a lot's funnel one journey at a time.
void AddToFunnel(const pilotage::store::v1::Journey& journey, const Period& period,
                 JourneyFunnel& funnel);

}  // namespace pilotage::domain
