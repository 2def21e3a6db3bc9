// The quarter's steering cycle end to end, through a real broker, the real
// pilotage-projector and the real pilotagectl: a lot awarded with the CLI,
// terms and Q2 2024 activity produced, a corrective action opened, a
// penalty proposed (as the penalty job would), the operator's observations
// recorded, the penalty confirmed, the ledger, actions and statement read
// back with the numbers worked out by hand below, the statement issued; a
// review recorded and the action closed late.
// Refused commands (unknown lot, unknown penalty, bad date, unknown KPI,
// confirming before the deadline, deciding twice, issuing an open period)
// exit non-zero and write nothing: the contract topic holds exactly the
// events of the accepted commands, in order.
//
// Hand-worked figures (terms "T1" below; Q2 2024 closes on 15 July):
//   appointments known at closing: L1 in person x2 (80 EUR), L1 phone x1
//   (65 EUR), L2 in person long term x2 (220 EUR); A6 recorded on 20 July
//   is late, unpaid. Fees = 160 + 65 + 440 = 665,00 EUR.
//   satisfaction (score >= 8): 2 of 3 answers = 66.67 % -> "base_bonus"
//   (threshold 50 %, 300 EUR fixed) earned, "high_bonus" (90 %) not.
//   Penalty proposed: 23 points x 10 EUR = 230 EUR, confirmed.
//   Net = 665 + 300 - 230 = 735,00 EUR. Contract year 1 runs 2024-01-02 to
//   2025-01-01 (366 days); 181 days elapsed at 30 June; projection
//   73500 x 366 / 181 = 148624 cents > envelope 1 400,00 EUR: a warning.
#include <filesystem>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/terms.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/broker.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLot = "LOT-77";
constexpr const char* kPenalty = "PEN-SATISFACTION-2024-Q2";

constexpr const char* kTerms = R"pb(
  version: "T1"
  effective_from: "2024-01-02"
  description: "conditions de test"
  kpis {
    id: "satisfaction"
    label: "Satisfaction en fin de service"
    formula: END_OF_SERVICE_SATISFACTION
    direction: AT_LEAST
    target: 0.9
    min_score: 8
    min_sample: 1
  }
  unit_prices { level: LEVEL_1_WELCOME modality: IN_PERSON amount_cents: 8000 }
  unit_prices { level: LEVEL_1_WELCOME modality: PHONE amount_cents: 6500 }
  unit_prices { level: LEVEL_2_SUPPORT modality: IN_PERSON kind: LONG_TERM amount_cents: 22000 }
  bonus_rules {
    id: "base_bonus"
    label: "Bonus de base"
    kpi_id: "satisfaction"
    threshold: 0.5
    fixed_amount_cents: 30000
  }
  bonus_rules {
    id: "high_bonus"
    label: "Bonus satisfaction élevée"
    kpi_id: "satisfaction"
    threshold: 0.9
    share_of_fees_bp: 200
  }
  penalty_rules {
    id: "satisfaction_shortfall"
    label: "Satisfaction insuffisante"
    trigger: KPI_SHORTFALL
    kpi_id: "satisfaction"
    amount_per_point_cents: 1000
  }
  penalty_limits { cap_share_of_annual_bp: 1000 threshold_cents: 0 }
  delays { closing_grace_days: 15 observation_days: 15 }
)pb";

// Seconds at 10:00 UTC (12:00 in Paris, summer time) of a 2024 day.
int64_t At(const char* day) {
  auto d = domain::ParseDay(day);
  EXPECT_OK(d) << day;
  return absl::ToUnixSeconds(absl::FromCivil(*d, absl::UTCTimeZone())) + 10 * 3600;
}

v1::Event Activity(const std::string& id, const std::string& who, const char* day,
                   const char* recorded_day = nullptr) {
  v1::Event e;
  e.set_event_id(id);
  e.set_lot_id(kLot);
  e.set_operator_id("op-77");
  e.mutable_occurred_at()->set_seconds(At(day));
  e.mutable_recorded_at()->set_seconds(At(recorded_day ? recorded_day : day) + 3600);
  (void)who;
  return e;
}

v1::Event Request(const std::string& who, const char* day) {
  auto e = Activity("req-" + who, who, day);
  auto* r = e.mutable_request_received();
  r->set_beneficiary(who);
  r->set_channel(v1::Channel::PHONE);
  r->mutable_profile()->set_age_band(v1::AgeBand::AGE_26_44);
  return e;
}

v1::Event Appointment(const std::string& id, const std::string& who, const char* day,
                      v1::Level::Value level, v1::Modality::Value modality,
                      v1::SupportKind::Value kind, const char* recorded_day = nullptr) {
  auto e = Activity("appt-" + id, who, day, recorded_day);
  auto* a = e.mutable_appointment_held();
  a->set_beneficiary(who);
  a->set_appointment_id(id);
  a->set_level(level);
  a->set_modality(modality);
  a->set_kind(kind);
  a->set_duration_minutes(60);
  a->set_departement("77");
  return e;
}

v1::Event Survey(const std::string& who, const char* day, int score) {
  auto e = Activity("survey-" + who, who, day);
  auto* s = e.mutable_survey_answered();
  s->set_beneficiary(who);
  s->set_wave(v1::SurveyWave::END_OF_SERVICE);
  s->set_satisfaction(score);
  s->set_useful(true);
  return e;
}

class SteeringCycle : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::ConnectBroker(broker_, {activity_, contract_, dead_letters_}));
  }

  void Produce(const std::string& topic, const std::vector<v1::Event>& events) {
    testing::ProduceEvents(*broker_.producer, topic, events);
  }

  // Folds everything written so far, then exits.
  void CatchUp() {
    // Bootstrap, data, topics, dead-letter topic, group, log.
    testing::RunProjectorUntilCaughtUp(
        PILOTAGE_PROJECTOR_BIN,
        {broker_.bootstrap, data_, activity_ + "," + contract_, dead_letters_,
         "steering-" + contract_, dir_.path() / "projector.log"});
  }

  // Runs pilotagectl with the data directory and, for writing commands, the
  // broker and the contract topic.
  testing::RunResult Ctl(std::vector<std::string> args, bool writes = true) {
    std::vector<std::string> all = {"--data", data_.string()};
    all.insert(all.end(), args.begin(), args.end());
    if (writes) all.insert(all.end(), {"--bootstrap", broker_.bootstrap, "--topic", contract_});
    return testing::RunProgram(PILOTAGECTL_BIN, all, /*with_stderr=*/true);
  }

  nlohmann::json Json(std::vector<std::string> args) {
    std::vector<std::string> all = {"--data", data_.string()};
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunJson(PILOTAGECTL_BIN, all);
  }

  std::string activity_ = testing::UniqueTopic("steering.activity");
  std::string contract_ = testing::UniqueTopic("steering.contract");
  std::string dead_letters_ = testing::UniqueTopic("steering.dead");
  testing::BrokerClients broker_;
  testing::TempDir dir_;
  fs::path data_ = dir_.path() / "projector";
};

// A refused command: its exit code, and its message names `field`.
void ExpectRefused(const testing::RunResult& run, int code, const std::string& field) {
  EXPECT_EQ(run.code, code) << run.output;
  EXPECT_NE(run.output.find(field), std::string::npos) << run.output;
}

TEST_F(SteeringCycle, AQuarterFromActionToIssuedStatement) {
  // What the accepted commands write, in order (checked on the topic last).
  std::vector<v1::Event::BodyCase> written;

  // 1. Award the lot with the CLI; publish terms and the quarter's activity.
  auto award = Ctl({"lot", "award", "--lot", kLot, "--operator-id", "op-77", "--operator-name",
                    "CIBC Test", "--departement", "77", "--start", "2024-01-02", "--end",
                    "2027-12-31", "--budget", "1=140000", "--on", "2024-01-02"});
  ASSERT_EQ(award.code, 0) << award.output;
  EXPECT_NE(award.output.find("acks=all"), std::string::npos) << award.output;
  written.push_back(v1::Event::kLotAwarded);
  ExpectRefused(Ctl({"lot", "award", "--lot", kLot, "--operator-id", "op-77", "--start",
                     "2024-01-02", "--end", "2027-12-31", "--budget", "1=-5"}),
                2, "--budget");

  auto terms = domain::ParseTermsText(kTerms, "test terms");
  ASSERT_OK(terms);
  ASSERT_OK(domain::ValidateTerms(*terms));
  v1::Event published;
  published.set_event_id("terms-T1-LOT-77");
  published.set_lot_id(kLot);
  published.set_operator_id("france-competences");
  published.mutable_occurred_at()->set_seconds(At("2024-01-02"));
  *published.mutable_terms_published()->mutable_terms() = *terms;
  Produce(contract_, {published});
  written.push_back(v1::Event::kTermsPublished);

  using v1::Level;
  using v1::Modality;
  using v1::SupportKind;
  Produce(activity_, {Request("B1", "2024-04-02"),
                      Appointment("A1", "B1", "2024-04-05", Level::LEVEL_1_WELCOME,
                                  Modality::IN_PERSON, SupportKind::ONE_OFF),
                      Appointment("A2", "B1", "2024-05-10", Level::LEVEL_2_SUPPORT,
                                  Modality::IN_PERSON, SupportKind::LONG_TERM),
                      Survey("B1", "2024-05-20", 9), Request("B2", "2024-04-03"),
                      Appointment("A3", "B2", "2024-04-08", Level::LEVEL_1_WELCOME, Modality::PHONE,
                                  SupportKind::ONE_OFF),
                      Survey("B2", "2024-04-20", 6), Request("B3", "2024-05-02"),
                      Appointment("A4", "B3", "2024-05-06", Level::LEVEL_1_WELCOME,
                                  Modality::IN_PERSON, SupportKind::ONE_OFF),
                      Appointment("A5", "B3", "2024-06-03", Level::LEVEL_2_SUPPORT,
                                  Modality::IN_PERSON, SupportKind::LONG_TERM),
                      Survey("B3", "2024-06-10", 10),
                      Appointment("A6", "B4", "2024-06-25", Level::LEVEL_2_SUPPORT,
                                  Modality::IN_PERSON, SupportKind::LONG_TERM, "2024-07-20")});
  ASSERT_NO_FATAL_FAILURE(CatchUp());

  // 2. A corrective action for the breached KPI; refusals first.
  ExpectRefused(Ctl({"action", "open", "--lot", "LOT-99", "--kpi", "satisfaction", "--due",
                     "2024-09-15", "--description", "x", "--on", "2024-07-20"}),
                5, "--lot");
  ExpectRefused(Ctl({"action", "open", "--lot", kLot, "--kpi", "satisfaction", "--due",
                     "2024-13-01", "--description", "x", "--on", "2024-07-20"}),
                2, "--due");
  ExpectRefused(Ctl({"action", "open", "--lot", kLot, "--kpi", "no_such_kpi", "--period", "2024-Q2",
                     "--due", "2024-09-15", "--description", "x", "--on", "2024-07-20"}),
                2, "--kpi");
  ExpectRefused(Ctl({"penalty", "confirm", "--lot", kLot, "--penalty", kPenalty, "--by", "pilote",
                     "--reason", "x", "--on", "2024-07-20"}),
                5, "--penalty");
  auto dry = Ctl({"action", "open", "--lot", kLot, "--id", "ACT-1", "--kpi", "satisfaction",
                  "--period", "2024-Q2", "--due", "2024-09-15", "--description",
                  "Relancer les enquêtes de satisfaction", "--on", "2024-07-20", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("\"corrective_action_opened\""), std::string::npos) << dry.output;
  EXPECT_NE(dry.output.find("\"due_date\": \"2024-09-15\""), std::string::npos) << dry.output;
  auto opened = Ctl({"action", "open", "--lot", kLot, "--id", "ACT-1", "--kpi", "satisfaction",
                     "--period", "2024-Q2", "--due", "2024-09-15", "--description",
                     "Relancer les enquêtes de satisfaction", "--on", "2024-07-20"});
  ASSERT_EQ(opened.code, 0) << opened.output;
  written.push_back(v1::Event::kCorrectiveActionOpened);

  auto review = Ctl({"review", "record", "--lot", kLot, "--period", "2024-Q2", "--held-on",
                     "2024-07-18", "--finding", "Satisfaction en baisse", "--decision",
                     "Action corrective ACT-1", "--on", "2024-07-18"});
  ASSERT_EQ(review.code, 0) << review.output;
  written.push_back(v1::Event::kReviewHeld);
  ExpectRefused(Ctl({"review", "record", "--lot", kLot, "--period", "2024-Q5", "--finding", "x",
                     "--on", "2024-07-18"}),
                2, "--period");

  // 3. The penalty job's proposal (23 points x 10 EUR), run on 16 July: the
  // operator is notified that day and may answer until 16 + 15 = 31 July.
  v1::Event proposal;
  proposal.set_event_id("proposal-1");
  proposal.set_lot_id(kLot);
  proposal.set_operator_id("france-competences");
  proposal.mutable_occurred_at()->set_seconds(At("2024-07-16"));
  auto* p = proposal.mutable_penalty_proposed();
  p->set_penalty_id(kPenalty);
  p->set_period("2024-Q2");
  p->set_rule_id("satisfaction_shortfall");
  p->set_terms_version("T1");
  p->set_formula("10,00 EUR x 23");
  p->set_computed_cents(23000);
  p->set_amount_cents(23000);
  p->set_notified_on("2024-07-16");
  p->set_observation_deadline("2024-07-31");
  Produce(contract_, {proposal});
  written.push_back(v1::Event::kPenaltyProposed);
  ASSERT_NO_FATAL_FAILURE(CatchUp());

  // 4. Confirming before the deadline without observations is refused.
  ExpectRefused(Ctl({"penalty", "confirm", "--lot", kLot, "--penalty", kPenalty, "--by", "pilote",
                     "--reason", "x", "--on", "2024-07-25"}),
                3, "31/07/2024");
  // A reason is required to confirm, as to waive (issue 18 point 9).
  ExpectRefused(Ctl({"penalty", "confirm", "--lot", kLot, "--penalty", kPenalty, "--by", "pilote",
                     "--on", "2024-08-01"}),
                2, "--reason");
  ExpectRefused(Ctl({"penalty", "observations", "--lot", kLot, "--penalty", kPenalty, "--text", "x",
                     "--received-on", "26/07/2024", "--on", "2024-07-26"}),
                2, "--received-on");
  auto observed = Ctl({"penalty", "observations", "--lot", kLot, "--penalty", kPenalty, "--text",
                       "Enquêtes perturbées par un incident informatique", "--received-on",
                       "2024-07-26", "--on", "2024-07-26"});
  ASSERT_EQ(observed.code, 0) << observed.output;
  written.push_back(v1::Event::kObservationsReceived);
  ASSERT_NO_FATAL_FAILURE(CatchUp());

  auto confirmed =
      Ctl({"penalty", "confirm", "--lot", kLot, "--penalty", kPenalty, "--by", "pilote-national",
           "--reason", "observations non recevables", "--on", "2024-08-01"});
  ASSERT_EQ(confirmed.code, 0) << confirmed.output;
  written.push_back(v1::Event::kPenaltyConfirmed);
  ASSERT_NO_FATAL_FAILURE(CatchUp());
  ExpectRefused(Ctl({"penalty", "waive", "--lot", kLot, "--penalty", kPenalty, "--by", "pilote",
                     "--reason", "x", "--on", "2024-08-02"}),
                3, "déjà confirmée");

  // 5. The ledger and the actions.
  const auto ledger = Json({"ledger", "--lot", kLot, "--on", "2024-08-02", "--json"});
  ASSERT_EQ(ledger["penalties"].size(), 1u) << ledger.dump(2);
  const auto& pen = ledger["penalties"][0];
  EXPECT_EQ(pen["penalty_id"], kPenalty);
  EXPECT_EQ(pen["state"], "CONFIRMED");
  EXPECT_EQ(pen["state_label"], "confirmée");
  EXPECT_EQ(pen["amount_cents"], 23000);
  EXPECT_EQ(pen["proposed_on"], "2024-07-16");
  EXPECT_EQ(pen["observation_deadline"], "2024-07-31");
  EXPECT_EQ(pen["observations_on"], "2024-07-26");
  EXPECT_EQ(pen["decided_on"], "2024-08-01");
  EXPECT_EQ(pen["decided_by"], "pilote-national");
  EXPECT_TRUE(ledger["past_deadline_undecided"].empty());
  EXPECT_EQ(ledger["totals"]["confirmed_cents"], 23000);
  auto table = Ctl({"ledger", "--lot", kLot, "--on", "2024-08-02"}, false);
  ASSERT_EQ(table.code, 0) << table.output;
  EXPECT_NE(table.output.find("confirmée"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("230,00\u00a0€"), std::string::npos) << table.output;

  // 16 days late on 1 October (due 15 September), still open.
  const auto actions = Json({"actions", "--lot", kLot, "--on", "2024-10-01", "--json"});
  ASSERT_EQ(actions["actions"].size(), 1u) << actions.dump(2);
  EXPECT_EQ(actions["actions"][0]["action_id"], "ACT-1");
  EXPECT_EQ(actions["actions"][0]["state"], "OVERDUE");
  EXPECT_EQ(actions["actions"][0]["days_late"], 16);

  ExpectRefused(Ctl({"action", "close", "--lot", kLot, "--id", "ACT-404", "--evidence", "x", "--on",
                     "2024-09-20"}),
                5, "--id");
  auto closed = Ctl({"action", "close", "--lot", kLot, "--id", "ACT-1", "--evidence",
                     "Enquêtes relancées, taux de réponse rétabli", "--on", "2024-09-20"});
  ASSERT_EQ(closed.code, 0) << closed.output;
  written.push_back(v1::Event::kCorrectiveActionClosed);
  ASSERT_NO_FATAL_FAILURE(CatchUp());
  ExpectRefused(Ctl({"action", "close", "--lot", kLot, "--id", "ACT-1", "--evidence", "x", "--on",
                     "2024-09-21"}),
                3, "déjà clôturée");
  const auto closed_actions = Json({"actions", "--lot", kLot, "--on", "2024-10-01", "--json"});
  EXPECT_EQ(closed_actions["actions"][0]["state"], "CLOSED_LATE");
  EXPECT_EQ(closed_actions["actions"][0]["days_late"], 5);  // due 15, closed 20 September

  // --on D shows things as known on D (issue 18 point 9): nothing recorded
  // after it. On 19 September the action was still open (closed on the 20th),
  // 4 days late; on 30 July the penalty had observations (26 July) but no
  // decision (1 August); on 15 July it was not notified yet (16 July).
  const auto before_closing = Json({"actions", "--lot", kLot, "--on", "2024-09-19", "--json"});
  ASSERT_EQ(before_closing["actions"].size(), 1u) << before_closing.dump(2);
  EXPECT_EQ(before_closing["actions"][0]["state"], "OVERDUE");
  EXPECT_EQ(before_closing["actions"][0]["days_late"], 4);
  const auto before_decision = Json({"ledger", "--lot", kLot, "--on", "2024-07-30", "--json"});
  ASSERT_EQ(before_decision["penalties"].size(), 1u) << before_decision.dump(2);
  EXPECT_EQ(before_decision["penalties"][0]["state"], "OBSERVATIONS_RECEIVED");
  EXPECT_EQ(before_decision["penalties"][0]["decided_on"], "");
  EXPECT_EQ(before_decision["totals"]["confirmed_cents"], 0);
  const auto before_notice = Json({"ledger", "--lot", kLot, "--on", "2024-07-15", "--json"});
  EXPECT_TRUE(before_notice["penalties"].empty()) << before_notice.dump(2);

  // 6. The statement, by hand (see the top of the file).
  ExpectRefused(Ctl({"statement", "--lot", kLot, "--period", "2024-Q3", "--issue", "--by", "pilote",
                     "--on", "2024-08-02", "--activity-topic", activity_}),
                3, "--issue");
  const auto st =
      Json({"statement", "--lot", kLot, "--period", "2024-Q2", "--on", "2024-08-02", "--json"});
  EXPECT_EQ(st["statement_id"], "STMT-LOT-77-2024-Q2");
  EXPECT_EQ(st["terms_version"], "T1");
  ASSERT_EQ(st["fees"].size(), 3u) << st.dump(2);
  EXPECT_EQ(st["fees"][0]["appointments"], 2);  // L1 in person
  EXPECT_EQ(st["fees"][0]["amount_cents"], 16000);
  EXPECT_EQ(st["fees"][1]["amount_cents"], 6500);  // L1 phone
  EXPECT_EQ(st["fees"][2]["appointments"], 2);     // L2 in person long term
  EXPECT_EQ(st["fees"][2]["amount_cents"], 44000);
  EXPECT_EQ(st["fees_cents"], 66500);
  EXPECT_EQ(st["late_appointments"], 1);
  EXPECT_EQ(st["variable_cents"], 30000);
  EXPECT_EQ(st["penalties_cents"], 23000);
  EXPECT_EQ(st["net_amount_cents"], 73500);
  EXPECT_EQ(st["fund_usage"]["cumulative_cents"], 73500);
  EXPECT_EQ(st["fund_usage"]["budget_envelope_cents"], 140000);
  EXPECT_EQ(st["fund_usage"]["elapsed_days"], 181);
  EXPECT_EQ(st["fund_usage"]["year_days"], 366);
  EXPECT_EQ(st["fund_usage"]["projected_cents"], 148624);
  EXPECT_EQ(st["fund_usage"]["projection_exceeds_envelope"], true);
  EXPECT_EQ(st["issued"], false);

  auto issued = Ctl({"statement", "--lot", kLot, "--period", "2024-Q2", "--issue", "--by",
                     "pilote-national", "--on", "2024-08-02", "--activity-topic", activity_});
  ASSERT_EQ(issued.code, 0) << issued.output;
  EXPECT_NE(issued.output.find("NET À PAYER"), std::string::npos) << issued.output;
  EXPECT_NE(issued.output.find("735,00\u00a0€"), std::string::npos) << issued.output;
  EXPECT_NE(issued.output.find("acks=all"), std::string::npos) << issued.output;
  written.push_back(v1::Event::kPaymentStatementIssued);
  ASSERT_NO_FATAL_FAILURE(CatchUp());
  const auto after =
      Json({"statement", "--lot", kLot, "--period", "2024-Q2", "--on", "2024-08-02", "--json"});
  EXPECT_EQ(after["issued"], true);
  EXPECT_EQ(after["issued_net_amount_cents"], 73500);
  const auto listed = Json({"statements", "--lot", kLot, "--json"});
  ASSERT_EQ(listed["statements"].size(), 1u) << listed.dump(2);
  EXPECT_EQ(listed["statements"][0]["period"], "2024-Q2");
  EXPECT_EQ(listed["statements"][0]["cumulative_fund_usage_cents"], 73500);
  EXPECT_EQ(listed["statements"][0]["issued_by"], "pilote-national");
  // Provenance (decision 0027): the store's folded position it was computed
  // from; on the contract topic, every contract event written before it.
  int64_t contract_read = -1;
  for (const auto& o : listed["statements"][0]["input_offsets"]) {
    if (o["topic"] == contract_) contract_read = o["next_offset"].get<int64_t>();
  }
  EXPECT_EQ(contract_read, static_cast<int64_t>(written.size()) - 1) << listed.dump(2);
  const auto reviews = Json({"reviews", "--lot", kLot, "--json"});
  ASSERT_EQ(reviews["reviews"].size(), 1u) << reviews.dump(2);
  EXPECT_EQ(reviews["reviews"][0]["held_on"], "2024-07-18");
  EXPECT_EQ(reviews["reviews"][0]["findings"][0], "Satisfaction en baisse");

  // 7. The topic holds exactly the accepted commands' events, in order: no
  // refused command wrote anything (a refused one would sit before the last).
  const auto values = testing::ReadTopic(broker_.bootstrap, contract_, written.size());
  ASSERT_EQ(values.size(), written.size());
  for (size_t i = 0; i < values.size(); ++i) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(values[i]));
    EXPECT_EQ(e.body_case(), written[i]) << "message " << i << ": " << e.ShortDebugString();
    EXPECT_EQ(e.lot_id(), kLot);
  }
}

}  // namespace
}  // namespace pilotage
