#pragma once
// Proposing penalties for a lot and a closed period from the terms in force,
// the period's KPI results, the lot's corrective actions and the penalties
// already proposed in the contract year (issue #5). Pure: no I/O, no clock.
//
// Money is integer cents, never floating point. Rounding, always down (in
// the operator's favour, so that a proposal never exceeds what the terms
// allow):
//  - whole points below target: floor(100 x (target - value)) for AT_LEAST
//    (value - target for AT_MOST), with a 1e-9 tolerance so that 0.80 - 0.70
//    gives 10 points; for a count (NEW_BENEFICIARIES) the points are the
//    percentage of the (pro-rated) target missed;
//  - share of fees: fees x bp / 10000, integer division;
//  - CCAG-FCS late penalty P = V x R / 1000, integer division;
//  - cap: annual amount x cap_bp / 10000, integer division.
//
// Which proposals:
//  - KPI_SHORTFALL and LATE_REPORTING price their KPI only when it is
//    BREACHED (never AT_RISK, MET, NOT_ENOUGH_DATA or INFORMATIONAL);
//    amount_per_point_cents x whole points + share_of_fees_bp of the
//    period's fees (that part only when the fees are known);
//  - CORRECTIVE_ACTION_OVERDUE: for each action (of the rule's kpi_id when
//    set), R = the calendar days late that fall in the period's closing
//    window (previous closing day, closing day]: late days run from the day
//    after the due date to the closing day while the action is open, to its
//    closing day once closed. Consecutive periods' windows tile the
//    calendar, so a day late is priced once; for an action due inside the
//    window and still open, R = closing day - due date.
//  - A proposal whose computed amount is 0 is not returned.
// Then the limits of the terms in force for the period:
//  - threshold: when the period's computed total is <= threshold_cents,
//    every proposal's amount is 0 (returned, with limit_applied saying so);
//  - cap: the contract-year total (earlier proposals included) is at most
//    cap_share_of_annual_bp of the annual amount; the room left is given to
//    the proposals in order (rules in the terms' order, actions by id).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/kpi.h"
#include "pilotage/domain/period.h"
#include "pilotage/v1/contract.pb.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::domain {

// A corrective action of the lot, as folded from CorrectiveActionOpened and
// CorrectiveActionClosed.
struct CorrectiveActionState {
  std::string action_id;
  std::string kpi_id;
  absl::CivilDay due;
  std::optional<absl::CivilDay> closed_on;
};

struct PenaltyContext {
  std::string lot_id;
  Period period;
  // The version governing the lot for the period (TermsHistory::TermsFor).
  const pilotage::v1::ContractTerms* terms = nullptr;
  // The period's KPI results (EvaluateLot).
  std::vector<KpiResult> kpis;
  std::vector<CorrectiveActionState> actions;
  // The budget envelope of the period's contract year (LotAwarded.budget).
  int64_t annual_amount_cents = 0;
  // The period's appointment fees; nullopt when not known (the share of
  // fees part of a rule is then left out, and the inputs say so).
  std::optional<int64_t> period_fees_cents;
  // What the lot's proposals of the OTHER periods of the contract year,
  // earlier or later, use of the cap (penalty_cap.h: CapUsedByOtherPeriods);
  // proposals of this period are recomputed, not added.
  int64_t cap_used_by_other_periods_cents = 0;
  // The day the operator is notified of the proposals (the penalty job's
  // --today or run day, on or after the closing day). Each proposal carries
  // it as notified_on, and observation_deadline = notified_on +
  // ObservationDays(terms) (procedure.h: 15 calendar days when the terms say
  // 0), so a late run still gives the operator the full delay.
  absl::CivilDay notified_on;
};

// "PEN-" and 16 hex digits of a stable 64-bit FNV-1a hash of lot, period,
// rule id, terms version and action id (empty except for overdue actions).
std::string PenaltyId(std::string_view lot_id, std::string_view period, std::string_view rule_id,
                      std::string_view terms_version, std::string_view action_id = "");

// The proposals for the context, as described above. kInvalidArgument when
// terms is null, a rule prices a KPI absent from kpis, or an amount is
// negative; kOutOfRange when an amount overflows int64.
[[nodiscard]] absl::StatusOr<std::vector<pilotage::v1::PenaltyProposed>> ProposePenalties(
    const PenaltyContext& context);

}  // namespace pilotage::domain
