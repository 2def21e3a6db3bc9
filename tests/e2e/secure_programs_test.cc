// The programs end to end against the broker of `scripts/kafka start
// --secure` (SASL_SSL, SCRAM, StandardAuthorizer and deploy/kafka/acls.sh),
// each under its own principal with the --kafka-config file the script wrote
// for it (decision 0032):
//  - pilotage-ingest (gateway) writes accepted events to the activity topic;
//  - pilotage-projector (projector) reads both topics and dead-letters a
//    record it cannot read;
//  - pilotage-penalty-job (penalty-job) proposes a penalty in a transaction;
//  - pilotage-query (query) writes a pilot's review to the contract topic;
//  - pilotagectl (pilot) confirms the penalty, recorded under "pilot";
// the projector also reads the gateway's refusals (pilotage.rejected.v1):
// one unreadable body reaches the quality page;
// and the refusals, exit code 11 (service::kExitRefusedByBroker): pilotagectl
// and the penalty job as the gateway's principal on the contract topic
// (nothing written); the projector told to fold a refusals topic its
// principal may not read; the gateway run as the query's principal cannot
// write activity (503, nothing written).
//
// The test's own clients (set-up and checks) act as the super user "admin".
// The topics are the fixed names the ACLs are about: the fixture's broker is
// fresh for each ctest run, and this is the only test that writes activity
// of LOT-11 and LOT-24 to it.
//
// The penalty, worked out by hand (tests/integration/penalty_job_test.cc's
// scenario without unit prices nor share of fees): LOT-11, Q2 2024, 10
// requests on 2 April, 5 first appointments the next day and 5 on 30 May:
// first-appointment KPI 5/10 = 50 %, 30 whole points below the 80 % target,
// 1 000 EUR a point: 30 000 EUR = 3 000 000 cents; over the 1 000 EUR
// threshold, under the cap (10 % of 1 000 000 EUR). Run on 15 July 2024 (the
// closing), the observation deadline is 30 July: confirmable on 1 August.
#include <openssl/sha.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/posted_event.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

const fs::path kDir = PILOTAGE_KAFKA_SECURE_DIR;
constexpr char kActivity[] = "pilotage.activity.v1";
constexpr char kContract[] = "pilotage.contract.v1";
constexpr char kDeadLetters[] = "pilotage.deadletter.v1";
constexpr char kRejected[] = "pilotage.rejected.v1";
constexpr int kRefusedByBroker = 11;
constexpr char kOperatorToken[] = "secure-e2e-operator-token-4f1c9a";
constexpr char kPilotToken[] = "secure-e2e-pilot-token-8d2e7b";

std::string ClientFile(const std::string& user) {
  return (kDir / "clients" / (user + ".properties")).string();
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  for (unsigned char b : digest) hex += fmt::format("{:02x}", b);
  return hex;
}

// A request of LOT-24 (operator op-cibc-cvl, Centre-Val de Loire) by a new
// beneficiary, as an operator posts it.
json RequestOfLot24(const std::string& id, const std::string& beneficiary) {
  return testing::PostedRequest(id, "LOT-24", beneficiary, "45");
}

// Waits (bounded) for a program to write its port file; -1 if it does not.
int PortFrom(const fs::path& file, pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(file);
    int port = -1;
    if (in >> port && port > 0) return port;
    if (testing::WaitExitWithin(pid, 0ms) != -1) return -1;  // it exited
    std::this_thread::sleep_for(50ms);                       // polling a condition
  }
  return -1;
}

class SecurePrograms : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kDir / "bootstrap");
    ASSERT_TRUE(std::getline(in, bootstrap_) && !bootstrap_.empty())
        << "no " << (kDir / "bootstrap") << ": is the kafka_secure fixture running?";
    ASSERT_OK(kafka::InstallClientConfig(ClientFile("admin")));
  }

  void TearDown() override {
    for (pid_t pid : running_) {
      ::kill(pid, SIGTERM);
      testing::WaitExit(pid);
    }
  }

  pid_t Start(const std::string& program, const std::vector<std::string>& args,
              const std::string& name) {
    const pid_t pid = testing::Spawn(program, args, dir_.path() / (name + ".log"));
    if (pid > 0) running_.push_back(pid);
    return pid;
  }

  // The gateway under `user`'s principal; its port, -1 when it did not start.
  int StartGateway(const std::string& user) {
    const fs::path config = dir_.path() / "gateway.json";
    std::ofstream(config) << json{{"lots_file", std::string(PILOTAGE_SOURCE_DIR) +
                                                    "/deploy/lots/cep-2024-lots.json"},
                                  {"rate_limit", {{"events_per_s", 100}, {"burst", 100}}},
                                  {"operators",
                                   {{{"operator_id", "op-cibc-cvl"},
                                     {"lots", {"LOT-24"}},
                                     {"token_sha256", {Sha256Hex(kOperatorToken)}}}}}}
                                 .dump(2);
    const fs::path port_file = dir_.path() / ("gateway-" + user + ".port");
    const pid_t pid = Start(PILOTAGE_INGEST_BIN,
                            {"serve", "--bootstrap", bootstrap_, "--kafka-config", ClientFile(user),
                             "--config", config.string(), "--port", "0", "--port-file",
                             port_file.string(), "--delivery-timeout-ms", "20000"},
                            "gateway-" + user);
    return PortFrom(port_file, pid);
  }

  int StartQuery(const std::string& today) {
    const fs::path tokens = dir_.path() / "tokens.json";
    std::ofstream(tokens) << json{
        {"pilots", {{{"pilot_id", "fc-pilotes"}, {"token_sha256", {Sha256Hex(kPilotToken)}}}}},
        {"operators",
         json::array()}}.dump(2);
    const fs::path port_file = dir_.path() / "query.port";
    const pid_t pid = Start(PILOTAGE_QUERY_BIN,
                            {"serve", "--data", data_.string(), "--tokens", tokens.string(),
                             "--port", "0", "--port-file", port_file.string(), "--bootstrap",
                             bootstrap_, "--kafka-config", ClientFile("query"), "--today", today},
                            "query");
    const int port = PortFrom(port_file, pid);
    if (port < 0) return port;
    // Ready once its store is open (/healthz 200) and it knows Kafka's end
    // offsets (read as "query": the freshness shows a lag).
    httplib::Client client("127.0.0.1", port);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto health = client.Get("/healthz");
      auto meta =
          client.Get("/api/v1/meta", {{"Authorization", std::string("Bearer ") + kPilotToken}});
      if (health && health->status == 200 && meta && meta->status == 200) {
        const json body = json::parse(meta->body, nullptr, false);
        if (!body.is_discarded() && !body["freshness"]["lag_events"].is_null()) return port;
      }
      std::this_thread::sleep_for(50ms);  // polling a condition
    }
    return -1;
  }

  // The penalty job for LOT-11's second quarter, run on its closing day
  // under `user`'s principal.
  testing::RunResult Job(const std::string& user) {
    return testing::RunProgram(PILOTAGE_PENALTY_JOB_BIN,
                               {"--bootstrap", bootstrap_, "--kafka-config", ClientFile(user),
                                "--data", data_.string(), "--period", "2024-Q2", "--lot", "LOT-11",
                                "--today", "2024-07-15", "--catch-up-wait", "0s"},
                               /*with_stderr=*/true);
  }

  // The records of `topic` so far (the sum of its partitions' ends).
  int64_t TopicEnd(const std::string& topic) {
    auto admin = kafka::Admin::Create(bootstrap_);
    EXPECT_OK(admin);
    if (!admin.ok()) return -1;
    int64_t end = 0;
    auto ends = (*admin)->EndOffsets({topic});
    EXPECT_OK(ends);
    if (!ends.ok()) return -1;
    for (const auto& [partition, offset] : *ends) end += offset;
    return end;
  }

  // One projector run as "projector" into `data`, until it has folded the
  // event topics and `rejected` (the gateway's refusals).
  testing::RunResult RunProjector(const fs::path& data, const std::string& rejected) {
    return testing::RunProgram(
        PILOTAGE_PROJECTOR_BIN,
        {"--bootstrap", bootstrap_, "--kafka-config", ClientFile("projector"), "--data",
         data.string(), "--topics", fmt::format("{},{},{}", kActivity, kContract, rejected),
         "--rejected-topic", rejected, "--dead-letter-topic", kDeadLetters, "--group",
         "pilotage-projector-secure-e2e", "--log-level", "warn", "run", "--until-caught-up"},
        /*with_stderr=*/true);
  }

  // The same into the test's store, with the topics of deploy/kafka/acls.sh.
  void Project() {
    const testing::RunResult run = RunProjector(data_, kRejected);
    ASSERT_EQ(run.code, 0) << run.output;
  }

  testing::RunResult Ctl(const std::string& user, std::vector<std::string> args) {
    std::vector<std::string> all = {"--data", data_.string(), "--kafka-config", ClientFile(user)};
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunProgram(PILOTAGECTL_BIN, all, /*with_stderr=*/true);
  }

  json CtlJson(std::vector<std::string> args) {
    std::vector<std::string> all = {"--data", data_.string()};
    all.insert(all.end(), args.begin(), args.end());
    return testing::RunJson(PILOTAGECTL_BIN, all);
  }

  std::string bootstrap_;
  testing::TempDir dir_;
  fs::path data_ = dir_.path() / "projector";
  std::vector<pid_t> running_;
};

TEST_F(SecurePrograms, EachProgramUnderItsOwnPrincipalAndTheRefusals) {
  // Set-up, as admin: LOT-11's award and terms, its Q2 activity, and a record
  // no projector can read.
  auto producer = kafka::Producer::Create({.bootstrap = bootstrap_, .delivery_timeout = 60s});
  ASSERT_OK(producer);
  std::vector<v1::Event> contract = {testing::AwardOf("LOT-11")};
  {
    v1::Event terms;
    terms.set_event_id("terms-2024.1-LOT-11");
    terms.set_lot_id("LOT-11");
    terms.set_operator_id("france-competences");
    terms.mutable_occurred_at()->set_seconds(1700000000);
    terms.mutable_recorded_at()->set_seconds(1700000000);
    *terms.mutable_terms_published()->mutable_terms() = testing::FirstAppointmentTerms();
    contract.push_back(terms);
  }
  std::vector<v1::Event> activity;
  for (int i = 0; i < 10; ++i) {
    for (auto& e : testing::RequestAndFirstAppointment(
             "LOT-11", fmt::format("benef-{}", i), absl::CivilDay(2024, 4, 2),
             i < 5 ? absl::CivilDay(2024, 4, 3) : absl::CivilDay(2024, 5, 30))) {
      activity.push_back(e);
    }
  }
  std::vector<std::string> values;
  std::vector<kafka::Record> records;
  values.reserve(contract.size() + activity.size());
  for (const auto& e : contract) values.push_back(e.SerializeAsString());
  for (const auto& e : activity) values.push_back(e.SerializeAsString());
  for (size_t i = 0; i < values.size(); ++i) {
    records.push_back({.topic = i < contract.size() ? kContract : kActivity,
                       .key = "LOT-11",
                       .value = values[i]});
  }
  records.push_back({.topic = kActivity, .key = "LOT-11", .value = "not a pilotage event"});
  for (const auto& d : (*producer)->SendAll(records)) ASSERT_OK(d.status);

  // The gateway, as "gateway": two events of LOT-24 accepted and written.
  const int gateway = StartGateway("gateway");
  ASSERT_GT(gateway, 0) << testing::TailOf(dir_.path() / "gateway-gateway.log");
  httplib::Client client("127.0.0.1", gateway);
  client.set_read_timeout(60s);
  const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kOperatorToken}};
  auto sent = client.Post("/v1/events", auth,
                          json::array({RequestOfLot24("secure-e2e-1", "ben-5e8d1c3a"),
                                       RequestOfLot24("secure-e2e-2", "ben-5e8d1c3b")})
                              .dump(),
                          "application/json");
  ASSERT_TRUE(sent) << httplib::to_string(sent.error());
  ASSERT_EQ(sent->status, 200) << sent->body;
  EXPECT_EQ(json::parse(sent->body)["accepted"], 2) << sent->body;

  // A body the gateway cannot read: refused (400), the refusal written to
  // the rejected topic without a lot. Read back as admin: the Paris month
  // of its recording is the period it counts in.
  auto unreadable = client.Post("/v1/events", auth, "{\"event_id\": ", "application/json");
  ASSERT_TRUE(unreadable) << httplib::to_string(unreadable.error());
  EXPECT_EQ(unreadable->status, 400) << unreadable->body;
  const std::vector<std::string> refusals = testing::ReadTopic(bootstrap_, kRejected, 1);
  ASSERT_EQ(refusals.size(), 1u);
  v1::Rejection refusal;
  ASSERT_TRUE(refusal.ParseFromString(refusals[0]));
  EXPECT_EQ(refusal.reason(), "MALFORMED_BODY");
  EXPECT_EQ(refusal.lot_id(), "");
  absl::TimeZone paris;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &paris));
  const absl::CivilMonth refused_in =
      absl::ToCivilMonth(absl::FromUnixSeconds(refusal.recorded_at().seconds()), paris);
  const std::string refusal_period =
      fmt::format("{:04d}-{:02d}", refused_in.year(), refused_in.month());

  // The projector, as "projector": the three topics folded (its Read on the
  // rejected topic), the unreadable record dead-lettered.
  ASSERT_NO_FATAL_FAILURE(Project());
  bool dead_lettered = false;
  for (const auto& value : testing::ReadTopic(bootstrap_, kDeadLetters, 1)) {
    dead_lettered = dead_lettered || value.find("not a pilotage event") != std::string::npos;
  }
  EXPECT_TRUE(dead_lettered) << "the unreadable record is in " << kDeadLetters;
  const json counters = CtlJson({"counters", "--lot", "LOT-24", "--period", "2024-Q2", "--json"});
  // Two new beneficiaries of LOT-24 in May, as the gateway wrote them.
  int64_t new_beneficiaries = -1;
  for (const auto& c : counters["counters"]) {
    if (c["metric"] == "new_beneficiaries" && c["dimension"] == "all" && c["month"] == "2024-05") {
      new_beneficiaries = c["count"];
    }
  }
  EXPECT_EQ(new_beneficiaries, 2) << counters.dump(2);

  // The penalty job run as the gateway's principal, which may not write the
  // contract topic: refused by the broker (exit 11) naming the topic, and
  // nothing reaches the topic.
  const int64_t contract_before = TopicEnd(kContract);
  const testing::RunResult refused_job = Job("gateway");
  EXPECT_EQ(refused_job.code, kRefusedByBroker) << refused_job.output;
  EXPECT_NE(refused_job.output.find(kContract), std::string::npos) << refused_job.output;
  EXPECT_EQ(TopicEnd(kContract), contract_before) << refused_job.output;

  // The penalty job, as "penalty-job": one proposal, in its transaction.
  const testing::RunResult job = Job("penalty-job");
  ASSERT_EQ(job.code, 0) << job.output;
  ASSERT_NO_FATAL_FAILURE(Project());
  json ledger = CtlJson({"ledger", "--lot", "LOT-11", "--on", "2024-08-01", "--json"});
  ASSERT_TRUE(ledger.contains("penalties")) << ledger.dump(2);
  ASSERT_EQ(ledger["penalties"].size(), 1u) << ledger.dump(2);
  const std::string penalty = ledger["penalties"][0]["penalty_id"];
  EXPECT_EQ(ledger["penalties"][0]["amount_cents"], 3000000) << ledger.dump(2);

  // Refused by the broker: pilotagectl as the gateway's principal may not
  // write the contract topic.
  const testing::RunResult as_gateway =
      Ctl("gateway", {"penalty", "waive", "--lot", "LOT-11", "--penalty", penalty, "--on",
                      "2024-08-01", "--reason", "Abandon", "--bootstrap", bootstrap_});
  EXPECT_EQ(as_gateway.code, kRefusedByBroker) << as_gateway.output;
  EXPECT_NE(as_gateway.output.find(kContract), std::string::npos) << as_gateway.output;

  // A name nobody authenticated is not recorded.
  const testing::RunResult someone_else =
      Ctl("pilot", {"penalty", "confirm", "--lot", "LOT-11", "--penalty", penalty, "--on",
                    "2024-08-01", "--by", "someone-else", "--bootstrap", bootstrap_});
  EXPECT_EQ(someone_else.code, 2) << someone_else.output;

  // pilotagectl, as "pilot": the confirmation, recorded under "pilot".
  const testing::RunResult confirmed =
      Ctl("pilot", {"penalty", "confirm", "--lot", "LOT-11", "--penalty", penalty, "--on",
                    "2024-08-01", "--reason", "Délais confirmés", "--bootstrap", bootstrap_});
  ASSERT_EQ(confirmed.code, 0) << confirmed.output;

  // The query service, as "query": a pilot's review from the dashboard.
  const int query = StartQuery("2024-08-01");
  ASSERT_GT(query, 0) << testing::TailOf(dir_.path() / "query.log");
  httplib::Client dashboard("127.0.0.1", query);
  dashboard.set_read_timeout(60s);
  auto review = dashboard.Post(
      "/api/v1/lots/LOT-11/reviews",
      {{"Authorization", std::string("Bearer ") + kPilotToken}, {"X-Requested-With", "pilotage"}},
      R"({"period": "2024-06", "held_on": "2024-07-10", "findings": ["Premiers rendez-vous tardifs"],
          "decisions": ["Plan de rattrapage"]})",
      "application/json");
  ASSERT_TRUE(review) << httplib::to_string(review.error());
  EXPECT_EQ(review->status, 202) << review->body;

  // The gateway's refusal, folded from the rejected topic, on the quality
  // page of its month: one unreadable body, no lot.
  auto quality = dashboard.Get("/api/v1/quality?period=" + refusal_period,
                               {{"Authorization", std::string("Bearer ") + kPilotToken}});
  ASSERT_TRUE(quality) << httplib::to_string(quality.error());
  ASSERT_EQ(quality->status, 200) << quality->body;
  const json quality_body = json::parse(quality->body, nullptr, false);
  EXPECT_EQ(quality_body["gateway_refusals_without_lot"], (json{{"MALFORMED_BODY", 1}}))
      << quality->body;

  ASSERT_NO_FATAL_FAILURE(Project());
  ledger = CtlJson({"ledger", "--lot", "LOT-11", "--on", "2024-08-01", "--json"});
  ASSERT_EQ(ledger["penalties"].size(), 1u) << ledger.dump(2);
  EXPECT_EQ(ledger["penalties"][0]["decided_by"], "pilot") << ledger.dump(2);
  const json reviews = CtlJson({"reviews", "--lot", "LOT-11", "--json"});
  EXPECT_NE(reviews.dump().find("Plan de rattrapage"), std::string::npos) << reviews.dump(2);

  // The gateway run as the query's principal: the broker refuses its writes
  // to the activity topic, nothing is written; a refusal that waiting does
  // not mend: 503 without Retry-After, the event's message and the log say
  // the gateway's principal was refused.
  const int64_t before = TopicEnd(kActivity);
  const int misconfigured = StartGateway("query");
  ASSERT_GT(misconfigured, 0) << testing::TailOf(dir_.path() / "gateway-query.log");
  httplib::Client wrong("127.0.0.1", misconfigured);
  wrong.set_read_timeout(60s);
  auto refused =
      wrong.Post("/v1/events", auth, RequestOfLot24("secure-e2e-3", "ben-5e8d1c3c").dump(),
                 "application/json");
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_FALSE(refused->has_header("Retry-After")) << refused->get_header_value("Retry-After");
  const json outcome = json::parse(refused->body, nullptr, false);
  ASSERT_TRUE(outcome.is_object()) << refused->body;
  EXPECT_EQ(outcome["unavailable"], 1) << refused->body;
  EXPECT_EQ(outcome["events"][0]["error"]["code"], "UNAVAILABLE") << refused->body;
  EXPECT_NE(outcome["events"][0]["error"]["message"].get<std::string>().find(
                "refused the gateway's writes"),
            std::string::npos)
      << refused->body;
  EXPECT_EQ(TopicEnd(kActivity), before);
  const std::string gateway_log = testing::TailOf(dir_.path() / "gateway-query.log");
  EXPECT_NE(gateway_log.find(kActivity), std::string::npos)
      << "the gateway's log names the topic refused: " << gateway_log;
  EXPECT_NE(gateway_log.find("refused the gateway's principal"), std::string::npos) << gateway_log;

  // A refusals topic the projector's principal has no Read on (the ACL of
  // acls.sh is on pilotage.rejected.v1 only): refused by the broker, exit 11
  // naming the topic (before, the projector logged "consume: Topic
  // authorization failed (retrying)", folded the other topics and exited 0 as
  // caught up).
  const std::string unreadable_refusals = "pilotage.rejected.v1.no-acl";
  {
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    ASSERT_OK((*admin)->CreateTopic(unreadable_refusals, 1));
  }
  const testing::RunResult no_read =
      RunProjector(dir_.path() / "without-read", unreadable_refusals);
  EXPECT_EQ(no_read.code, kRefusedByBroker) << no_read.output;
  EXPECT_NE(no_read.output.find(unreadable_refusals), std::string::npos) << no_read.output;
}

}  // namespace
}  // namespace pilotage
