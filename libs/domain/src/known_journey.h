#pragma once
// Internal to libs/domain: the successive journeys of a beneficiary as known
// before a closing instant (the rule is stated in cep.h), shared by the
// journey-based evaluation (cep.cc) and the KPI cells the fold keeps
// (kpi_cells.cc), so that both read one implementation of the rules.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/terms.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::domain::internal {

// The day of a stored fact ("YYYY-MM-DD"); 1970-01-01 when it does not parse
// (facts are stored by the fold from checked events: it always parses).
absl::CivilDay DayOf(const std::string& text);

// One journey of a beneficiary as known before a closing instant. The
// pointers point into the Journey given to SplitKnown.
struct KnownJourney {
  // The request that opened it (none when the first fact known is a closure).
  const pilotage::store::v1::RequestFact* request = nullptr;
  // Whether `request` is the first request ever known in the lot.
  bool first_ever = false;
  std::optional<absl::CivilDay> first_appointment;
  bool level2 = false;
  bool action_plan = false;
  // Its first closure, if closed.
  const pilotage::store::v1::ClosureFact* closure = nullptr;
  // First day of its span (the day of its request; none for the first).
  std::optional<absl::CivilDay> from;
};

// The successive journeys of one normalized stored Journey (every fact of a
// pseudonym), on the facts recorded before `before` (Unix seconds).
std::vector<KnownJourney> SplitKnown(const pilotage::store::v1::Journey& j, int64_t before);
// The same into `out` (cleared first), reusing its capacity.
void SplitKnown(const pilotage::store::v1::Journey& j, int64_t before,
                std::vector<KnownJourney>& out);

// Whether profile `p` matches one of the KPI's priority_publics predicates.
bool IsPriority(const pilotage::v1::KpiDefinition& kpi, const pilotage::v1::Profile& p);

// The instant a closing day starts in Paris (Unix seconds): facts recorded
// before it are known on that closing day.
int64_t ClosingInstant(absl::CivilDay closing_day);

// REPORTING_TIMELINESS for `period` as known on `closing_day`, from
// facts.reporting: what both readings observe.
KpiObservation ObserveReporting(const pilotage::v1::KpiDefinition& kpi, const LotFacts& facts,
                                const Period& period, absl::CivilDay closing_day);

// TERRITORIAL_COVERAGE: sets `o` to the départements of the lot's award
// (none without an award: `o` unchanged) and those of them in `covered`.
void ObserveCoverage(const LotFacts& facts, const std::set<std::string>& covered,
                     KpiObservation& o);

// EvaluateLot with the KPIs observed by `observe` (kpi, closing day): the
// journeys' Observe or the cells' ObserveCells. With `expected_closing`,
// kFailedPrecondition when the terms close the period on another day.
[[nodiscard]] absl::StatusOr<LotEvaluation> EvaluateLotWith(
    const LotFacts& facts, const TermsHistory& history, const Period& period,
    std::optional<absl::CivilDay> expected_closing,
    absl::FunctionRef<KpiObservation(const pilotage::v1::KpiDefinition&, absl::CivilDay)> observe);

}  // namespace pilotage::domain::internal
