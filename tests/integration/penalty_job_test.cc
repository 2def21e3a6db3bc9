// The penalty job end to end, through the real broker: activity events of a
// lot that misses its first-appointment target, its award and terms ->
// pilotage-projector -> pilotage-penalty-job -> contract events ->
// pilotage-projector -> the lot's ledger (ReadSteering) holds the proposal and
// the corrective action. Run again, the job sends nothing new and reports the
// ledger's proposal and action (decision 0027).
//
// The scenario, worked out by hand:
//  - LOT-11, awarded from 2024-01-02 with 1 000 000 EUR for contract year 1;
//  - terms 2024.1: first appointment within 10 working days, target 80 %,
//    at least 4 measured, 1 000 EUR per whole point below target plus 10 %
//    of the period's fees, corrective action due 30 days after closing;
//    80 EUR per first-level appointment in person; threshold 1 000 EUR, cap
//    10 % of the annual amount; closing 15 days after the period, 15 days
//    for observations;
//  - Q2 2024: 10 requests on Tuesday 2 April; 5 first appointments on
//    3 April (1 working day later), 5 on 30 May (far beyond 10 working days).
//    KPI = 5 / 10 = 50 %, 30 whole points below 80 %: BREACHED.
//  - Fees: 10 appointments x 80 EUR = 800 EUR.
//  - Penalty: 30 x 1 000 EUR + 800 EUR x 1000 / 10000 = 30 000 + 80 =
//    30 080 EUR (3 008 000 cents); above the 1 000 EUR threshold; cap
//    100 000 EUR, nothing earlier: 30 080 EUR.
//    Q2 closes on 30 June + 15 = 15 July; run on that day, the operator is
//    notified then and may answer until 15 July + 15 = 30 July.
//  - Corrective action due 15 July + 30 days = 14 August 2024.
//  - Run late, on Tuesday 20 August 2024 (36 days after the closing): the
//    operator is notified that day and may answer until 20 August + 15 =
//    4 September (calendar days: 11 left in August + 4); the penalty can be
//    confirmed from 5 September.
//  - Its statement (pilotagectl statement), Q2: fees 10 first-level
//    appointments in person x 80 EUR = 800 EUR (80 000 cents), no bonus rule
//    (variable 0), the confirmed penalty 30 080 EUR: net 800 - 30 080 =
//    -29 280 EUR (-2 928 000 cents).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/penalty.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/penalty_job/job.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/testing/broker.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;

// The scenario's terms (see the top of the file): testing::FirstAppointmentTerms
// (1 000 EUR per point) plus 10 % of the period's fees, and 80 EUR per
// first-level appointment in person.
v1::ContractTerms Terms() {
  v1::ContractTerms terms = testing::FirstAppointmentTerms();
  terms.mutable_penalty_rules(0)->set_share_of_fees_bp(1000);
  auto* price = terms.add_unit_prices();
  price->set_level(v1::Level::LEVEL_1_WELCOME);
  price->set_modality(v1::Modality::IN_PERSON);
  price->set_amount_cents(8000);
  return terms;
}

int64_t Noon(absl::CivilDay day) {
  // 12:00 UTC is the same day in Paris.
  return absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone())) + 12 * 3600;
}

v1::Event Envelope(const std::string& id, int64_t at) {
  v1::Event e;
  e.set_event_id(id);
  e.set_lot_id("LOT-11");
  e.set_operator_id("op-cibc-idf");
  e.mutable_occurred_at()->set_seconds(at);
  e.mutable_recorded_at()->set_seconds(at);
  return e;
}

std::vector<v1::Event> Activity() {
  std::vector<v1::Event> out;
  for (int i = 0; i < 10; ++i) {
    const std::string who = "benef-" + std::to_string(i);
    v1::Event request = Envelope("req-" + who, Noon(absl::CivilDay(2024, 4, 2)));
    request.mutable_request_received()->set_beneficiary(who);
    request.mutable_request_received()->set_channel(v1::Channel::PHONE);
    out.push_back(request);
    v1::Event seen = Envelope(
        "app-" + who, Noon(i < 5 ? absl::CivilDay(2024, 4, 3) : absl::CivilDay(2024, 5, 30)));
    auto* a = seen.mutable_appointment_held();
    a->set_beneficiary(who);
    a->set_appointment_id("rdv-" + who);
    a->set_level(v1::Level::LEVEL_1_WELCOME);
    a->set_modality(v1::Modality::IN_PERSON);
    a->set_kind(v1::SupportKind::ONE_OFF);
    a->set_departement("75");
    out.push_back(seen);
  }
  return out;
}

std::vector<v1::Event> Contract() {
  v1::Event award = testing::AwardOf("LOT-11");
  v1::Event terms = Envelope("terms-2024.1-LOT-11", 1700000000);
  terms.set_operator_id("france-competences");
  *terms.mutable_terms_published()->mutable_terms() = Terms();
  return {award, terms};
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class PenaltyJobEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::ConnectBroker(broker_, {activity_, contract_, dead_letters_}));
    ASSERT_NO_FATAL_FAILURE(testing::ProduceEvents(*broker_.producer, contract_, Contract()));
    ASSERT_NO_FATAL_FAILURE(testing::ProduceEvents(*broker_.producer, activity_, Activity()));
  }

  // Folds everything on both topics into data_, then returns.
  void Project() {
    // Bootstrap, data, topics, dead-letter topic, group, log.
    testing::RunProjectorUntilCaughtUp(
        PILOTAGE_PROJECTOR_BIN,
        {broker_.bootstrap, data_, activity_ + "," + contract_, dead_letters_,
         "penalty-job-" + contract_, dir_.path() / "projector.log"});
  }

  testing::RunResult Job(std::vector<std::string> extra, bool with_stderr = false) {
    std::vector<std::string> args = {"--data",
                                     data_.string(),
                                     "--period",
                                     "2024-Q2",
                                     "--topic",
                                     contract_,
                                     "--activity-topic",
                                     activity_,
                                     "--catch-up-wait",
                                     "0s",
                                     "--bootstrap",
                                     broker_.bootstrap,
                                     "--transactional-id",
                                     "penalty-job-" + contract_};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::RunProgram(PILOTAGE_PENALTY_JOB_BIN, args, with_stderr);
  }

  // The contract partition's end offset as a read_committed client sees it:
  // records, and one marker per transaction committed or aborted (decision
  // 0026); an open transaction's records not yet.
  //
  // A commit returns once the coordinator logged it; it writes the markers
  // to the partition just after, and only then do the records become
  // visible. So this waits (bounded) until the end reaches `expected`, and
  // returns the end it saw last: a condition, not a delay.
  int64_t ContractMessages(int64_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int64_t high = -1;
    do {
      auto marks = broker_.admin->QueryWatermarks({contract_, 0});
      EXPECT_OK(marks);
      if (!marks.ok()) return -1;
      high = marks->high;
    } while (high < expected && std::chrono::steady_clock::now() < deadline);
    return high;
  }

  // The job run in-process on this fixture's store and topic, as if on
  // `today`.
  penalty_job::JobOptions InProcess(absl::CivilDay today) const {
    return {.data_dir = data_,
            .period = "2024-Q2",
            .bootstrap = broker_.bootstrap,
            .topic = contract_,
            .activity_topic = activity_,
            .catch_up_wait = absl::ZeroDuration(),
            .transactional_id = "penalty-job-" + contract_,
            .today = today};
  }

  readmodel::SteeringReadModel Ledger() {
    auto view = readmodel::ReadStore::OpenReadOnly(data_);
    EXPECT_OK(view);
    if (!view.ok()) return {};
    auto steering = readmodel::ReadSteering((*view)->store(), "LOT-11");
    EXPECT_OK(steering);
    return steering.ok() ? *steering : readmodel::SteeringReadModel{};
  }

  std::string activity_ = testing::UniqueTopic("job.activity");
  std::string contract_ = testing::UniqueTopic("job.contract");
  std::string dead_letters_ = testing::UniqueTopic("job.dead");
  testing::BrokerClients broker_;
  testing::TempDir dir_;
  fs::path data_ = dir_.path() / "projector";
};

TEST_F(PenaltyJobEndToEnd, ProposesOnceFoldsIntoTheLedgerAndRerunsFromTheLedger) {
  Project();
  ASSERT_EQ(ContractMessages(2), 2);  // award and terms

  // Too early: Q2 closes on 15 July.
  auto early = Job({"--today", "2024-07-14"});
  EXPECT_EQ(early.code, 7) << early.output;
  EXPECT_EQ(ContractMessages(2), 2);

  // A dry run plans and prints but sends nothing.
  auto dry = Job({"--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.output;
  EXPECT_NE(dry.output.find("simulation, rien n'est envoyé"), std::string::npos) << dry.output;
  EXPECT_EQ(ContractMessages(2), 2);

  const fs::path textfile = dir_.path() / "penalty_job.prom";
  auto first = Job({"--today", "2024-07-15", "--report", (dir_.path() / "first.json").string(),
                    "--metrics-textfile", textfile.string()});
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_EQ(ContractMessages(5), 5);  // + the action, the proposal, the commit marker
  EXPECT_NE(first.output.find(
                "Formule : 1 000,00 EUR x 30 + 800,00 EUR x 1000 / 10000 = 30\u202f080,00\u00a0€"),
            std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("5 premiers rendez-vous tenus sous 10 jours ouvrés sur 10"),
            std::string::npos)
      << first.output;
  EXPECT_NE(first.output.find("pilotagectl counters --lot LOT-11 --period 2024-Q2"),
            std::string::npos)
      << first.output;
  const std::string metrics = ReadAll(textfile);
  EXPECT_NE(metrics.find("pilotage_penalty_job_proposals{lot=\"LOT-11\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("pilotage_penalty_job_amount_cents{lot=\"LOT-11\"} 3008000"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("pilotage_penalty_job_last_run_success 1"), std::string::npos) << metrics;

  // Rerun before the projector folded the first run: the store is 3 behind
  // the contract partition (the action, the proposal, the commit marker), so
  // the job refuses it, saying so (decision 0028), and sends nothing.
  auto early_rerun = Job({"--today", "2024-07-15"}, /*with_stderr=*/true);
  EXPECT_EQ(early_rerun.code, 10) << early_rerun.output;
  EXPECT_NE(early_rerun.output.find(contract_ + "/0 de 3 événement(s) (intégrée jusqu'à 2, fin du "
                                                "journal 5)"),
            std::string::npos)
      << early_rerun.output;
  EXPECT_EQ(ContractMessages(5), 5);

  Project();
  const auto ledger = Ledger();
  ASSERT_EQ(ledger.penalties.size(), 1u);
  const auto& p = ledger.penalties[0].proposed();
  EXPECT_EQ(p.penalty_id(),
            domain::PenaltyId("LOT-11", "2024-Q2", "first_appointment_shortfall", "2024.1"));
  EXPECT_EQ(p.period(), "2024-Q2");
  EXPECT_EQ(p.amount_cents(), 3008000);
  EXPECT_EQ(p.computed_cents(), 3008000);
  EXPECT_EQ(p.notified_on(), "2024-07-15");
  EXPECT_EQ(p.observation_deadline(), "2024-07-30");
  ASSERT_EQ(ledger.actions.size(), 1u);
  const auto& a = ledger.actions[0].opened();
  EXPECT_EQ(a.kpi_id(), "first_appointment_delay");
  EXPECT_EQ(a.due_date(), "2024-08-14");
  EXPECT_EQ(a.period(), "2024-Q2");
  EXPECT_TRUE(ledger.actions[0].closed().action_id().empty());

  // Provenance: the store it was computed from had folded the 20 activity
  // events and the award and terms.
  ASSERT_EQ(p.input_offsets_size(), 2) << p.DebugString();
  EXPECT_EQ(p.input_offsets(0).topic(), activity_);
  EXPECT_EQ(p.input_offsets(0).next_offset(), 20);
  EXPECT_EQ(p.input_offsets(1).topic(), contract_);
  EXPECT_EQ(p.input_offsets(1).next_offset(), 2);
  EXPECT_NE(first.output.find("Calculée sur : conditions 2024.1 ; données " + activity_ +
                              "/0 < 20, " + contract_ + "/0 < 2"),
            std::string::npos)
      << first.output;

  // After folding (the projector's progress is past the commit marker, or
  // the job would find the store 1 behind): nothing new; the period is
  // priced, the report shows the ledger's proposal and action, the same as
  // the first run's.
  auto second = Job({"--today", "2024-07-15", "--report", (dir_.path() / "second.json").string()});
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_EQ(ContractMessages(5), 5);
  EXPECT_NE(second.output.find("Période déjà tarifée"), std::string::npos) << second.output;
  auto proposals_of = [&](const std::string& file) {
    auto json = nlohmann::json::parse(ReadAll(dir_.path() / file), nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << file;
    if (json.is_discarded()) return nlohmann::json();
    nlohmann::json out = json["lots"][0]["proposals"];
    for (auto& p : out) p.erase("in_ledger");
    return out;
  };
  const auto first_proposals = proposals_of("first.json");
  ASSERT_EQ(first_proposals.size(), 1u);
  EXPECT_EQ(proposals_of("second.json"), first_proposals);

  // What-if: 500 EUR per point instead of 1 000: 15 000 + 80 = 15 080 EUR,
  // 15 000 EUR less; nothing sent.
  v1::ContractTerms draft = Terms();
  draft.set_version("2024.2");
  draft.mutable_penalty_rules(0)->set_amount_per_point_cents(50000);
  std::string draft_text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(draft, &draft_text));
  const fs::path draft_file = dir_.path() / "draft.textproto";
  std::ofstream(draft_file) << draft_text;
  auto what_if = Job({"--terms", draft_file.string(), "--what-if"});
  ASSERT_EQ(what_if.code, 0) << what_if.output;
  EXPECT_NE(
      what_if.output.find("30\u202f080,00\u00a0€ → 15\u202f080,00\u00a0€ (-15\u202f000,00\u00a0€)"),
      std::string::npos)
      << what_if.output;
  EXPECT_EQ(ContractMessages(5), 5);
}

TEST_F(PenaltyJobEndToEnd, ALateRunGivesTheFullDelayThenTheConfirmedPenaltyIsDeducted) {
  Project();
  const std::string id =
      domain::PenaltyId("LOT-11", "2024-Q2", "first_appointment_shortfall", "2024.1");

  // Run 36 days after the closing: 15 days from the run day, not from the
  // closing (which would end on 30 July, before the operator hears of it).
  auto late = Job({"--today", "2024-08-20", "--report", (dir_.path() / "late.json").string()});
  ASSERT_EQ(late.code, 0) << late.output;
  EXPECT_EQ(ContractMessages(5), 5);  // + the action, the proposal, the commit marker
  EXPECT_NE(late.output.find("Proposé : 30\u202f080,00\u00a0€ ; observations jusqu'au 04/09/2024"),
            std::string::npos)
      << late.output;
  // The same day again: before the projector folded it, refused (the store
  // is behind); after, the period is priced: the ledger's, nothing sent.
  auto again = Job({"--today", "2024-08-20"});
  EXPECT_EQ(again.code, 10) << again.output;
  Project();
  auto folded = Job({"--today", "2024-08-20", "--report", (dir_.path() / "folded.json").string()});
  ASSERT_EQ(folded.code, 0) << folded.output;
  EXPECT_NE(folded.output.find("Période déjà tarifée"), std::string::npos) << folded.output;
  EXPECT_NE(
      folded.output.find("Proposé : 30\u202f080,00\u00a0€ ; observations jusqu'au 04/09/2024"),
      std::string::npos)
      << folded.output;
  EXPECT_EQ(ContractMessages(5), 5);

  const auto ledger = Ledger();
  ASSERT_EQ(ledger.penalties.size(), 1u);
  EXPECT_EQ(ledger.penalties[0].proposed().penalty_id(), id);
  EXPECT_EQ(ledger.penalties[0].proposed().notified_on(), "2024-08-20");
  EXPECT_EQ(ledger.penalties[0].proposed().observation_deadline(), "2024-09-04");

  // A later run shows the deadline the operator was given, not a new one,
  // and sends nothing.
  auto later = Job({"--today", "2024-09-10"});
  ASSERT_EQ(later.code, 0) << later.output;
  EXPECT_NE(later.output.find("observations jusqu'au 04/09/2024"), std::string::npos)
      << later.output;
  EXPECT_EQ(ContractMessages(5), 5);

  // Confirming on the deadline (no observations) is refused; the day after,
  // accepted.
  // pilotagectl on the projector's data; writing commands to the broker.
  auto ctl = [&](std::vector<std::string> args, bool writes = true) {
    std::vector<std::string> all = {"--data", data_.string()};
    all.insert(all.end(), args.begin(), args.end());
    if (writes) all.insert(all.end(), {"--bootstrap", broker_.bootstrap, "--topic", contract_});
    return testing::RunProgram(PILOTAGECTL_BIN, all, /*with_stderr=*/writes);
  };
  auto early = ctl({"penalty", "confirm", "--lot", "LOT-11", "--penalty", id, "--by",
                    "pilote-national", "--reason", "x", "--on", "2024-09-04"});
  EXPECT_EQ(early.code, 3) << early.output;
  EXPECT_NE(early.output.find("jusqu'au 04/09/2024 inclus"), std::string::npos) << early.output;
  EXPECT_EQ(ContractMessages(5), 5);
  auto confirmed = ctl({"penalty", "confirm", "--lot", "LOT-11", "--penalty", id, "--by",
                        "pilote-national", "--reason", "aucune observation", "--on", "2024-09-05"});
  ASSERT_EQ(confirmed.code, 0) << confirmed.output;
  EXPECT_EQ(ContractMessages(6), 6);  // pilotagectl sends outside transactions: no marker
  Project();

  // The statement of Q2 deducts it (figures at the top of the file).
  auto st =
      ctl({"statement", "--lot", "LOT-11", "--period", "2024-Q2", "--on", "2024-09-06", "--json"},
          false);
  ASSERT_EQ(st.code, 0) << st.output;
  const auto json = nlohmann::json::parse(st.output, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << st.output;
  EXPECT_EQ(json["fees_cents"], 80000) << json.dump(2);
  EXPECT_EQ(json["variable_cents"], 0);
  ASSERT_EQ(json["penalties"].size(), 1u) << json.dump(2);
  EXPECT_EQ(json["penalties"][0]["penalty_id"], id);
  EXPECT_EQ(json["penalties"][0]["amount_cents"], 3008000);
  EXPECT_EQ(json["penalties_cents"], 3008000);
  EXPECT_EQ(json["net_amount_cents"], -2928000);
  auto text =
      ctl({"statement", "--lot", "LOT-11", "--period", "2024-Q2", "--on", "2024-09-06"}, false);
  ASSERT_EQ(text.code, 0) << text.output;
  EXPECT_NE(text.output.find("-30\u202f080,00\u00a0€"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("-29\u202f280,00\u00a0€"), std::string::npos) << text.output;
}

// Issue 16 point 3, decision 0026: two jobs at once, through their whole
// path (store, plan, send). Job A (run on 15 July) writes its proposal and
// action in its transaction; just before it commits, job B (run on 20 August,
// same transactional.id) reads the same store and sends: B's initialisation
// fences A and aborts A's transaction. A's commit then fails as fenced (exit
// code 9, nothing sent), B commits, and the ledger holds B's proposal only,
// once: notified 20 August, observations until 4 September (the top of the
// file). Had the projector folded A's uncommitted records, the ledger would
// hold 15 July (A's records come first in the log; B's have the same ids).
TEST_F(PenaltyJobEndToEnd, ASecondJobFencesTheFirstAndOnlyItsProposalsReachTheLedger) {
  Project();
  penalty_job::JobOptions b = InProcess(absl::CivilDay(2024, 8, 20));
  penalty_job::JobOptions a = b;
  a.today = absl::CivilDay(2024, 7, 15);
  absl::Status b_result = absl::UnknownError("job B did not run");
  std::ostringstream b_out, b_err;
  a.before_commit = [&] {
    // A's two events are written but not committed: the stable end offset
    // has not moved (the final count shows they were written).
    EXPECT_EQ(ContractMessages(2), 2);
    b_result = penalty_job::RunJob(b, b_out, b_err);
  };
  std::ostringstream a_out, a_err;
  const absl::Status a_result = penalty_job::RunJob(a, a_out, a_err);

  ASSERT_OK(b_result) << b_err.str();
  EXPECT_TRUE(kafka::IsFenced(a_result)) << a_result;
  EXPECT_EQ(penalty_job::ExitCode(a_result), 9);
  EXPECT_NE(a_result.message().find("penalty-job-" + contract_), std::string::npos) << a_result;
  EXPECT_NE(a_result.message().find("this one sent nothing"), std::string::npos) << a_result;
  // Award and terms, A's 2 events, the abort marker, B's 2 events, B's
  // commit marker.
  EXPECT_EQ(ContractMessages(8), 8);

  Project();
  const auto ledger = Ledger();
  ASSERT_EQ(ledger.penalties.size(), 1u);
  EXPECT_EQ(ledger.penalties[0].proposed().amount_cents(), 3008000);
  const auto& p = ledger.penalties[0].proposed();
  EXPECT_EQ(p.notified_on(), "2024-08-20");
  EXPECT_EQ(p.observation_deadline(), "2024-09-04");
  ASSERT_EQ(ledger.actions.size(), 1u);
  EXPECT_EQ(ledger.actions[0].opened().due_date(), "2024-08-14");

  // The fenced job run again: nothing new to send, exit 0.
  std::ostringstream again_out, again_err;
  penalty_job::JobOptions again = a;
  again.before_commit = nullptr;
  EXPECT_OK(penalty_job::RunJob(again, again_out, again_err)) << again_err.str();
  EXPECT_NE(again_err.str().find("nothing new to send"), std::string::npos) << again_err.str();
  EXPECT_EQ(ContractMessages(8), 8);
}

// Decision 0027 against the real broker: two runs ten weeks apart (the job's
// clock) with the same notification day plan byte-identical events; once the
// first sent and was folded, a rerun on any day sends nothing; and a proposal
// re-priced under the same id (sent by hand) is refused by the fold as a dead
// letter, the ledger keeping the first amount.
TEST_F(PenaltyJobEndToEnd,
       ARerunWeeksLaterPlansTheSameBytesSendsNothingAndARepricingIsDeadLettered) {
  Project();
  penalty_job::JobOptions july = InProcess(absl::CivilDay(2024, 7, 20));
  july.now = absl::FromUnixSeconds(1721462400);  // 2024-07-20T08:00Z
  penalty_job::JobOptions october = july;
  october.now = absl::FromUnixSeconds(1727683200);  // 2024-09-30T08:00Z

  // The events as a dry run prints them (JSON lines on stderr): the same
  // bytes whatever the clock.
  auto dry = [&](penalty_job::JobOptions o) {
    o.dry_run = true;
    std::ostringstream out, err;
    EXPECT_OK(penalty_job::RunJob(o, out, err)) << err.str();
    return err.str();
  };
  const std::string july_events = dry(july);
  EXPECT_NE(july_events.find("penalty-proposed-PEN-"), std::string::npos) << july_events;
  EXPECT_EQ(dry(october), july_events);
  // Stamped with the closing day, 15 July (Paris midnight), not the clock.
  EXPECT_NE(july_events.find("\"occurred_at\":\"2024-07-14T22:00:00Z\""), std::string::npos)
      << july_events;

  // July sends; October, before the projector folded it, finds the store
  // behind and is refused (decision 0028); once folded, October sends
  // nothing: the period is priced.
  {
    std::ostringstream out, err;
    ASSERT_OK(penalty_job::RunJob(july, out, err)) << err.str();
  }
  EXPECT_EQ(ContractMessages(5), 5);  // award, terms, action, proposal, marker
  {
    std::ostringstream out, err;
    EXPECT_EQ(penalty_job::ExitCode(penalty_job::RunJob(october, out, err)), 10) << err.str();
  }
  Project();
  {
    std::ostringstream out, err;
    ASSERT_OK(penalty_job::RunJob(october, out, err)) << err.str();
    EXPECT_NE(err.str().find("nothing new to send"), std::string::npos) << err.str();
    EXPECT_NE(out.str().find("Période déjà tarifée"), std::string::npos) << out.str();
  }
  EXPECT_EQ(ContractMessages(5), 5);
  auto ledger = Ledger();
  ASSERT_EQ(ledger.penalties.size(), 1u);
  ASSERT_EQ(ledger.actions.size(), 1u);
  const v1::PenaltyProposed proposed = ledger.penalties[0].proposed();
  EXPECT_EQ(proposed.amount_cents(), 3008000);
  EXPECT_EQ(proposed.notified_on(), "2024-07-20");
  auto dead = broker_.admin->QueryWatermarks({dead_letters_, 0});
  ASSERT_OK(dead);
  EXPECT_EQ(dead->high, 0);

  // After folding, a run on another notification day: priced already,
  // nothing sent, the ledger's amount and deadline reported.
  auto later = Job({"--today", "2024-10-01"});
  ASSERT_EQ(later.code, 0) << later.output;
  EXPECT_NE(later.output.find("Période déjà tarifée"), std::string::npos) << later.output;
  EXPECT_NE(later.output.find("Proposé : 30\u202f080,00\u00a0€ ; observations jusqu'au 04/08/2024"),
            std::string::npos)
      << later.output;
  EXPECT_EQ(ContractMessages(5), 5);

  // The same penalty id re-priced at 25 000 EUR, sent by hand under another
  // event id: refused by the fold, to the dead letters; the ledger keeps
  // 30 080 EUR.
  v1::Event repriced = Envelope("penalty-proposed-by-hand", Noon(absl::CivilDay(2024, 10, 2)));
  repriced.set_operator_id("france-competences");
  *repriced.mutable_penalty_proposed() = proposed;
  repriced.mutable_penalty_proposed()->set_amount_cents(2500000);
  ASSERT_NO_FATAL_FAILURE(testing::ProduceEvents(*broker_.producer, contract_, {repriced}));
  Project();
  ledger = Ledger();
  ASSERT_EQ(ledger.penalties.size(), 1u);
  EXPECT_EQ(ledger.penalties[0].proposed().amount_cents(), 3008000);
  dead = broker_.admin->QueryWatermarks({dead_letters_, 0});
  ASSERT_OK(dead);
  EXPECT_EQ(dead->high, 1);
}

}  // namespace
}  // namespace pilotage
