// The penalty job's planning, on lots built in memory. Every expected amount
// is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/penalty.h"
#include "pilotage/domain/terms.h"
#include "pilotage/penalty_job/job.h"
#include "pilotage/penalty_job/plan.h"
#include "pilotage/penalty_job/report.h"
#include "pilotage/penalty_job/textfile.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/status.h"

namespace pilotage::penalty_job {
namespace {

namespace v1 = ::pilotage::v1;
namespace sv1 = ::pilotage::store::v1;

absl::CivilDay D(std::string_view text) { return *domain::ParseDay(text); }
domain::Period P(std::string_view text) { return *domain::Period::Parse(text); }

// testing::FirstAppointmentTerms: one KPI (first appointment within 10
// working days, target 80 %, at least 4 measured), priced `per_point_cents`
// (1 000 EUR by default) per whole point below target; a corrective action
// due 30 days after closing; CCAG-FCS threshold (1 000 EUR) and cap (10 % of
// the annual amount); closing 15 days after the period's end.
v1::ContractTerms Terms(int64_t per_point_cents = 100000, std::string version = "2024.1") {
  v1::ContractTerms terms = testing::FirstAppointmentTerms(per_point_cents);
  terms.set_version(version);
  EXPECT_OK(domain::ValidateTerms(terms));
  return terms;
}

v1::Event Activity(const std::string& id, const std::string& who, std::string_view day) {
  v1::Event e;
  e.set_event_id(id);
  e.set_lot_id("LOT-11");
  e.set_operator_id("op");
  // 12:00 UTC is the same day in Paris.
  const int64_t s = absl::ToUnixSeconds(absl::FromCivil(D(day), absl::UTCTimeZone())) + 12 * 3600;
  e.mutable_occurred_at()->set_seconds(s);
  e.mutable_recorded_at()->set_seconds(s);
  return e;
}

// LOT-11, Q2 2024: 10 new beneficiaries, requests on Tuesday 2 April; 5 seen
// on 3 April (1 working day), 5 on 30 May (far beyond 10 working days).
// First appointment KPI: 5 / 10 = 50 %, 30 points below 80 %.
// 20 activity events, all recorded the day they occurred.
LotSnapshot Lot(int64_t annual_cents = 100000000) {
  LotSnapshot lot;
  lot.lot_id = "LOT-11";
  lot.facts.lot_id = "LOT-11";
  for (int i = 0; i < 10; ++i) {
    const std::string who = "b" + std::to_string(i);
    sv1::Journey j;
    v1::Event request = Activity("req-" + who, who, "2024-04-02");
    request.mutable_request_received()->set_beneficiary(who);
    EXPECT_OK(domain::AddToJourney(request, j));
    v1::Event seen = Activity("app-" + who, who, i < 5 ? "2024-04-03" : "2024-05-30");
    auto* a = seen.mutable_appointment_held();
    a->set_beneficiary(who);
    a->set_appointment_id("a-" + who);
    a->set_level(v1::Level::LEVEL_1_WELCOME);
    a->set_modality(v1::Modality::IN_PERSON);
    EXPECT_OK(domain::AddToJourney(seen, j));
    lot.facts.journeys.push_back(j);
  }
  lot.facts.reporting = {{.day = D("2024-04-02"), .delay_days = 0, .count = 10},
                         {.day = D("2024-04-03"), .delay_days = 0, .count = 5},
                         {.day = D("2024-05-30"), .delay_days = 0, .count = 5}};
  v1::LotAwarded award;
  award.set_start_date("2024-01-02");
  auto* b = award.add_budget();
  b->set_contract_year(1);
  b->set_amount_cents(annual_cents);
  lot.facts.award = award;
  lot.terms = {Terms()};
  return lot;
}

// EventsToEmit, which fails only without a time zone database.
std::vector<v1::Event> Emit(const std::vector<LotPlan>& plans) {
  auto events = EventsToEmit(plans);
  EXPECT_OK(events);
  return events.ok() ? *events : std::vector<v1::Event>{};
}

PlanOptions Options(std::string_view period = "2024-Q2", std::string_view today = "2024-07-15") {
  return {.period = P(period), .today = D(today)};
}

sv1::PenaltyRecord Ledger(const std::string& id, const std::string& period, int64_t cents,
                          const std::string& rule = "first_appointment_shortfall",
                          const std::string& version = "2024.1") {
  sv1::PenaltyRecord r;
  auto* p = r.mutable_proposed();
  p->set_penalty_id(id);
  p->set_period(period);
  p->set_rule_id(rule);
  p->set_terms_version(version);
  p->set_amount_cents(cents);
  return r;
}

// Adds a CORRECTIVE_ACTION_OVERDUE rule "action_overdue" (any KPI), P = V x
// R / 1000 with V = `late_base_value_cents`.
void AddOverdueRule(v1::ContractTerms& terms, int64_t late_base_value_cents) {
  auto* rule = terms.add_penalty_rules();
  rule->set_id("action_overdue");
  rule->set_trigger(v1::PenaltyTrigger::CORRECTIVE_ACTION_OVERDUE);
  rule->set_late_base_value_cents(late_base_value_cents);
  EXPECT_OK(domain::ValidateTerms(terms));
}

// An action of the first-appointment KPI in the ledger; closed on `closed`
// unless empty.
sv1::ActionRecord LedgerAction(const std::string& id, const std::string& period,
                               const std::string& due, const std::string& closed = "") {
  sv1::ActionRecord r;
  r.mutable_opened()->set_action_id(id);
  r.mutable_opened()->set_kpi_id("first_appointment_delay");
  r.mutable_opened()->set_period(period);
  r.mutable_opened()->set_due_date(due);
  if (!closed.empty()) {
    r.mutable_closed()->set_action_id(id);
    r.mutable_closed()->set_closed_on(closed);
  }
  return r;
}

TEST(PenaltyJobPlan, RefusesAPeriodNotClosedYetWithItsClosingDay) {
  // Q2 2024 ends on 30 June; 15 days of grace: it closes on 15 July.
  auto plan = PlanLot(Lot(), Options("2024-Q2", "2024-07-14"));
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(IsPeriodNotClosed(plan.status())) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("closes on 2024-07-15"), std::string::npos)
      << plan.status().ToString();
  EXPECT_FALSE(IsPeriodNotClosed(absl::FailedPreconditionError("other")));
  EXPECT_OK(PlanLot(Lot(), Options("2024-Q2", "2024-07-15")));
}

TEST(PenaltyJobPlan, PricesTheShortfallAndRequiresTheCorrectiveAction) {
  auto plan = PlanLot(Lot(), Options());
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->skipped.empty()) << plan->skipped;
  EXPECT_EQ(plan->closing_day, D("2024-07-15"));
  EXPECT_EQ(plan->contract_year, "CY1@2024-01-02");
  EXPECT_EQ(plan->events_in_period, 20);
  ASSERT_EQ(plan->breaches.size(), 1u);
  EXPECT_EQ(plan->breaches[0].result.numerator, 5);
  EXPECT_EQ(plan->breaches[0].result.sample, 10);
  ASSERT_EQ(plan->proposals.size(), 1u);
  const auto& p = plan->proposals[0].proposal;
  // 30 points x 1 000 EUR = 30 000 EUR; above the 1 000 EUR threshold; the
  // cap is 10 % of 1 000 000 EUR = 100 000 EUR, nothing earlier: not reached.
  EXPECT_EQ(p.computed_cents(), 3000000);
  EXPECT_EQ(p.amount_cents(), 3000000);
  EXPECT_EQ(p.limit_applied(), "");
  EXPECT_EQ(p.penalty_id(),
            domain::PenaltyId("LOT-11", "2024-Q2", "first_appointment_shortfall", "2024.1"));
  // Observations: closing 15 July + 15 days.
  EXPECT_EQ(p.observation_deadline(), "2024-07-30");
  EXPECT_EQ(plan->proposals[0].kpi_id, "first_appointment_delay");
  ASSERT_EQ(plan->actions.size(), 1u);
  const auto& a = plan->actions[0].action;
  EXPECT_EQ(a.action_id(), ActionId("LOT-11", "2024-Q2", "first_appointment_delay"));
  // Due 30 days after the closing day: 15 July + 30 = 14 August.
  EXPECT_EQ(a.due_date(), "2024-08-14");
  EXPECT_EQ(a.kpi_id(), "first_appointment_delay");
  EXPECT_EQ(a.period(), "2024-Q2");

  const auto events = Emit({*plan});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event_id(), "action-opened-" + a.action_id());
  EXPECT_EQ(events[0].lot_id(), "LOT-11");
  EXPECT_EQ(events[1].event_id(), "penalty-proposed-" + p.penalty_id());
  EXPECT_EQ(events[1].penalty_proposed().amount_cents(), 3000000);
}

TEST(PenaltyJobPlan, IdsAreStableAndASecondRunAfterFoldingEmitsNothingWithTheSameReport) {
  auto first = PlanLot(Lot(), Options());
  ASSERT_OK(first);
  auto again = PlanLot(Lot(), Options());
  ASSERT_OK(again);
  const auto sent = Emit({*first});
  const auto resent = Emit({*again});
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_EQ(resent.size(), 2u);
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i].event_id(), resent[i].event_id());

  // The projector folded what the first run sent.
  LotSnapshot folded = Lot();
  sv1::ActionRecord action;
  *action.mutable_opened() = sent[0].corrective_action_opened();
  folded.steering.actions.push_back(action);
  sv1::PenaltyRecord penalty;
  *penalty.mutable_proposed() = sent[1].penalty_proposed();
  folded.steering.penalties.push_back(penalty);
  auto second = PlanLot(folded, Options());
  ASSERT_OK(second);
  EXPECT_TRUE(Emit({*second}).empty());
  // The period is priced: the rerun reports the ledger's proposal and action,
  // which are what the first run computed.
  EXPECT_TRUE(second->already_priced);
  ASSERT_EQ(second->proposals.size(), 1u);
  EXPECT_TRUE(second->proposals[0].in_ledger);
  EXPECT_EQ(second->proposals[0].proposal.SerializeAsString(),
            first->proposals[0].proposal.SerializeAsString());
  ASSERT_EQ(second->actions.size(), 1u);
  EXPECT_TRUE(second->actions[0].in_ledger);
  EXPECT_EQ(second->actions[0].action.SerializeAsString(),
            first->actions[0].action.SerializeAsString());
  const auto r1 = ReportJson(P("2024-Q2"), "run", {*first});
  const auto r2 = ReportJson(P("2024-Q2"), "run", {*second});
  EXPECT_EQ(r1["totals"].dump(), r2["totals"].dump());
  EXPECT_NE(RenderReport(r2).find("Période déjà tarifée"), std::string::npos) << RenderReport(r2);
}

TEST(PenaltyJobPlan, TheSameNotificationDayGivesByteIdenticalEventsStampedWithTheClosingDay) {
  // Two runs with --today 2024-07-20, whenever they happen: same bytes. Both
  // events occur (and are recorded) at Paris midnight of the closing day,
  // 15 July 2024 00:00 CEST = 14 July 22:00 UTC = 1720994400 (worked out:
  // 2024-07-14T22:00:00Z), never at the wall clock.
  auto first = PlanLot(Lot(), Options("2024-Q2", "2024-07-20"));
  auto second = PlanLot(Lot(), Options("2024-Q2", "2024-07-20"));
  ASSERT_TRUE(first.ok() && second.ok());
  const auto a = Emit({*first});
  const auto b = Emit({*second});
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].SerializeAsString(), b[i].SerializeAsString()) << a[i].DebugString();
    EXPECT_EQ(a[i].occurred_at().seconds(), 1720994400);
    EXPECT_EQ(a[i].recorded_at().seconds(), 1720994400);
  }
  // Another notification day changes notified_on and the deadline, never the
  // ids nor occurred_at: the fold's dedup (same lot, id and week) drops a
  // resend.
  auto later = PlanLot(Lot(), Options("2024-Q2", "2024-09-02"));
  ASSERT_OK(later);
  const auto c = Emit({*later});
  ASSERT_EQ(c.size(), 2u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].event_id(), c[i].event_id());
    EXPECT_EQ(a[i].occurred_at().seconds(), c[i].occurred_at().seconds());
  }
}

TEST(PenaltyJobPlan, ALateRunGivesTheOperatorTheFullDelayFromItsDay) {
  // Run on Tuesday 20 August 2024, 36 days after the closing day (15 July):
  // notified that day, observations until 20 August + 15 = 4 September.
  auto late = PlanLot(Lot(), Options("2024-Q2", "2024-08-20"));
  ASSERT_OK(late);
  ASSERT_EQ(late->proposals.size(), 1u);
  EXPECT_EQ(late->proposals[0].proposal.notified_on(), "2024-08-20");
  EXPECT_EQ(late->proposals[0].proposal.observation_deadline(), "2024-09-04");
  // The action's due date still runs from the closing day: 15 July + 30.
  ASSERT_EQ(late->actions.size(), 1u);
  EXPECT_EQ(late->actions[0].action.due_date(), "2024-08-14");
  const auto sent = Emit({*late});
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].penalty_proposed().notified_on(), "2024-08-20");

  // Folded, then run again on 10 September: the report keeps the day the
  // operator was notified and the deadline given then; nothing to send.
  LotSnapshot folded = Lot();
  sv1::ActionRecord action;
  *action.mutable_opened() = sent[0].corrective_action_opened();
  folded.steering.actions.push_back(action);
  sv1::PenaltyRecord penalty;
  *penalty.mutable_proposed() = sent[1].penalty_proposed();
  penalty.set_proposed_at(sent[1].occurred_at().seconds());
  penalty.set_proposed_event_id(sent[1].event_id());
  folded.steering.penalties.push_back(penalty);
  auto later = PlanLot(folded, Options("2024-Q2", "2024-09-10"));
  ASSERT_OK(later);
  EXPECT_TRUE(later->problems.empty());
  EXPECT_TRUE(later->proposals[0].in_ledger);
  EXPECT_EQ(later->proposals[0].proposal.notified_on(), "2024-08-20");
  EXPECT_EQ(later->proposals[0].proposal.observation_deadline(), "2024-09-04");
  EXPECT_TRUE(Emit({*later}).empty());
}

TEST(PenaltyJobPlan, ASilentPeriodIsEvaluatedAndItsOverdueActionsArePriced) {
  // Q3 2024 (1 July - 30 September, closing 15 October): no activity at all.
  // The first-appointment KPI has no sample (fewer than the 4 required):
  // not breached. ACT-q2, due 14 August, still open: late from 15 August to
  // the closing day 15 October, R = 15 October - 14 August = 62 days, all in
  // Q3's window (15 July, 15 October]; V = 50 000 EUR: 50 000 x 62 / 1000 =
  // 3 100 EUR, above the 1 000 EUR threshold.
  LotSnapshot lot = Lot();
  AddOverdueRule(lot.terms[0], 5000000);
  lot.steering.actions.push_back(LedgerAction("ACT-q2", "2024-Q2", "2024-08-14"));
  auto plan = PlanLot(lot, Options("2024-Q3", "2024-10-15"));
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->skipped.empty()) << plan->skipped;
  EXPECT_TRUE(plan->silent);
  EXPECT_EQ(plan->events_in_period, 0);
  EXPECT_TRUE(plan->breaches.empty());
  ASSERT_EQ(plan->proposals.size(), 1u);
  EXPECT_EQ(plan->proposals[0].proposal.action_id(), "ACT-q2");
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 310000);
  const auto events = Emit({*plan});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].has_penalty_proposed());
  const auto report = ReportJson(P("2024-Q3"), "run", {*plan});
  EXPECT_EQ(report["totals"]["lots_skipped"], 0);
  EXPECT_EQ(report["totals"]["amount_cents"], 310000);
  EXPECT_NE(RenderReport(report).find("Aucune activité déclarée pour la période"),
            std::string::npos);
}

TEST(PenaltyJobPlan, ALotWithoutTermsOrAwardIsSkippedWithTheReason) {
  LotSnapshot no_terms = Lot();
  no_terms.terms.clear();
  auto plan = PlanLot(no_terms, Options());
  ASSERT_OK(plan);
  EXPECT_NE(plan->skipped.find("aucune condition"), std::string::npos) << plan->skipped;
  LotSnapshot no_award = Lot();
  no_award.facts.award.reset();
  plan = PlanLot(no_award, Options());
  ASSERT_OK(plan);
  EXPECT_NE(plan->skipped.find("LotAwarded"), std::string::npos) << plan->skipped;
}

TEST(PenaltyJobPlan, TheCapCountsTheOtherPeriodsNonWaivedProposalsOfTheContractYear) {
  // Cap: 10 % of 1 000 000 EUR = 100 000 EUR. Other periods of CY1: Q1
  // confirmed 50 000 EUR + January (a month) observed 30 000 EUR + Q3
  // (later, priced first) proposed 10 000 EUR = 90 000 EUR counted; a waived
  // Q1 proposal of 40 000 EUR is not applied, so not counted; Q1 2025 is in
  // contract year 2 (from 2025-01-02 on). Room: 10 000 EUR, so Q2's
  // 30 000 EUR becomes 10 000 EUR.
  LotSnapshot lot = Lot();
  auto confirmed = Ledger("PEN-q1", "2024-Q1", 5000000);
  confirmed.mutable_confirmed()->set_penalty_id("PEN-q1");
  auto waived = Ledger("PEN-q1-waived", "2024-Q1", 4000000, "other_rule");
  waived.mutable_waived()->set_penalty_id("PEN-q1-waived");
  auto observed = Ledger("PEN-jan", "2024-01", 3000000, "other_rule");
  observed.mutable_observations()->set_penalty_id("PEN-jan");
  lot.steering.penalties = {confirmed, waived, observed,
                            Ledger("PEN-q3", "2024-Q3", 1000000, "other_rule"),
                            Ledger("PEN-2025", "2025-Q1", 7000000, "other_rule")};
  auto plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->already_priced);
  EXPECT_EQ(plan->cap_used_by_other_periods_cents, 9000000);
  ASSERT_EQ(plan->proposals.size(), 1u);
  EXPECT_EQ(plan->proposals[0].proposal.computed_cents(), 3000000);
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 1000000);
  EXPECT_NE(plan->proposals[0].proposal.limit_applied().find("plafond"), std::string::npos);
}

TEST(PenaltyJobPlan, APricedPeriodReportsTheLedgerEachByItsIdAndSendsNothing) {
  // The ledger holds Q2's proposal at 4 900 EUR (cut by the cap when it was
  // priced), and Q2's own action; a later action for the same KPI was opened
  // since. Recomputed, Q2 would give 30 000 EUR: the rerun reports 4 900 EUR,
  // its own action as in the ledger (not "not opened: another is open"), and
  // sends nothing.
  LotSnapshot lot = Lot();
  auto q2 = Ledger(domain::PenaltyId("LOT-11", "2024-Q2", "first_appointment_shortfall", "2024.1"),
                   "2024-Q2", 490000);
  q2.mutable_proposed()->set_notified_on("2024-07-16");
  lot.steering.penalties = {q2};
  const std::string own = ActionId("LOT-11", "2024-Q2", "first_appointment_delay");
  lot.steering.actions = {LedgerAction("ACT-0-later", "2024-Q3", "2024-12-01"),
                          LedgerAction(own, "2024-Q2", "2024-12-01")};
  auto plan = PlanLot(lot, Options("2024-Q2", "2024-10-20"));
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->already_priced);
  ASSERT_EQ(plan->proposals.size(), 1u);
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 490000);
  EXPECT_TRUE(plan->proposals[0].in_ledger);
  // Notified on 16 July (the ledger's), not on the rerun's day: until 31 July.
  EXPECT_EQ(plan->proposals[0].proposal.notified_on(), "2024-07-16");
  EXPECT_EQ(plan->proposals[0].proposal.observation_deadline(), "2024-07-31");
  ASSERT_EQ(plan->actions.size(), 1u);
  EXPECT_EQ(plan->actions[0].action.action_id(), own);
  EXPECT_TRUE(plan->actions[0].in_ledger);
  EXPECT_TRUE(plan->actions[0].open_action_id.empty());
  EXPECT_TRUE(Emit({*plan}).empty());
  const std::string text = RenderReport(ReportJson(P("2024-Q2"), "run", {*plan}));
  EXPECT_NE(text.find("Proposé : 4\u202f900,00\u00a0€"), std::string::npos) << text;
  EXPECT_EQ(text.find("non ouverte"), std::string::npos) << text;
}

TEST(PenaltyJobPlan, TheShareOfFeesComesFromTheStatementFees) {
  // 10 first-level appointments in person at 80 EUR: 800 EUR of fees. The
  // rule adds 10 % of them: 80 EUR. 30 000 + 80 = 30 080 EUR.
  LotSnapshot lot = Lot();
  auto* price = lot.terms[0].add_unit_prices();
  price->set_level(v1::Level::LEVEL_1_WELCOME);
  price->set_modality(v1::Modality::IN_PERSON);
  price->set_amount_cents(8000);
  lot.terms[0].mutable_penalty_rules(0)->set_share_of_fees_bp(1000);
  ASSERT_OK(domain::ValidateTerms(lot.terms[0]));
  PlanOptions options = Options();
  options.fees = StatementFees();
  auto plan = PlanLot(lot, options);
  ASSERT_OK(plan);
  ASSERT_EQ(plan->fees_cents, std::optional<int64_t>(80000));
  ASSERT_EQ(plan->proposals.size(), 1u);
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 3008000);
  EXPECT_EQ(plan->proposals[0].proposal.formula(), "1 000,00 EUR x 30 + 800,00 EUR x 1000 / 10000");
  // Without the fees the share is left out, and the inputs say so.
  plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 3000000);
  bool said = false;
  for (const auto& in : plan->proposals[0].proposal.inputs()) {
    said |= in.value().find("non disponibles") != std::string::npos;
  }
  EXPECT_TRUE(said) << plan->proposals[0].proposal.DebugString();
}

TEST(PenaltyJobPlan, ProposalsAtZeroAreReportedButNotSent) {
  // 1 point below target would be... here 30 points x 0,30 EUR = 9 EUR, at
  // or below the 1 000 EUR threshold: amount 0, nothing to notify.
  LotSnapshot lot = Lot();
  lot.terms = {Terms(/*per_point_cents=*/30)};
  auto plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  ASSERT_EQ(plan->proposals.size(), 1u);
  EXPECT_EQ(plan->proposals[0].proposal.computed_cents(), 900);
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 0);
  const auto events = Emit({*plan});
  ASSERT_EQ(events.size(), 1u);  // the corrective action only
  EXPECT_TRUE(events[0].has_corrective_action_opened());
}

TEST(PenaltyJobPlan, AnActionAlreadyOpenForTheKpiIsNotOpenedAgain) {
  LotSnapshot lot = Lot();
  sv1::ActionRecord open;
  open.mutable_opened()->set_action_id("ACT-by-a-pilot");
  open.mutable_opened()->set_kpi_id("first_appointment_delay");
  open.mutable_opened()->set_due_date("2024-09-30");
  lot.steering.actions.push_back(open);
  auto plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  ASSERT_EQ(plan->actions.size(), 1u);
  EXPECT_EQ(plan->actions[0].open_action_id, "ACT-by-a-pilot");
  const auto events = Emit({*plan});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].has_penalty_proposed());
  // Closed, it no longer stands in for the required one.
  lot.steering.actions[0].mutable_closed()->set_action_id("ACT-by-a-pilot");
  lot.steering.actions[0].mutable_closed()->set_closed_on("2024-07-01");
  plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  EXPECT_EQ(plan->actions[0].open_action_id, "");
  EXPECT_EQ(Emit({*plan}).size(), 2u);
}

TEST(PenaltyJobPlan, OverdueActionsOfTheLedgerArePricedWithTheCcagFormula) {
  // Rule V = 5 000 EUR, P = V x R / 1000. Q2 closes on 15 July; its window
  // of late days is (15 July - 91 days, 15 July] = (15 April, 15 July].
  //  - ACT-a, due 20 June, still open: R = 15 July - 20 June = 25 days,
  //    5 000 x 25 / 1000 = 125 EUR;
  //  - ACT-b, due 20 June, closed on 1 July: R = 11 days, 55 EUR;
  //  - ACT-c, due 20 July: not late at closing, nothing;
  //  - ACT-d has an unreadable due date: left out, and the report says so.
  // With the 30 000 EUR shortfall: 30 180 EUR, above the threshold.
  LotSnapshot lot = Lot();
  AddOverdueRule(lot.terms[0], 500000);
  lot.steering.actions = {LedgerAction("ACT-a", "2024-Q1", "2024-06-20"),
                          LedgerAction("ACT-b", "2024-Q1", "2024-06-20", "2024-07-01"),
                          LedgerAction("ACT-c", "2024-Q1", "2024-07-20"),
                          LedgerAction("ACT-d", "2024-Q1", "20/06/2024")};
  auto plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  ASSERT_EQ(plan->proposals.size(), 3u);
  EXPECT_EQ(plan->proposals[0].proposal.amount_cents(), 3000000);
  EXPECT_EQ(plan->proposals[1].proposal.action_id(), "ACT-a");
  EXPECT_EQ(plan->proposals[1].proposal.amount_cents(), 12500);
  EXPECT_EQ(plan->proposals[2].proposal.action_id(), "ACT-b");
  EXPECT_EQ(plan->proposals[2].proposal.amount_cents(), 5500);
  EXPECT_EQ(plan->total_cents(), 3018000);
  ASSERT_EQ(plan->problems.size(), 1u);
  EXPECT_NE(plan->problems[0].find("ACT-d"), std::string::npos) << plan->problems[0];
  // ACT-a (the first open one for the KPI) stands in for the required action.
  ASSERT_EQ(plan->actions.size(), 1u);
  EXPECT_EQ(plan->actions[0].open_action_id, "ACT-a");
}

TEST(PenaltyJobPlan, AProposalUnderAnotherTermsVersionIsNotPricedTwice) {
  LotSnapshot lot = Lot();
  lot.steering.penalties = {
      Ledger("PEN-older", "2024-Q2", 3000000, "first_appointment_shortfall", "2023.9")};
  auto plan = PlanLot(lot, Options());
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->already_priced);
  ASSERT_EQ(plan->proposals.size(), 1u);
  EXPECT_TRUE(plan->proposals[0].in_ledger);
  EXPECT_EQ(plan->proposals[0].proposal.penalty_id(), "PEN-older");
  // Same period: it does not count toward the cap of the period itself.
  EXPECT_EQ(plan->cap_used_by_other_periods_cents, 0);
  EXPECT_TRUE(Emit({*plan}).empty());
}

TEST(PenaltyJobPlan, WhatIfShowsEachAmountInForceAndUnderTheDraft) {
  // In force: 30 points x 1 000 EUR = 30 000 EUR. Draft 2024.2-draft: 500 EUR
  // per point, 15 000 EUR: 15 000 EUR less.
  const v1::ContractTerms draft = Terms(/*per_point_cents=*/50000, "2024.2-draft");
  auto in_force = PlanLot(Lot(), Options());
  PlanOptions with_draft = Options();
  with_draft.draft = &draft;
  auto drafted = PlanLot(Lot(), with_draft);
  ASSERT_OK(in_force);
  ASSERT_OK(drafted);
  EXPECT_EQ(drafted->terms_version, "2024.2-draft");
  const Json diff = WhatIfJson(P("2024-Q2"), "2024.2-draft", {*in_force}, {*drafted});
  ASSERT_EQ(diff["lots"].size(), 1u);
  const auto& lot = diff["lots"][0];
  ASSERT_EQ(lot["proposals"].size(), 1u);
  EXPECT_EQ(lot["proposals"][0]["rule_id"], "first_appointment_shortfall");
  EXPECT_EQ(lot["proposals"][0]["in_force_cents"], 3000000);
  EXPECT_EQ(lot["proposals"][0]["draft_cents"], 1500000);
  EXPECT_EQ(lot["proposals"][0]["difference_cents"], -1500000);
  EXPECT_EQ(diff["totals"]["difference_cents"], -1500000);
  const std::string text = RenderWhatIf(diff);
  EXPECT_NE(text.find("30\u202f000,00\u00a0€ → 15\u202f000,00\u00a0€ (-15\u202f000,00\u00a0€)"),
            std::string::npos)
      << text;
}

TEST(PenaltyJobPlan, TheReportNamesTheCountersThePeriodAndTheFormula) {
  auto plan = PlanLot(Lot(), Options());
  ASSERT_OK(plan);
  const Json report = ReportJson(P("2024-Q2"), "run", {*plan});
  const auto& lot = report["lots"][0];
  EXPECT_EQ(lot["counters_command"], "pilotagectl counters --lot LOT-11 --period 2024-Q2");
  EXPECT_EQ(lot["breaches"][0]["numerator"], 5);
  EXPECT_EQ(lot["breaches"][0]["sample"], 10);
  EXPECT_EQ(lot["breaches"][0]["value"], "50,0 %");
  EXPECT_EQ(lot["proposals"][0]["period"], "2024-Q2");
  EXPECT_EQ(lot["proposals"][0]["formula"], "1 000,00 EUR x 30");
  EXPECT_EQ(report["totals"]["amount_cents"], 3000000);
  const std::string text = RenderReport(report);
  EXPECT_NE(text.find("5 premiers rendez-vous tenus sous 10 jours ouvrés sur 10"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Formule : 1 000,00 EUR x 30 = 30\u202f000,00\u00a0€"), std::string::npos)
      << text;
}

TEST(PenaltyJobPeriod, PreviousQuarterAndMonthAreTheLastOnesEnded) {
  EXPECT_EQ(*ResolvePeriod("previous-quarter", D("2024-07-20")), "2024-Q2");
  EXPECT_EQ(*ResolvePeriod("previous-quarter", D("2024-01-05")), "2023-Q4");
  EXPECT_EQ(*ResolvePeriod("previous-month", D("2024-03-01")), "2024-02");
  EXPECT_EQ(*ResolvePeriod("2024-Q2", D("2024-07-20")), "2024-Q2");
}

TEST(PenaltyJobTextfile, KeepsTheLastSuccessAndNeverMovesTheDueDateBack) {
  RunMetrics ok{.run_at = absl::FromUnixSeconds(1721030400),
                .success = true,
                .periods_evaluated = 14,
                .events_sent = 2,
                .proposals_by_lot = {{"LOT-11", 1}},
                .amount_cents_by_lot = {{"LOT-11", 3000000}},
                .next_period_closing = absl::FromUnixSeconds(1728943200)};
  const std::string first = MetricsText(ok, "");
  EXPECT_NE(first.find("pilotage_penalty_job_last_success_timestamp_seconds 1721030400"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find("pilotage_penalty_job_amount_cents{lot=\"LOT-11\"} 3000000"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find("pilotage_penalty_job_periods_evaluated 14"), std::string::npos) << first;
  // A failed run a day later: last run moves, last success and due date stay.
  RunMetrics failed{.run_at = absl::FromUnixSeconds(1721116800), .success = false};
  const std::string second = MetricsText(failed, first);
  EXPECT_NE(second.find("pilotage_penalty_job_last_run_timestamp_seconds 1721116800"),
            std::string::npos)
      << second;
  EXPECT_NE(second.find("pilotage_penalty_job_last_success_timestamp_seconds 1721030400"),
            std::string::npos)
      << second;
  EXPECT_NE(second.find("pilotage_penalty_job_last_run_success 0"), std::string::npos) << second;
  EXPECT_NE(second.find("pilotage_penalty_job_next_period_closing_timestamp_seconds 1728943200"),
            std::string::npos)
      << second;
  // Rerunning an older period succeeds but cannot move the due date back.
  RunMetrics older = ok;
  older.run_at = absl::FromUnixSeconds(1721203200);
  older.next_period_closing = absl::FromUnixSeconds(1721001600);
  const std::string third = MetricsText(older, second);
  EXPECT_NE(third.find("pilotage_penalty_job_next_period_closing_timestamp_seconds 1728943200"),
            std::string::npos)
      << third;
}

}  // namespace
}  // namespace pilotage::penalty_job
