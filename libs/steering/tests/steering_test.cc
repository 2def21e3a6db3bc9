// The decisions' checks and events, on a lot built by hand (no store, no
// broker): what pilotagectl and the query service both rely on.
#include "pilotage/steering/steering.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/testing/status.h"

namespace pilotage::steering {
namespace {

// LOT-11, awarded from 2 January 2024, one penalty PEN-1 of 230 € notified
// on 16 July 2024 with its deadline on 31 July, one open action ACT-1 due
// 15 September 2024.
LotState Lot() {
  readmodel::LotReadModel lot;
  v1::LotAwarded award;
  award.set_operator_id("op-11");
  award.set_start_date("2024-01-02");
  award.set_end_date("2027-12-31");
  lot.facts.award = award;
  readmodel::SteeringReadModel steering;
  store::v1::PenaltyRecord penalty;
  auto* p = penalty.mutable_proposed();
  p->set_penalty_id("PEN-1");
  p->set_period("2024-Q2");
  p->set_rule_id("satisfaction_shortfall");
  p->set_terms_version("T1");
  p->set_amount_cents(23000);
  p->set_computed_cents(23000);
  p->set_notified_on("2024-07-16");
  p->set_observation_deadline("2024-07-31");
  penalty.set_proposed_event_id("proposal-1");
  steering.penalties.push_back(penalty);
  store::v1::ActionRecord action;
  action.mutable_opened()->set_action_id("ACT-1");
  action.mutable_opened()->set_due_date("2024-09-15");
  action.set_opened_event_id("opened-1");
  steering.actions.push_back(action);
  return StateOf("LOT-11", lot, steering);
}

absl::Time Now() { return absl::FromUnixSeconds(1733400000); }  // 5 December 2024

TEST(PrepareDecision, RequiresAReasonToConfirmAsToWaive) {
  const LotState lot = Lot();
  for (auto decision : {domain::Decision::kConfirm, domain::Decision::kWaive}) {
    auto s = PrepareDecision(lot, decision, {.penalty_id = "PEN-1", .author = "pilote"},
                             absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.status().message(), "reason : obligatoire");
    auto blank =
        PrepareDecision(lot, decision, {.penalty_id = "PEN-1", .author = "pilote", .reason = "  "},
                        absl::CivilDay(2024, 8, 1), Now(), Naming::kFlags);
    EXPECT_EQ(blank.status().message(), "--reason: missing");
  }
}

TEST(PrepareDecision, RefusesConfirmingBeforeTheDeadlineWithoutObservations) {
  auto s = PrepareDecision(Lot(), domain::Decision::kConfirm,
                           {.penalty_id = "PEN-1", .author = "pilote", .reason = "r"},
                           absl::CivilDay(2024, 7, 25), Now(), Naming::kJson);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("31/07/2024"), std::string_view::npos) << s.status();
}

TEST(PrepareDecision, BuildsTheConfirmationWithItsContentId) {
  auto s = PrepareDecision(Lot(), domain::Decision::kConfirm,
                           {.penalty_id = "PEN-1", .author = "pilote", .reason = "fondée"},
                           absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
  ASSERT_OK(s);
  // FNV-1a (domain/ids.h) of "LOT-11", "PEN-1", computed apart.
  EXPECT_EQ(s->event.event_id(), "penalty-confirmed-e0ef72e17135b64e");
  EXPECT_EQ(s->event.lot_id(), "LOT-11");
  EXPECT_EQ(s->event.penalty_confirmed().decided_by(), "pilote");
  EXPECT_EQ(s->event.penalty_confirmed().reason(), "fondée");
  // Noon in Paris (UTC+2 in summer) on 1 August 2024.
  EXPECT_EQ(s->event.occurred_at().seconds(), 1722506400);
  EXPECT_EQ(s->what, "confirmation de la pénalité PEN-1 (230,00\u00a0€)");
}

TEST(PrepareDecision, NamesAnUnknownPenaltyOrLot) {
  auto unknown = PrepareDecision(Lot(), domain::Decision::kWaive,
                                 {.penalty_id = "PEN-9", .author = "pilote", .reason = "r"},
                                 absl::CivilDay(2024, 8, 1), Now(), Naming::kFlags);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("--penalty"), std::string_view::npos);
  LotState no_award = StateOf("LOT-99", {}, {});
  auto lot = PrepareDecision(no_award, domain::Decision::kWaive,
                             {.penalty_id = "PEN-1", .author = "pilote", .reason = "r"},
                             absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
  EXPECT_EQ(lot.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(lot.status().message().find("lot inconnu 'LOT-99'"), std::string_view::npos);
}

TEST(PrepareObservations, SaysWhenTheyAreLate) {
  auto on_time = PrepareObservations(Lot(), {.penalty_id = "PEN-1", .text = "incident"},
                                     absl::CivilDay(2024, 7, 31), Now(), Naming::kJson);
  ASSERT_OK(on_time);
  EXPECT_FALSE(on_time->late);
  EXPECT_EQ(on_time->step.event.observations_received().received_on(), "2024-07-31");
  auto late = PrepareObservations(Lot(), {.penalty_id = "PEN-1", .text = "incident"},
                                  absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
  ASSERT_OK(late);
  EXPECT_TRUE(late->late);
  EXPECT_EQ(late->deadline, absl::CivilDay(2024, 7, 31));
  auto future =
      PrepareObservations(Lot(), {.penalty_id = "PEN-1", .text = "x", .received_on = "2024-08-02"},
                          absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
  EXPECT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(future.status().message().find("received_on"), std::string_view::npos);
}

TEST(PrepareReviewAndActionClose, CheckTheirFields) {
  auto review = PrepareReview(Lot(), {.period = "2024-Q2", .findings = {"retards"}},
                              absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
  ASSERT_OK(review);
  EXPECT_EQ(review->event.review_held().review_id(), "REV-LOT-11-2024-Q2-2024-08-01");
  auto empty =
      PrepareReview(Lot(), {.period = "2024-Q2"}, absl::CivilDay(2024, 8, 1), Now(), Naming::kJson);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);

  auto close = PrepareActionClose(Lot(), {.id = "ACT-1", .evidence = "relances", .author = "p"},
                                  absl::CivilDay(2024, 9, 20), Now(), Naming::kJson);
  ASSERT_OK(close);
  EXPECT_EQ(close->event.event_id(), "action-closed-a57eaf04e8cff127");  // computed apart
  EXPECT_EQ(close->what,
            "clôture de l'action corrective ACT-1 le 20/09/2024, 5 jour(s) après "
            "l'échéance");
  auto no_evidence =
      PrepareActionClose(Lot(), {.id = "ACT-1"}, absl::CivilDay(2024, 9, 20), Now(), Naming::kJson);
  EXPECT_EQ(no_evidence.status().message(), "evidence : obligatoire");
  auto unknown = PrepareActionClose(Lot(), {.id = "ACT-2", .evidence = "x"},
                                    absl::CivilDay(2024, 9, 20), Now(), Naming::kJson);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pilotage::steering
