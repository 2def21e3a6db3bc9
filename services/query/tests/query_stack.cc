#include "query_stack.h"
#include "pilotage/testing/status.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "pilotage/access/access.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/cep_scenario.h"
#include "pilotage/testing/process.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::query_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

QueryStack::QueryStack(const std::vector<std::string>& extra_scenarios) {
  const std::string bootstrap = testing::BrokerOrFail();
  if (bootstrap.empty()) return;
  auto admin = kafka::Admin::Create(bootstrap);
  EXPECT_OK(admin);
  if (!admin.ok()) return;
  const std::string activity = testing::UniqueTopic("query.activity");
  const std::string contract = testing::UniqueTopic("query.contract");
  const std::string dead = testing::UniqueTopic("query.dead");
  const std::string rejected = testing::UniqueTopic("query.rejected");
  bootstrap_ = bootstrap;
  activity_ = activity;
  contract_ = contract;
  dead_ = dead;
  rejected_ = rejected;
  for (const auto& t : {activity, contract, dead}) {
    EXPECT_OK((*admin)->CreateTopic(t, 1)) << t;
  }
  // Keyed by operator, as the gateway writes it: two partitions.
  EXPECT_OK((*admin)->CreateTopic(rejected, 2)) << rejected;
  auto producer = kafka::Producer::Create({.bootstrap = bootstrap});
  EXPECT_OK(producer);
  if (!producer.ok()) return;
  std::vector<std::string> values;
  std::vector<kafka::Record> records;
  std::vector<std::pair<std::string, const v1::Event*>> order;
  std::vector<testing::CepScenario> scenarios;
  for (const char* name : {"may-every-kpi", "closing-late"}) {
    scenarios.push_back(testing::LoadCepScenario(fs::path(PILOTAGE_CEP_FIXTURES) / name));
  }
  const std::vector<v1::Event> steering =
      testing::ReadEventsNdjson(fs::path(PILOTAGE_QUERY_FIXTURES) / "steering-lot-94.ndjson");
  for (const auto& s : scenarios) {
    for (const auto& e : s.contract) order.emplace_back(contract, &e);
    for (const auto& e : s.activity) order.emplace_back(activity, &e);
  }
  for (const auto& e : steering) order.emplace_back(contract, &e);
  std::vector<testing::CepScenario> extra;
  for (const auto& name : extra_scenarios) {
    extra.push_back(testing::LoadCepScenario(fs::path(PILOTAGE_QUERY_FIXTURES) / name));
  }
  for (const auto& s : extra) {
    for (const auto& e : s.contract) order.emplace_back(contract, &e);
    for (const auto& e : s.activity) order.emplace_back(activity, &e);
  }
  for (const auto& [topic, e] : order) {
    values.push_back(e->SerializeAsString());
    if (topic == contract) ++contract_records_;
  }
  for (size_t i = 0; i < order.size(); ++i) {
    records.push_back({.topic = order[i].first,
                       .key = order[i].second->lot_id(),
                       .value = values[i],
                       .partition = 0});
  }
  // The gateway's refusals (fixtures/README.md), one partition per operator.
  std::ifstream refusals(fs::path(PILOTAGE_QUERY_FIXTURES) / "rejections.ndjson");
  std::vector<v1::Rejection> rejections;
  for (std::string line; std::getline(refusals, line);) {
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(line, &rejections.emplace_back());
    EXPECT_TRUE(parsed.ok()) << line;
  }
  std::vector<std::string> refusal_values;
  for (const auto& r : rejections) refusal_values.push_back(r.SerializeAsString());
  std::map<std::string, int32_t> partition_of;
  for (size_t i = 0; i < rejections.size(); ++i) {
    const std::string& op = rejections[i].operator_id();
    const int32_t partition =
        partition_of.emplace(op, static_cast<int32_t>(partition_of.size() % 2)).first->second;
    records.push_back(
        {.topic = rejected, .key = op, .value = refusal_values[i], .partition = partition});
  }
  for (const auto& d : (*producer)->SendAll(records)) {
    EXPECT_OK(d.status);
  }
  const fs::path data = dir_.path() / "data";
  const fs::path fold_log = dir_.path() / "projector.log";
  const pid_t fold =
      testing::Spawn(PILOTAGE_PROJECTOR_BIN,
                     {"--bootstrap", bootstrap, "--data", data.string(), "--topics",
                      activity + "," + contract + "," + rejected, "--rejected-topic", rejected,
                      "--dead-letter-topic", dead, "--group", testing::UniqueTopic("query-fold"),
                      "--log-level", "warn", "run", "--until-caught-up"},
                     fold_log);
  const int code = testing::WaitExit(fold);
  EXPECT_EQ(code, 0) << testing::TailOf(fold_log);
  if (code != 0) return;

  const fs::path tokens = dir_.path() / "tokens.json";
  std::ofstream(tokens) << nlohmann::json{{"pilots",
                                           {{{"pilot_id", "fc-pilotes"},
                                             {"token_sha256", {access::TokenHash(kPilotToken)}}},
                                            {{"pilot_id", "fc-pilote-2"},
                                             {"token_sha256", {access::TokenHash(kPilot2Token)}}}}},
                                          {"operators",
                                           {{{"operator_id", "op-corse"},
                                             {"lots", {"LOT-94"}},
                                             {"token_sha256", {access::TokenHash(kCorseToken)}}}}}}
                               .dump(2);
  tokens_ = tokens;
  const Started q = StartQuery("query", {});
  query_pid_ = q.pid;
  port_ = q.port;
}

QueryStack::Started QueryStack::StartQuery(const std::string& name,
                                           const std::vector<std::string>& extra) const {
  const fs::path port_file = dir_.path() / (name + ".port");
  // JSON log lines, which the audit test reads (an option of the program,
  // before its command).
  std::vector<std::string> args = {"--log-format",
                                   "json",
                                   "serve",
                                   "--data",
                                   (dir_.path() / "data").string(),
                                   "--tokens",
                                   tokens_.string(),
                                   "--port",
                                   "0",
                                   "--port-file",
                                   port_file.string(),
                                   "--bootstrap",
                                   bootstrap_,
                                   "--topics",
                                   activity_ + "," + contract_,
                                   "--contract-topic",
                                   contract_,
                                   "--catch-up-ms",
                                   "100"};
#ifdef PILOTAGE_QUERY_WEB_DIR
  args.insert(args.end(), {"--web-dir", PILOTAGE_QUERY_WEB_DIR});
#endif
  args.insert(args.end(), extra.begin(), extra.end());
  const fs::path log = dir_.path() / (name + ".log");
  const pid_t pid = testing::Spawn(PILOTAGE_QUERY_BIN, args, log);
  // Ready when it wrote its port, answers /healthz with 200 (store open) and
  // knows Kafka's end offsets (so freshness shows a lag).
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    int port = -1;
    if (in >> port && port > 0) {
      httplib::Client client("127.0.0.1", port);
      auto health = client.Get("/healthz");
      auto meta =
          client.Get("/api/v1/meta", {{"Authorization", std::string("Bearer ") + kPilotToken}});
      if (health && health->status == 200 && meta && meta->status == 200) {
        auto body = nlohmann::json::parse(meta->body, nullptr, false);
        if (!body.is_discarded() && !body["freshness"]["lag_events"].is_null()) {
          return {.pid = pid, .port = port};
        }
      }
    }
    std::this_thread::sleep_for(50ms);  // polling a condition, not a synchronisation sleep
  }
  ADD_FAILURE() << "pilotage-query did not become ready\n" << testing::TailOf(log);
  return {.pid = pid, .port = -1};
}

std::string QueryStack::StartQueryOn(const std::string& today) {
  const Started q = StartQuery("query-on-" + today, {"--today", today});
  others_.push_back(q.pid);
  if (q.port < 0) return "";
  return fmt::format("http://127.0.0.1:{}", q.port);
}

QueryStack::~QueryStack() {
  for (const pid_t pid : others_) {
    kill(pid, SIGTERM);
    EXPECT_EQ(testing::WaitExit(pid), 0);
  }
  if (query_pid_ > 0) {
    kill(query_pid_, SIGTERM);
    EXPECT_EQ(testing::WaitExit(query_pid_), 0) << testing::TailOf(dir_.path() / "query.log");
  }
}

int QueryStack::Rebuild(const std::string& name) const {
  const fs::path log = dir_.path() / ("rebuild-" + name + ".log");
  const pid_t pid =
      testing::Spawn(PILOTAGE_PROJECTOR_BIN,
                     {"--bootstrap", bootstrap_, "--data", (dir_.path() / "data").string(),
                      "--topics", activity_ + "," + contract_ + "," + rejected_, "--rejected-topic",
                      rejected_, "--dead-letter-topic", dead_, "--group",
                      testing::UniqueTopic("query-rebuild"), "--log-level", "warn", "rebuild",
                      "--into", (dir_.path() / "data" / "stores" / name).string()},
                     log);
  const int code = testing::WaitExit(pid);
  EXPECT_EQ(code, 0) << testing::TailOf(log);
  return code;
}

int QueryStack::ResendAndFold() const {
  auto producer = kafka::Producer::Create({.bootstrap = bootstrap_});
  EXPECT_OK(producer);
  if (!producer.ok()) return -1;
  const auto scenario = testing::LoadCepScenario(fs::path(PILOTAGE_CEP_FIXTURES) / "may-every-kpi");
  if (scenario.activity.empty()) {
    ADD_FAILURE() << "may-every-kpi has no activity event";
    return -1;
  }
  const v1::Event& event = scenario.activity.front();
  const std::string value = event.SerializeAsString();
  const std::vector<kafka::Record> records = {
      {.topic = activity_, .key = event.lot_id(), .value = value, .partition = 0}};
  for (const auto& d : (*producer)->SendAll(records)) {
    EXPECT_OK(d.status);
  }
  return Fold();
}

std::vector<std::string> QueryStack::FoldCommand() const {
  return {PILOTAGE_PROJECTOR_BIN,
          "--bootstrap",
          bootstrap_,
          "--data",
          (dir_.path() / "data").string(),
          "--topics",
          activity_ + "," + contract_ + "," + rejected_,
          "--rejected-topic",
          rejected_,
          "--dead-letter-topic",
          dead_,
          "--group",
          testing::UniqueTopic("query-fold"),
          "--log-level",
          "warn",
          "run",
          "--until-caught-up"};
}

int QueryStack::Fold() const {
  const fs::path log = dir_.path() / "projector-fold.log";
  std::vector<std::string> command = FoldCommand();
  const std::string program = command.front();
  command.erase(command.begin());
  const pid_t pid = testing::Spawn(program, command, log);
  const int code = testing::WaitExit(pid);
  EXPECT_EQ(code, 0) << testing::TailOf(log);
  return code;
}

std::vector<v1::Event> QueryStack::WrittenContractEvents(size_t written) const {
  std::vector<v1::Event> out;
  const auto values = testing::ReadTopic(bootstrap_, contract_, contract_records_ + written);
  EXPECT_EQ(values.size(), contract_records_ + written);
  for (size_t i = contract_records_; i < values.size(); ++i) {
    const std::string& value = values[i];
    v1::Event e;
    EXPECT_TRUE(e.ParseFromString(value));
    out.push_back(std::move(e));
  }
  return out;
}

QueryStack::Answer QueryStack::Post(const std::string& path, const std::string& body,
                                    const std::string& token,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& base_url) const {
  httplib::Client client(base_url.empty() ? this->base_url() : base_url);
  httplib::Headers sent;
  if (!token.empty()) sent.emplace("Authorization", "Bearer " + token);
  for (const auto& [k, v] : headers) sent.emplace(k, v);
  auto res = client.Post(path, sent, body, "application/json");
  Answer out;
  if (!res) {
    ADD_FAILURE() << "POST " << path << ": " << httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  out.text = res->body;
  out.body = nlohmann::json::parse(res->body, nullptr, false);
  return out;
}

std::string QueryStack::base_url() const { return fmt::format("http://127.0.0.1:{}", port_); }

QueryStack::Answer QueryStack::Get(const std::string& path, const std::string& token) const {
  return GetAt(base_url(), path, token);
}

QueryStack::Answer QueryStack::GetAt(const std::string& base, const std::string& path,
                                     const std::string& token) const {
  httplib::Client client(base);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto res = client.Get(path, headers);
  Answer out;
  if (!res) {
    ADD_FAILURE() << "GET " << path << ": " << httplib::to_string(res.error());
    return out;
  }
  out.status = res->status;
  out.text = res->body;
  out.body = nlohmann::json::parse(res->body, nullptr, false);
  return out;
}

}  // namespace pilotage::query_test
