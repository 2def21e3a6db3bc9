// Decisions from the dashboard (decision 0037) over real HTTP: the query
// service checks each step with libs/steering (the checks of pilotagectl)
// and writes the contract event to the real broker; the real projector folds
// it and the API then shows it. The stack's LOT-94 (fixtures/README.md):
// PEN-94-2024-05-DELAY confirmed on 10 July 2024; PEN-94-2024-05-TIMELINESS,
// 500 €, notified 20 June 2024, observation deadline 5 July 2024, undecided;
// ACT-94-1 closed; ACT-94-2 open, due 30 September 2024. The operator token
// holds LOT-94 only.
#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "query_stack.h"

namespace pilotage::query_test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::vector<std::pair<std::string, std::string>> kDashboard = {
    {"X-Requested-With", "pilotage"}};
constexpr char kTimeliness[] = "/api/v1/lots/LOT-94/penalties/PEN-94-2024-05-TIMELINESS";

// The penalty `id` of LOT-94 as the API shows it once its view moved past
// what a fold wrote: polls the answer (a condition, not a synchronisation
// sleep) until `done` holds, 60 s at most.
json PenaltyWhen(const QueryStack& stack, const std::string& id,
                 const std::function<bool(const json&)>& done) {
  json last;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto answer = stack.Get("/api/v1/lots/LOT-94/penalties");
    if (answer.status == 200) {
      for (const auto& p : answer.body["penalties"]) {
        if (p["penalty_id"] == id) last = p;
      }
      if (!last.is_null() && done(last)) return last;
    }
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "penalty " << id << " never reached the expected state: " << last.dump(2);
  return last;
}

std::string Detail(const QueryStack::Answer& a) {
  return a.body.is_object() ? a.body["error"].value("detail", std::string()) : a.text;
}

TEST(QueryDecisions, TheProcedureFromTheDashboardThroughTheBroker) {
  QueryStack stack;
  ASSERT_TRUE(stack.ok());
  // A second service judging days as on 1 July 2024: the operator is within
  // the delay (deadline 5 July).
  const std::string on_july_first = stack.StartQueryOn("2024-07-01");
  ASSERT_FALSE(on_july_first.empty());
  size_t written = 0;

  // The operator: only observations, only on its lots, only within the delay.
  const std::string observations = std::string(kTimeliness) + "/observations";
  const auto late = stack.Post(observations, R"({"text": "Retards de saisie dus à un incident"})",
                               kCorseToken, kDashboard);
  EXPECT_EQ(late.status, 409) << late.text;
  EXPECT_NE(Detail(late).find("a expiré le 05/07/2024"), std::string::npos) << late.text;
  const auto other_lot = stack.Post("/api/v1/lots/LOT-11/penalties/PEN-1/observations",
                                    R"({"text": "x"})", kCorseToken, kDashboard, on_july_first);
  EXPECT_EQ(other_lot.status, 403) << other_lot.text;
  const auto operator_confirms = stack.Post(std::string(kTimeliness) + "/confirm",
                                            R"({"reason": "x"})", kCorseToken, kDashboard);
  EXPECT_EQ(operator_confirms.status, 403) << operator_confirms.text;
  EXPECT_NE(Detail(operator_confirms).find("réservé aux pilotes"), std::string::npos);
  const auto observed =
      stack.Post(observations, R"({"text": "Retards de saisie dus à un incident"})", kCorseToken,
                 kDashboard, on_july_first);
  ASSERT_EQ(observed.status, 202) << observed.text;
  ++written;

  // The pilot: CSRF header, identity, reason, then the confirmation.
  const std::string confirm = std::string(kTimeliness) + "/confirm";
  const json reason = {{"reason", "Observations non fondées : l'incident est postérieur"}};
  EXPECT_EQ(stack.Post(confirm, reason.dump(), kPilotToken, {}).status, 403);
  EXPECT_EQ(stack.Post(confirm, reason.dump(), "", kDashboard).status, 401);
  const auto no_reason = stack.Post(confirm, R"({"reason": "  "})", kPilotToken, kDashboard);
  EXPECT_EQ(no_reason.status, 400) << no_reason.text;
  EXPECT_EQ(Detail(no_reason), "reason : obligatoire");
  const auto bad_body = stack.Post(confirm, "[1]", kPilotToken, kDashboard);
  EXPECT_EQ(bad_body.status, 400) << bad_body.text;
  const auto unknown = stack.Post("/api/v1/lots/LOT-94/penalties/PEN-404/confirm", reason.dump(),
                                  kPilotToken, kDashboard);
  EXPECT_EQ(unknown.status, 404) << unknown.text;
  const auto decided_before = stack.Post("/api/v1/lots/LOT-94/penalties/PEN-94-2024-05-DELAY/waive",
                                         reason.dump(), kPilotToken, kDashboard);
  EXPECT_EQ(decided_before.status, 409) << decided_before.text;
  EXPECT_NE(Detail(decided_before).find("déjà confirmée"), std::string::npos);

  // Confirmed, and the same request again (a retry after a lost answer)
  // carries the same event id: the projector keeps one decision. The id is
  // FNV-1a (libs/domain/ids.h) of "LOT-94", "PEN-94-2024-05-TIMELINESS",
  // computed apart.
  const std::string expected_id = "penalty-confirmed-a50a4dff071614dc";
  const auto confirmed = stack.Post(confirm, reason.dump(), kPilotToken, kDashboard);
  ASSERT_EQ(confirmed.status, 202) << confirmed.text;
  EXPECT_EQ(confirmed.body["event_id"], expected_id);
  EXPECT_EQ(confirmed.body["message"],
            "confirmation de la pénalité PEN-94-2024-05-TIMELINESS "
            "(500,00\u00a0€)");
  const auto retried = stack.Post(confirm, reason.dump(), kPilotToken, kDashboard);
  ASSERT_EQ(retried.status, 202) << retried.text;
  EXPECT_EQ(retried.body["event_id"], expected_id);
  written += 2;

  // Closing ACT-94-2 (open); ACT-94-1 is already closed; a review of May.
  const auto closed =
      stack.Post("/api/v1/lots/LOT-94/actions/ACT-94-2/close",
                 R"({"evidence": "Saisie sous 5 jours depuis octobre"})", kPilotToken, kDashboard);
  ASSERT_EQ(closed.status, 202) << closed.text;
  EXPECT_EQ(closed.body["event_id"], "action-closed-1caba1f7b16337e5");  // computed apart
  ++written;
  const auto closed_twice = stack.Post("/api/v1/lots/LOT-94/actions/ACT-94-1/close",
                                       R"({"evidence": "x"})", kPilotToken, kDashboard);
  EXPECT_EQ(closed_twice.status, 409) << closed_twice.text;
  const auto review =
      stack.Post("/api/v1/lots/LOT-94/reviews",
                 R"({"period": "2024-05", "held_on": "2024-06-28", "findings": ["Délais en retard"],
                     "decisions": ["Action ACT-94-1"]})",
                 kPilotToken, kDashboard);
  ASSERT_EQ(review.status, 202) << review.text;
  ++written;

  // What reached the broker: the events the checks built, under the
  // principals of the tokens.
  const auto events = stack.WrittenContractEvents(written);
  ASSERT_EQ(events.size(), written);
  EXPECT_EQ(events[0].observations_received().received_on(), "2024-07-01");
  EXPECT_EQ(events[1].event_id(), expected_id);
  EXPECT_EQ(events[2].event_id(), expected_id);
  EXPECT_EQ(events[1].penalty_confirmed().decided_by(), "fc-pilotes");
  EXPECT_EQ(events[1].penalty_confirmed().reason(), reason["reason"]);
  EXPECT_EQ(events[3].corrective_action_closed().closed_by(), "fc-pilotes");
  EXPECT_EQ(events[4].review_held().review_id(), "REV-LOT-94-2024-05-2024-06-28");

  // Folded: the API shows the decision once; a retry now is already recorded.
  ASSERT_EQ(stack.Fold(), 0);
  const json pen = PenaltyWhen(stack, "PEN-94-2024-05-TIMELINESS",
                               [](const json& p) { return p["state"] == "CONFIRMED"; });
  EXPECT_EQ(pen["decided_by"], "fc-pilotes");
  EXPECT_EQ(pen["decision_reason"], reason["reason"]);
  EXPECT_EQ(pen["observations_on"], "2024-07-01");
  const auto again = stack.Post(confirm, reason.dump(), kPilotToken, kDashboard);
  EXPECT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body["event_id"], expected_id);
  EXPECT_EQ(again.body["already_recorded"], true);
  const auto waive_after =
      stack.Post(std::string(kTimeliness) + "/waive", reason.dump(), kPilotToken, kDashboard);
  EXPECT_EQ(waive_after.status, 409) << waive_after.text;
}

}  // namespace
}  // namespace pilotage::query_test
