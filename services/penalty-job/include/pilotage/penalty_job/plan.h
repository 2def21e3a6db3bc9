#pragma once
// The penalty job's planning, pure: from what the projector's store holds for
// a lot (facts, terms versions, steering ledger) and a closed period, what the
// contract says must happen — the KPIs breached, the penalties proposed
// (domain::ProposePenalties) and the corrective actions the terms require —
// and which of those are not yet in the ledger, hence to be emitted.
//
// No I/O, no clock: `today` is given. Same snapshot, same plan, byte for byte.
//
// Choices (docs/decisions/0010-penalty-job.md, 0027-decisions-never-repriced.md):
//  - a period is refused while it is open for any lot evaluated: today before
//    its closing day (last day + the governing terms' closing_grace_days);
//  - a period priced already for a lot (the ledger holds a proposal of that
//    lot and period, under any terms version) is never priced again: the plan
//    holds the ledger's proposals and the ledger's actions of the period,
//    each by its own id, with the notification day and deadline recorded
//    then (domain::ProcedureOf); nothing of it is sent. So the first decision
//    stands and a rerun reports exactly what the ledger holds. A draft
//    (--what-if, options.draft) is still computed, to compare with it;
//  - the cap counts the amounts (after threshold and cap) of the lot's
//    proposals of every OTHER period of the same contract year, earlier or
//    later, that are not WAIVED (proposed, observed or confirmed): a waived
//    penalty is not applied, so it does not use the cap. Whatever the order
//    of runs, waivers and confirmations, the year's proposals not waived
//    never exceed the cap. The contract year is the one containing the
//    period's last day;
//  - a lot without any activity event in the period is evaluated all the
//    same (its KPIs with zero counts against their targets, its overdue
//    actions priced): silence is a finding, it must not pay;
//  - the operator is notified on the day the job runs (options.today): each
//    proposal carries notified_on = today and observation_deadline = today +
//    the terms' observation days (15 when 0), calendar days, however late
//    after the closing day the job runs;
//  - a proposal whose amount is 0 (threshold, cap exhausted) is reported but
//    not emitted: there is nothing for the operator to answer (a period
//    whose proposals were all 0 is not "priced" and is evaluated again);
//  - the corrective action required for a BREACHED KPI with
//    corrective_action_due_days > 0 has the id ActionId(lot, period, kpi) and
//    is due that many calendar days after the closing day; it is not opened
//    when another action for that KPI is open, or when its id is in the ledger.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/kpi.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/v1/contract.pb.h"
#include "pilotage/v1/event.pb.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::penalty_job {

// Everything the store holds for one lot, read from one view.
struct LotSnapshot {
  std::string lot_id;
  domain::LotFacts facts;
  // Every terms version stored for the lot.
  std::vector<pilotage::v1::ContractTerms> terms;
  readmodel::SteeringReadModel steering;
  // When set, the KPIs and fees are read from the lot's KPI cells (decision
  // 0034): cells(period, closing_day) returns them (readmodel::
  // ReadKnownCells), and facts.journeys is not read (leave it empty). Unset:
  // from facts.journeys.
  std::function<absl::StatusOr<domain::KnownCells>(const domain::Period&, absl::CivilDay)> cells;
};

// The period's appointment fees of a lot under `terms` (the statement's fee
// lines, as known at closing): from `cells` (the period's KPI cells read for
// the terms' closing day) when not null, else from facts.journeys.
using FeesFunction = std::function<absl::StatusOr<int64_t>(
    const domain::LotFacts& facts, const domain::KnownCells* cells,
    const pilotage::v1::ContractTerms& terms, const domain::Period& period)>;

// domain::PeriodFeesCentsCells or PeriodFeesCents, what the job uses.
FeesFunction StatementFees();

struct PlanOptions {
  domain::Period period = domain::Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  // The day the job runs (Europe/Paris): the period must be closed on it;
  // the operator is notified that day (the observation delay runs from it).
  absl::CivilDay today;
  // Draft terms evaluated instead of those in force (--what-if): they are
  // applied to the period whatever their effective_from. nullptr: in force.
  const pilotage::v1::ContractTerms* draft = nullptr;
  // Provenance: the store's folded position per partition (readmodel
  // Freshness.progress), copied into every proposal computed.
  std::vector<pilotage::v1::SourceOffset> input_offsets;
  // Unset, or failing (the error goes to the plan's problems): fees unknown;
  // the share-of-fees part of a rule is then left out and the proposal's
  // inputs say so.
  FeesFunction fees;
};

// A BREACHED KPI with what it was computed from.
struct Breach {
  domain::KpiResult result;
  // What the numerator and the sample count, in French.
  std::string numerator_counts;
  std::string sample_counts;
};

struct ProposalPlan {
  pilotage::v1::PenaltyProposed proposal;
  // The KPI it prices (empty for an overdue action of any KPI).
  std::string kpi_id;
  // Read from the ledger (the period was priced already), not computed.
  bool in_ledger = false;
};

struct ActionPlan {
  // The action the job opens (its deterministic id and due date).
  pilotage::v1::CorrectiveActionOpened action;
  // Another open action for the KPI, which makes this one unnecessary.
  std::string open_action_id;
  // The job's action id is in the ledger already.
  bool in_ledger = false;
};

struct LotPlan {
  std::string lot_id;
  // Non-empty when the lot was not evaluated, saying why (French).
  std::string skipped;
  std::string terms_version;
  absl::CivilDay closing_day;
  // The closing day of the next period of the same kind (for the metrics).
  absl::CivilDay next_closing_day;
  std::string contract_year;  // e.g. "CY1@2024-01-02"
  std::string contract_year_label;
  int64_t annual_amount_cents = 0;
  int32_t cap_share_of_annual_bp = 0;
  int64_t threshold_cents = 0;
  // The amounts of the lot's proposals not waived of the OTHER periods of
  // the contract year (earlier or later): what they use of the cap.
  int64_t cap_used_by_other_periods_cents = 0;
  std::optional<int64_t> fees_cents;
  // Activity events that occurred in the period, and of those recorded late.
  int64_t events_in_period = 0;
  int64_t late_events = 0;
  // No activity event at all in the period: evaluated all the same.
  bool silent = false;
  // The ledger holds proposals of this lot for this period: `proposals` and
  // `actions` are the ledger's (each by its own id), nothing is recomputed
  // and nothing is sent.
  bool already_priced = false;
  std::vector<Breach> breaches;
  std::vector<ProposalPlan> proposals;
  std::vector<ActionPlan> actions;
  // Stored data the planner had to leave out, e.g. an unreadable due date.
  std::vector<std::string> problems;

  int64_t total_cents() const;
};

// "ACT-" and 16 hex digits of a stable 64-bit FNV-1a hash of lot, period and
// KPI id: the corrective action the job opens for that breach.
std::string ActionId(std::string_view lot_id, std::string_view period, std::string_view kpi_id);

// The contract event id of a proposal ("penalty-proposed-PEN-…") and of an
// action the job opens ("action-opened-ACT-…"): a resend before the
// projector caught up is dropped by its dedup of event ids.
std::string ProposalEventId(std::string_view penalty_id);
std::string ActionEventId(std::string_view action_id);

// Whether `status` is the refusal of a period still open (PlanLot's
// kFailedPrecondition for that reason, not another precondition).
bool IsPeriodNotClosed(const absl::Status& status);

// Plans one lot. Errors:
//  - kFailedPrecondition (IsPeriodNotClosed) when the period is not closed
//    on options.today under the terms governing it, saying on which day it
//    closes;
//  - kInvalidArgument from ProposePenalties (inconsistent terms).
// A lot without terms for the period, without award, without a budget for
// the contract year, or without data is returned with `skipped` set.
[[nodiscard]] absl::StatusOr<LotPlan> PlanLot(const LotSnapshot& lot, const PlanOptions& options);

// The events to send for `plans`: each proposal with an amount > 0 not in
// the ledger (PenaltyProposed), each action to open not in the ledger and not
// made unnecessary (CorrectiveActionOpened); key = lot, operator
// "france-competences", occurred_at = recorded_at = Paris midnight of the
// lot's closing day (never the wall clock: with the ids, derived from lot,
// period, rule, terms version and action, the same plan gives the same bytes
// whatever day the job runs). Sorted by lot, then actions, then proposals by
// id. kFailedPrecondition when the Paris time zone cannot be loaded.
[[nodiscard]] absl::StatusOr<std::vector<pilotage::v1::Event>> EventsToEmit(
    const std::vector<LotPlan>& plans);

// A KPI figure for pilots: "82,5 %" for a share, "3 400" for a count
// (NEW_BENEFICIARIES, two decimals kept when not whole: "3 400,52").
std::string FormatKpiFigure(const domain::KpiResult& kpi, double figure);

// French text for what the KPI's numerator and sample count.
std::pair<std::string, std::string> CounterMeanings(const pilotage::v1::KpiDefinition& kpi);

}  // namespace pilotage::penalty_job
