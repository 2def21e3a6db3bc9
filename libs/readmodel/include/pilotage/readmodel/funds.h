#pragma once
// Fund usage of a lot's contract year as its appointments earned it (issue
// 18 point 2, decision 0038): what the operator has earned so far against
// the year's budget envelope, the year-end projection from that, and which
// quarters of the year have a payment statement issued. Unlike the
// statement's cumulative usage (statement.h), which adds only the statements
// already issued, this counts every priced appointment held in the year:
// a year whose statements are late still shows what it costs.
//
// For a lot L (with an award), a day D (the last day of the period shown)
// and today T (Europe/Paris):
//   contract year  the one of L (LotAwarded.start_date) containing D;
//   as_of          min(D, T): earned to date, never beyond today;
//   earned         sum over the appointments of L held from the year's first
//                  day to as_of, each appointment_id once (an appointment
//                  without id once per event), of its unit price
//                  (domain::UnitPriceFor) under the terms governing the
//                  calendar quarter of its day (TermsHistory::TermsFor), as
//                  known in the store, whenever recorded. Appointments no
//                  price matches (or no terms govern) count apart
//                  (`unpriced_appointments`) at 0;
//   projection     earned x days of the contract year / days elapsed (first
//                  day to as_of, both included), rounded down; equal to
//                  earned once the year is over;
//   envelope       LotAwarded.budget of the year's index (nullopt when none).
//
// With LotSteering::cells, the appointments are the year's kPriced KPI cells
// (every one recorded so far; decision 0034): each appointment id once per
// beneficiary, on the day of its first fact, which differs from the journey
// reading only for an id repeated under two pseudonyms or on two days.
//
// Pure given the read models (reports.h's LotSteering); safe from any thread.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/reports.h"
#include "pilotage/v1/contract.pb.h"

namespace pilotage::readmodel {

// A calendar quarter of the contract year, up to the one holding as_of.
struct QuarterEarned {
  domain::Period quarter = domain::Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  // Earned by the appointments of the quarter's days within the contract
  // year and not after as_of.
  int64_t earned_cents = 0;
  int64_t appointments = 0;
  // The statement issued for exactly this quarter, if any.
  std::optional<pilotage::v1::PaymentStatementIssued> issued;
};

struct FundUsage {
  domain::Period contract_year = domain::Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  int contract_year_index = 0;
  std::optional<int64_t> envelope_cents;
  absl::CivilDay as_of;
  int elapsed_days = 0;
  int year_days = 0;
  int64_t earned_cents = 0;
  int64_t appointments = 0;
  int64_t unpriced_appointments = 0;
  int64_t projected_cents = 0;
  // Oldest first.
  std::vector<QuarterEarned> quarters;
  // Every statement issued for a period ending in the contract year, by
  // period, and the sum of their net amounts.
  std::vector<pilotage::v1::PaymentStatementIssued> issued;
  int64_t issued_net_cents = 0;
};

// The fund usage described above. kFailedPrecondition when the lot has no
// award or its start_date does not parse; kInvalidArgument when `day` is
// before the lot starts or `today` before its contract year; kOutOfRange on
// an overflow.
[[nodiscard]] absl::StatusOr<FundUsage> ComputeFundUsage(const LotSteering& lot, absl::CivilDay day,
                                                         absl::CivilDay today);

}  // namespace pilotage::readmodel
