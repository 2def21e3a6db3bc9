#include "pilotage/readmodel/reports.h"

#include <algorithm>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/statement.h"
#include "pilotage/domain/terms.h"
#include "pilotage/readmodel/kpis.h"

namespace pilotage::readmodel {
namespace {

namespace sv1 = ::pilotage::store::v1;

}  // namespace

absl::StatusOr<std::vector<domain::PenaltyProcedure>> PenaltyProcedures(
    const SteeringReadModel& steering, const domain::TermsHistory& history,
    std::vector<std::string>* incomplete) {
  std::vector<domain::PenaltyProcedure> out;
  for (const auto& record : steering.penalties) {
    const auto* terms = history.Find(record.proposed().terms_version());
    auto p = domain::ProcedureOf(record, terms);
    if (absl::IsNotFound(p.status())) {
      if (incomplete) {
        std::string id = record.observations().penalty_id();
        if (id.empty()) id = record.confirmed().penalty_id();
        if (id.empty()) id = record.waived().penalty_id();
        incomplete->push_back(id);
      }
      continue;
    }
    if (!p.ok()) return p.status();
    out.push_back(std::move(*p));
  }
  return out;
}

absl::StatusOr<PenaltyLedger> ReadLedger(const LotSteering& lot, absl::CivilDay on) {
  PenaltyLedger out;
  auto procedures = PenaltyProcedures(*lot.steering, *lot.history, &out.steps_without_proposal);
  if (!procedures.ok()) return procedures.status();
  out.procedures = std::move(*procedures);
  for (const auto& p : out.procedures) {
    const int64_t amount = p.proposal.amount_cents();
    out.proposed_cents += amount;
    if (p.state == domain::PenaltyState::kConfirmed) out.confirmed_cents += amount;
    if (p.state == domain::PenaltyState::kWaived) out.waived_cents += amount;
    if (!p.decided()) out.undecided_cents += amount;
  }
  for (const auto& p : domain::PastDeadlineUndecided(out.procedures, on)) {
    out.past_deadline_undecided.push_back(p.proposal.penalty_id());
  }
  return out;
}

std::string_view ActionStateName(ActionState state) {
  switch (state) {
    case ActionState::kOpen:
      return "OPEN";
    case ActionState::kOverdue:
      return "OVERDUE";
    case ActionState::kClosed:
      return "CLOSED";
    case ActionState::kClosedLate:
      return "CLOSED_LATE";
  }
  return "OPEN";
}

ActionsReport ReportActions(const SteeringReadModel& steering, absl::CivilDay on) {
  ActionsReport out;
  for (const sv1::ActionRecord& a : steering.actions) {
    if (a.opened_event_id().empty()) {
      out.closings_without_opening.push_back(a.closed().action_id());
      continue;
    }
    auto due = domain::ParseDay(a.opened().due_date());
    const bool closed = !a.closed_event_id().empty();
    auto closed_on =
        closed ? domain::ParseDay(a.closed().closed_on()) : absl::StatusOr<absl::CivilDay>(on);
    int64_t days_late = 0;
    if (due.ok() && closed_on.ok() && *closed_on > *due) days_late = *closed_on - *due;
    const ActionState state =
        closed ? (days_late > 0 ? ActionState::kClosedLate : ActionState::kClosed)
               : (days_late > 0 ? ActionState::kOverdue : ActionState::kOpen);
    out.actions.push_back({.record = a, .state = state, .days_late = days_late});
  }
  return out;
}

absl::StatusOr<StatementReport> ComputeStatementReport(const LotSteering& lot,
                                                       const domain::Period& period,
                                                       absl::CivilDay on) {
  if (!lot.lot->facts.award) {
    return absl::FailedPreconditionError(fmt::format(
        "lot '{}' has no award (LotAwarded): its statement needs its start date and budget",
        lot.lot_id));
  }
  StatementReport out;
  out.on = on;
  out.period = period;
  auto terms = lot.history->TermsFor(lot.lot_id, period);
  if (!terms.ok()) return terms.status();
  out.closing = period.ClosingDay((*terms)->delays().closing_grace_days());
  out.closed = on >= out.closing;
  domain::StatementInputs in;
  in.lot_id = lot.lot_id;
  in.period = period;
  in.terms = *terms;
  absl::StatusOr<domain::LotEvaluation> evaluation;
  if (lot.cells) {
    auto known = ReadKnownCells(*lot.cells, lot.lot_id, period, out.closing);
    if (!known.ok()) return known.status();
    in.appointments = domain::CountAppointmentsCells(*known, period);
    evaluation = domain::EvaluateLotCells(lot.lot->facts, *lot.history, period, *known);
  } else {
    in.appointments = domain::CountAppointments(lot.lot->facts, period, out.closing);
    evaluation = domain::EvaluateLot(lot.lot->facts, *lot.history, period);
  }
  if (!evaluation.ok()) return evaluation.status();
  in.kpis = evaluation->kpis;
  auto procedures = PenaltyProcedures(*lot.steering, *lot.history, nullptr);
  if (!procedures.ok()) return procedures.status();
  in.penalties = std::move(*procedures);
  in.award = *lot.lot->facts.award;
  for (const auto& s : lot.steering->statements) {
    in.issued.push_back(s.statement());
    if (s.statement().period() == period.ToString()) out.issued = s;
  }
  auto statement = domain::ComputeStatement(in);
  if (!statement.ok()) return statement.status();
  out.statement = std::move(*statement);
  return out;
}

QuarterCalendar QuartersOn(const std::vector<const LotReadModel*>& lots, absl::CivilDay today) {
  std::vector<LotActivity> spans;
  spans.reserve(lots.size());
  for (const LotReadModel* lot : lots) {
    spans.push_back({.lot = lot, .span = JourneyActivitySpan(lot->facts)});
  }
  return QuartersOfSpans(spans, today);
}

QuarterCalendar QuartersOfSpans(const std::vector<LotActivity>& lots, absl::CivilDay today) {
  QuarterCalendar out;
  std::optional<absl::CivilDay> first, last;
  for (const LotActivity& lot : lots) {
    if (!lot.span) continue;
    first = first ? std::min(*first, lot.span->first) : lot.span->first;
    last = last ? std::max(*last, lot.span->last) : lot.span->last;
  }
  if (!first) return out;
  const domain::Period current = domain::Period::QuarterOf(today);
  // Activity dated after today (a clock behind the operators') does not
  // offer quarters not started.
  domain::Period latest = std::min(domain::Period::QuarterOf(*last), current);
  domain::Period quarter = std::min(domain::Period::QuarterOf(*first), current);
  std::vector<domain::TermsHistory> histories;
  histories.reserve(lots.size());
  for (const LotActivity& lot : lots) histories.push_back(HistoryOf(lot.lot->terms, nullptr));
  for (;; quarter = quarter.Next()) {
    QuarterStanding standing{.quarter = quarter, .closing_day = quarter.LastDay()};
    for (size_t i = 0; i < lots.size(); ++i) {
      auto terms = histories[i].TermsFor(lots[i].lot->facts.lot_id, quarter);
      if (!terms.ok()) continue;
      standing.closing_day = std::max(standing.closing_day,
                                      quarter.ClosingDay((*terms)->delays().closing_grace_days()));
    }
    standing.closed = today >= standing.closing_day;
    if (standing.closed && quarter <= latest) out.landing = quarter;
    out.quarters.push_back(standing);
    if (quarter == current) break;
  }
  if (!out.landing) out.landing = latest;
  std::reverse(out.quarters.begin(), out.quarters.end());
  return out;
}

absl::Status AddPending(const LotSteering& lot, absl::CivilDay on, PendingReport* report) {
  auto procedures = PenaltyProcedures(*lot.steering, *lot.history, nullptr);
  if (!procedures.ok()) return procedures.status();
  for (auto& p : *procedures) {
    if (p.decided()) continue;
    PendingPenalty row{.lot_id = lot.lot_id, .decision_from = p.deadline + 1};
    if (p.observations_on) row.decision_from = std::min(row.decision_from, *p.observations_on);
    if (const auto* terms = lot.history->Find(p.proposal.terms_version())) {
      if (const auto* rule = domain::FindPenaltyRule(*terms, p.proposal.rule_id())) {
        row.rule_label = rule->label();
        row.kpi_id = rule->kpi_id();
        if (const auto* kpi = domain::FindKpi(*terms, rule->kpi_id())) row.kpi_label = kpi->label();
      }
    }
    row.procedure = std::move(p);
    report->penalties.push_back(std::move(row));
  }
  for (auto& a : ReportActions(*lot.steering, on).actions) {
    if (a.state != ActionState::kOpen && a.state != ActionState::kOverdue) continue;
    std::string label = lot.history->KpiLabel(a.record.opened().kpi_id());
    report->actions.push_back(
        {.lot_id = lot.lot_id, .action = std::move(a), .kpi_label = std::move(label)});
  }
  return absl::OkStatus();
}

}  // namespace pilotage::readmodel
