// The adversarial procedure (procedure.h), with days worked out by hand.
#include "pilotage/domain/procedure.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/testing/status.h"

namespace pilotage::domain {
namespace {

namespace sv1 = ::pilotage::store::v1;

// 2024-07-01T10:00:00Z, a Monday: 12:00 in Paris, day 2024-07-01.
constexpr int64_t kJuly1 = 1719828000;
constexpr int64_t kDay = 86400;

absl::CivilDay Day(const char* text) {
  auto d = ParseDay(text);
  EXPECT_OK(d) << text;
  return d.ok() ? *d : absl::CivilDay();
}

// A proposal as the penalty job sends it: notified on 1 July by default;
// notified_on "" for one sent before the field existed.
sv1::PenaltyRecord Proposed(std::string id, std::string deadline, int64_t at = kJuly1,
                            std::string notified_on = "2024-07-01") {
  sv1::PenaltyRecord r;
  auto* p = r.mutable_proposed();
  p->set_penalty_id(std::move(id));
  p->set_period("2024-Q2");
  p->set_rule_id("satisfaction_shortfall");
  p->set_amount_cents(250000);
  p->set_observation_deadline(std::move(deadline));
  p->set_notified_on(std::move(notified_on));
  r.set_proposed_at(at);
  r.set_proposed_event_id("e-proposed");
  return r;
}

void AddObservations(sv1::PenaltyRecord& r, std::string received_on) {
  r.mutable_observations()->set_penalty_id(r.proposed().penalty_id());
  r.mutable_observations()->set_text("Effectifs réduits en juin");
  r.mutable_observations()->set_received_on(std::move(received_on));
  r.set_observations_at(kJuly1 + 4 * kDay);
  r.set_observations_event_id("e-observations");
}

void Confirm(sv1::PenaltyRecord& r, int64_t at) {
  r.mutable_confirmed()->set_penalty_id(r.proposed().penalty_id());
  r.mutable_confirmed()->set_decided_by("pilote-1");
  r.set_decided_at(at);
  r.set_decision_event_id("e-decision");
}

void Waive(sv1::PenaltyRecord& r, int64_t at) {
  r.mutable_waived()->set_penalty_id(r.proposed().penalty_id());
  r.mutable_waived()->set_decided_by("pilote-2");
  r.mutable_waived()->set_reason("observations recevables");
  r.set_decided_at(at);
  r.set_decision_event_id("e-decision");
}

PenaltyProcedure Procedure(const sv1::PenaltyRecord& r, const v1::ContractTerms* terms = nullptr) {
  auto p = ProcedureOf(r, terms);
  EXPECT_OK(p);
  return p.ok() ? *p : PenaltyProcedure{};
}

TEST(ObservationDeadline, IsTheProposalsWhenSet) {
  EXPECT_EQ(Procedure(Proposed("PEN-1", "2024-08-29")).deadline, Day("2024-08-29"));
}

TEST(ObservationDeadline, ElseTheProposalDayPlusTheTermsDaysOrFifteen) {
  v1::ContractTerms ten;
  ten.mutable_delays()->set_observation_days(10);
  v1::ContractTerms zero;
  struct Case {
    const char* what;
    int64_t at;
    const v1::ContractTerms* terms;
    const char* deadline;
  } cases[] = {
      {"terms give 10 days", kJuly1, &ten, "2024-07-11"},
      {"no terms: 15 days", kJuly1, nullptr, "2024-07-16"},
      {"terms say 0: 15 days", kJuly1, &zero, "2024-07-16"},
      // 2024-06-30T22:30:00Z is 00:30 on 1 July in Paris (summer time).
      {"the Paris day counts", 1719786600, nullptr, "2024-07-16"},
      // 2024-06-30T21:30:00Z is still 30 June in Paris.
      {"late evening in Paris", 1719783000, nullptr, "2024-07-15"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(Procedure(Proposed("PEN-1", "", c.at, ""), c.terms).deadline, Day(c.deadline));
  }
}

TEST(ObservationDeadline, RunsFromTheNotificationDayNotTheEventsDay) {
  // Notified on 20 August 2024 (the job's --today), the event sent on
  // 1 July's instant: 20 August + 15 = 4 September; with terms of 10 days,
  // 30 August.
  v1::ContractTerms ten;
  ten.mutable_delays()->set_observation_days(10);
  const auto p = Procedure(Proposed("PEN-1", "", kJuly1, "2024-08-20"));
  EXPECT_EQ(p.proposed_on, Day("2024-08-20"));
  EXPECT_EQ(p.deadline, Day("2024-09-04"));
  EXPECT_EQ(Procedure(Proposed("PEN-1", "", kJuly1, "2024-08-20"), &ten).deadline,
            Day("2024-08-30"));
  // Observations cannot predate the notification.
  const absl::Status early = CheckObservations(p, Day("2024-08-19"));
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(early.message().find("avant la notification de la pénalité PEN-1 (le 20/08/2024)"),
            std::string_view::npos)
      << early.ToString();
  EXPECT_OK(CheckObservations(p, Day("2024-08-20")));
  auto bad = Proposed("PEN-1", "", kJuly1, "20/08/2024");
  EXPECT_EQ(ProcedureOf(bad, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ObservationDeadline, AnEarlierJobsProposalGetsAtLeastTheFullDelayFromItsDay) {
  // Sent before notified_on existed, by a job run on 20 August 2024 (12:00
  // in Paris) that counted from the closing day (15 July + 15 = 30 July,
  // already past): the operator gets 20 August + 15 = 4 September.
  const int64_t aug20 = kJuly1 + 50 * kDay;  // 1 July + 50 days = 20 August
  const auto late_run = Procedure(Proposed("PEN-1", "2024-07-30", aug20, ""));
  EXPECT_EQ(late_run.proposed_on, Day("2024-08-20"));
  EXPECT_EQ(late_run.deadline, Day("2024-09-04"));
  EXPECT_EQ(CheckDecision(late_run, Decision::kConfirm, Day("2024-09-04")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_OK(CheckDecision(late_run, Decision::kConfirm, Day("2024-09-05")));
  // A longer deadline it was given is kept: 1 July + 15 = 16 July < 29 August.
  EXPECT_EQ(Procedure(Proposed("PEN-1", "2024-08-29", kJuly1, "")).deadline, Day("2024-08-29"));
}

TEST(ProcedureOf, FollowsTheStepsToTheirState) {
  auto proposed = Proposed("PEN-1", "2024-07-16");
  EXPECT_EQ(Procedure(proposed).state, PenaltyState::kProposed);
  EXPECT_EQ(Procedure(proposed).proposed_on, Day("2024-07-01"));

  auto observed = proposed;
  AddObservations(observed, "2024-07-05");
  const auto o = Procedure(observed);
  EXPECT_EQ(o.state, PenaltyState::kObservationsReceived);
  EXPECT_EQ(o.observations_on, Day("2024-07-05"));
  EXPECT_FALSE(o.observations_late);

  auto late = proposed;
  AddObservations(late, "2024-07-17");
  EXPECT_TRUE(Procedure(late).observations_late);

  auto confirmed = observed;
  Confirm(confirmed, kJuly1 + 9 * kDay);
  const auto c = Procedure(confirmed);
  EXPECT_EQ(c.state, PenaltyState::kConfirmed);
  EXPECT_EQ(c.decided_on, Day("2024-07-10"));
  EXPECT_EQ(c.decided_by, "pilote-1");

  auto waived = proposed;
  Waive(waived, kJuly1 + 20 * kDay);
  const auto w = Procedure(waived);
  EXPECT_EQ(w.state, PenaltyState::kWaived);
  EXPECT_EQ(w.decision_reason, "observations recevables");
}

TEST(ProcedureOf, IsNotFoundForStepsWithoutTheirProposal) {
  sv1::PenaltyRecord r;
  r.mutable_confirmed()->set_penalty_id("PEN-9");
  r.set_decision_event_id("e");
  const auto p = ProcedureOf(r, nullptr);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("PEN-9"), std::string_view::npos);
}

TEST(PenaltyState, HasFrenchLabelsForPilots) {
  EXPECT_EQ(PenaltyStateFrenchLabel(PenaltyState::kProposed), "proposée");
  EXPECT_EQ(PenaltyStateFrenchLabel(PenaltyState::kObservationsReceived), "observations reçues");
  EXPECT_EQ(PenaltyStateFrenchLabel(PenaltyState::kConfirmed), "confirmée");
  EXPECT_EQ(PenaltyStateFrenchLabel(PenaltyState::kWaived), "abandonnée");
  EXPECT_EQ(PenaltyStateName(PenaltyState::kObservationsReceived), "OBSERVATIONS_RECEIVED");
}

TEST(CheckDecision, RefusesConfirmingOnOrBeforeTheDeadlineWithoutObservations) {
  // Deadline 16 July included: the operator may still answer that day.
  const auto p = Procedure(Proposed("PEN-1", "2024-07-16"));
  const absl::Status on_deadline = CheckDecision(p, Decision::kConfirm, Day("2024-07-16"));
  EXPECT_EQ(on_deadline.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(on_deadline.message().find("jusqu'au 16/07/2024 inclus"), std::string_view::npos)
      << on_deadline.ToString();
  EXPECT_NE(on_deadline.message().find("à partir du 17/07/2024"), std::string_view::npos)
      << on_deadline.ToString();
  EXPECT_EQ(CheckDecision(p, Decision::kConfirm, Day("2024-07-02")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_OK(CheckDecision(p, Decision::kConfirm, Day("2024-07-17")));
  // Waiving needs no wait.
  EXPECT_OK(CheckDecision(p, Decision::kWaive, Day("2024-07-02")));
}

TEST(CheckDecision, AllowsConfirmingAsSoonAsObservationsAreIn) {
  auto r = Proposed("PEN-1", "2024-07-16");
  AddObservations(r, "2024-07-05");
  EXPECT_OK(CheckDecision(Procedure(r), Decision::kConfirm, Day("2024-07-05")));
}

TEST(CheckDecision, RefusesASecondDecision) {
  auto r = Proposed("PEN-1", "2024-07-16");
  Confirm(r, kJuly1 + 20 * kDay);  // 21 July
  const auto p = Procedure(r);
  for (Decision d : {Decision::kConfirm, Decision::kWaive}) {
    const absl::Status s = CheckDecision(p, d, Day("2024-07-25"));
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("déjà confirmée (le 21/07/2024)"), std::string_view::npos)
        << s.ToString();
  }
}

TEST(CheckObservations, AcceptsLateOnesButNotAfterADecisionOrBeforeTheProposal) {
  auto r = Proposed("PEN-1", "2024-07-16");
  EXPECT_OK(CheckObservations(Procedure(r), Day("2024-07-20")));
  EXPECT_EQ(CheckObservations(Procedure(r), Day("2024-06-30")).code(),
            absl::StatusCode::kFailedPrecondition);
  Waive(r, kJuly1 + 3 * kDay);
  const absl::Status s = CheckObservations(Procedure(r), Day("2024-07-05"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("déjà abandonnée"), std::string_view::npos) << s.ToString();
}

TEST(PastDeadlineUndecided, ListsUndecidedProposalsPastTheirDeadlineByDeadline) {
  // On 20 July: A (deadline 16 July, no answer) and B (deadline 10 July,
  // observations in, no decision) wait for the pilots; C's deadline is to
  // come; D is decided; E's deadline is today (not past).
  auto a = Proposed("PEN-A", "2024-07-16");
  auto b = Proposed("PEN-B", "2024-07-10");
  AddObservations(b, "2024-07-08");
  auto c = Proposed("PEN-C", "2024-07-25");
  auto d = Proposed("PEN-D", "2024-07-01");
  Confirm(d, kJuly1 + 5 * kDay);
  auto e = Proposed("PEN-E", "2024-07-20");
  const std::vector<PenaltyProcedure> all = {Procedure(a), Procedure(b), Procedure(c), Procedure(d),
                                             Procedure(e)};
  const auto late = PastDeadlineUndecided(all, Day("2024-07-20"));
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(late[0].proposal.penalty_id(), "PEN-B");
  EXPECT_EQ(late[1].proposal.penalty_id(), "PEN-A");
}

}  // namespace
}  // namespace pilotage::domain
