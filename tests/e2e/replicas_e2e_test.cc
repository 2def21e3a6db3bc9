// Two read replicas behind HAProxy, as docs/operations.md (section 13)
// deploys them: each "host" runs a pilotage-projector in its own consumer
// group (all partitions) and a pilotage-query beside it; Debian's haproxy runs
// deploy/haproxy/haproxy.cfg as committed (addresses from the environment,
// loopback ports). Everything is real: the broker, both projectors, both
// query services, HAProxy; each is stopped by its pid.
//
// 1. A store that misses a partition (its projector folded one topic only)
//    is not ready, names the partition, and refuses statements.
// 2. Both replicas complete: HAProxy serves the statement worked out in
//    services/query/tests/fixtures/README.md.
// 3. One query replica is killed: every request through HAProxy still
//    succeeds.
// 4. One projector is stopped while events keep coming: its replica becomes
//    not ready, HAProxy takes it out, and answers come from the other one;
//    restarted, it catches up and is put back.
// Every wait polls a condition with a bound; none sleeps to synchronise.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/cep_scenario.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr char kPilotToken[] = "pilot-token-for-replicas";
constexpr int kReadyMaxLag = 5;

// A process this test started, stopped by its pid (SIGTERM) unless already
// stopped or killed.
class Process {
 public:
  Process() = default;
  Process(const std::string& program, const std::vector<std::string>& args, fs::path log)
      : log_(std::move(log)), pid_(testing::Spawn(program, args, log_)) {}
  Process(Process&& o) noexcept : log_(std::move(o.log_)), pid_(std::exchange(o.pid_, -1)) {}
  Process& operator=(Process&& o) noexcept {
    Stop();
    log_ = std::move(o.log_);
    pid_ = std::exchange(o.pid_, -1);
    return *this;
  }
  ~Process() { Stop(); }
  bool running() const { return pid_ > 0; }
  const fs::path& log() const { return log_; }
  // SIGTERM (or `signal`) and wait: the exit code, or 128 + the signal.
  int Stop(int signal = SIGTERM) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    return Wait();
  }
  // Waits for it to end by itself.
  int Wait() { return pid_ > 0 ? testing::WaitExit(std::exchange(pid_, -1)) : -1; }

 private:
  fs::path log_;
  pid_t pid_ = -1;
};

// Polls `condition` every 100 ms until it holds or `bound` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::seconds bound) {
  const auto deadline = Clock::now() + bound;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);  // polling a condition, bounded
  }
  return condition();
}

struct Reply {
  int status = 0;  // 0: no answer
  json body;
};

Reply Get(int port, const std::string& path, bool token = true) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2s);
  client.set_read_timeout(10s);
  httplib::Headers headers;
  if (token) headers.emplace("Authorization", std::string("Bearer ") + kPilotToken);
  auto res = client.Get(path, headers);
  if (!res) return {};
  return {res->status, json::parse(res->body, nullptr, false)};
}

// HAProxy's stats page as CSV ("/stats;csv": on a raw connection, since
// cpp-httplib escapes the ';'), or why not (for failure messages).
std::string StatsCsv(int stats_port) {
  const int fd = testing::ConnectLoopback(stats_port, 5);
  if (fd < 0) return "no connection to HAProxy's stats";
  const std::string request = "GET /stats;csv HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  std::string response;
  if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buffer[8192];
    for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
  }
  close(fd);
  return response;
}

// HAProxy's view of a server of the pilotage-query backend ("UP", "DOWN",
// "UP 1/2"...), from its stats CSV; "" when unknown.
std::string ServerState(int stats_port, const std::string& server) {
  const std::string response = StatsCsv(stats_port);
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.0 200", 0) != 0 && response.rfind("HTTP/1.1 200", 0) != 0) return "";
  if (body == std::string::npos) return "";
  std::istringstream lines(response.substr(body + 4));
  std::string line;
  int status_column = -1;
  while (std::getline(lines, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line.rfind("# ", 0) == 0 ? line.substr(2) : line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    if (status_column < 0) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "status") status_column = static_cast<int>(i);
      }
      continue;
    }
    if (cells.size() > static_cast<size_t>(status_column) && cells[0] == "pilotage-query" &&
        cells[1] == server) {
      return cells[status_column];
    }
  }
  return "";
}

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(PILOTAGE_HAPROXY_BIN))
        << PILOTAGE_HAPROXY_BIN << " missing: install Debian's haproxy (scripts/bootstrap)";
    bootstrap_ = testing::BrokerOrFail();
    ASSERT_FALSE(bootstrap_.empty());
    activity_ = testing::UniqueTopic("replicas.activity");
    contract_ = testing::UniqueTopic("replicas.contract");
    dead_ = testing::UniqueTopic("replicas.dead");
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    // Two activity partitions: LOT-94 in 0, LOT-11 in 1.
    ASSERT_OK((*admin)->CreateTopic(activity_, 2));
    ASSERT_OK((*admin)->CreateTopic(contract_, 1));
    ASSERT_OK((*admin)->CreateTopic(dead_, 1));

    std::vector<std::pair<std::string, v1::Event>> events;
    for (const char* name : {"may-every-kpi", "closing-late"}) {
      auto s = testing::LoadCepScenario(fs::path(PILOTAGE_CEP_FIXTURES) / name);
      for (auto& e : s.contract) events.emplace_back(contract_, std::move(e));
      for (auto& e : s.activity) events.emplace_back(activity_, std::move(e));
    }
    for (auto& e :
         testing::ReadEventsNdjson(fs::path(PILOTAGE_QUERY_FIXTURES) / "steering-lot-94.ndjson")) {
      events.emplace_back(contract_, std::move(e));
    }
    ASSERT_FALSE(events.empty());
    for (const auto& [topic, e] : events) {
      if (topic == activity_ && !resend_) resend_ = e;  // LOT-94's first activity event
    }
    ASSERT_TRUE(resend_.has_value());
    Produce(events);

    const fs::path tokens = dir_.path() / "tokens.json";
    std::ofstream(tokens) << json{
        {"pilots",
         {{{"pilot_id", "fc-pilotes"}, {"token_sha256", {access::TokenHash(kPilotToken)}}}}},
        {"operators",
         json::array()}}.dump(2);
    tokens_ = tokens.string();
    for (int i = 0; i < 2; ++i) {
      query_port_[i] = testing::FreePort();
      ASSERT_GT(query_port_[i], 0);
    }
    ASSERT_NE(query_port_[0], query_port_[1]);
  }

  int Partition(const v1::Event& e) const { return e.lot_id() == "LOT-94" ? 0 : 1; }

  void Produce(const std::vector<std::pair<std::string, v1::Event>>& events) {
    auto producer = kafka::Producer::Create({.bootstrap = bootstrap_});
    ASSERT_OK(producer);
    std::vector<std::string> values;
    values.reserve(events.size());
    for (const auto& [topic, e] : events) values.push_back(e.SerializeAsString());
    std::vector<kafka::Record> records;
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& [topic, e] = events[i];
      records.push_back({.topic = topic,
                         .key = e.lot_id(),
                         .value = values[i],
                         .partition = topic == activity_ ? Partition(e) : 0});
    }
    for (const auto& d : (*producer)->SendAll(records)) {
      ASSERT_OK(d.status);
    }
  }

  // Replica i's projector, in a consumer group of its own.
  Process StartProjector(int i, const std::string& topics, bool until_caught_up,
                         const std::string& log_name) {
    std::vector<std::string> args = {"--bootstrap",
                                     bootstrap_,
                                     "--data",
                                     (dir_.path() / fmt::format("host{}", i)).string(),
                                     "--topics",
                                     topics,
                                     "--dead-letter-topic",
                                     dead_,
                                     "--group",
                                     fmt::format("{}-host{}", activity_, i),
                                     "--log-level",
                                     "warn",
                                     "run",
                                     "--batch-ms",
                                     "50"};
    if (until_caught_up) args.push_back("--until-caught-up");
    return Process(PILOTAGE_PROJECTOR_BIN, args, dir_.path() / log_name);
  }

  Process StartQuery(int i, const std::string& log_name) {
    return Process(PILOTAGE_QUERY_BIN,
                   {"serve", "--data", (dir_.path() / fmt::format("host{}", i)).string(),
                    "--tokens", tokens_, "--port", std::to_string(query_port_[i]), "--bootstrap",
                    bootstrap_, "--topics", activity_ + "," + contract_, "--catch-up-ms", "100",
                    "--end-offsets-ms", "200", "--ready-max-lag", std::to_string(kReadyMaxLag)},
                   dir_.path() / log_name);
  }

  Process StartHaproxy(int port, int stats_port) {
    return Process("/usr/bin/env",
                   {"PILOTAGE_HAPROXY_UNPRIVILEGED=1", "PILOTAGE_HAPROXY_CHECK_INTER=200ms",
                    fmt::format("PILOTAGE_HAPROXY_BIND=127.0.0.1:{}", port),
                    fmt::format("PILOTAGE_HAPROXY_STATS_BIND=127.0.0.1:{}", stats_port),
                    fmt::format("PILOTAGE_QUERY_REPLICA_1=127.0.0.1:{}", query_port_[0]),
                    fmt::format("PILOTAGE_QUERY_REPLICA_2=127.0.0.1:{}", query_port_[1]),
                    PILOTAGE_HAPROXY_BIN, "-db", "-f", PILOTAGE_HAPROXY_CFG},
                   dir_.path() / "haproxy.log");
  }

  // The offset stored for `partition` in an answer's freshness (-1: none).
  static int64_t StoredOffset(const json& answer, const std::string& partition) {
    if (!answer.is_object() || !answer.contains("freshness")) return -1;
    for (const auto& p : answer["freshness"]["partitions"]) {
      if (p["partition"] == partition) return p["stored_offset"].get<int64_t>();
    }
    return -1;
  }

  std::string Logs(const std::vector<const Process*>& processes) const {
    std::string out;
    for (const Process* p : processes) {
      out += "\n--- " + p->log().filename().string() + "\n" + testing::TailOf(p->log(), 2000);
    }
    return out;
  }

  testing::TempDir dir_;
  std::string bootstrap_, activity_, contract_, dead_, tokens_;
  std::optional<v1::Event> resend_;
  int query_port_[2] = {-1, -1};
};

TEST_F(ReplicasTest, HaproxyServesCompleteReadyReplicasOnly) {
  const std::string statement = "/api/v1/lots/LOT-94/statement?period=2024-05";
  const std::string contract0 = contract_ + "/0";

  // 1. Host 1's store first holds the activity topic only: not ready, and
  // statements are refused, naming the partition it lacks.
  Process fold1 = StartProjector(1, activity_, /*until_caught_up=*/true, "projector1-first.log");
  ASSERT_EQ(fold1.Wait(), 0) << Logs({&fold1});
  Process query1 = StartQuery(1, "query1.log");
  Reply not_ready;
  ASSERT_TRUE(WaitFor(
      [&] {
        not_ready = Get(query_port_[1], "/readyz", false);
        return not_ready.status == 503 && not_ready.body.is_object() &&
               !not_ready.body["missing_partitions"].empty();
      },
      60s))
      << not_ready.body.dump() << Logs({&query1});
  EXPECT_EQ(not_ready.body["ready"], false);
  EXPECT_EQ(not_ready.body["missing_partitions"], json::array({contract0}));
  EXPECT_EQ(Get(query_port_[1], "/livez", false).status, 200);
  const Reply refused = Get(query_port_[1], statement);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.dump().find(contract0), std::string::npos) << refused.body.dump();
  const Reply national = Get(query_port_[1], "/api/v1/national?period=2024-05");
  ASSERT_EQ(national.status, 200) << national.body.dump();
  EXPECT_EQ(national.body["freshness"]["complete"], false);
  EXPECT_EQ(national.body["freshness"]["missing_partitions"], json::array({contract0}));

  // 2. Both hosts fold every partition, each in its own group.
  Process fold0 = StartProjector(0, activity_ + "," + contract_, false, "projector0.log");
  fold1 = StartProjector(1, activity_ + "," + contract_, false, "projector1.log");
  Process query0 = StartQuery(0, "query0.log");
  for (int i = 0; i < 2; ++i) {
    Reply ready;
    ASSERT_TRUE(WaitFor(
        [&] {
          ready = Get(query_port_[i], "/readyz", false);
          return ready.status == 200;
        },
        120s))
        << "replica " << i << ": " << ready.body.dump() << Logs({&fold0, &fold1, &query0, &query1});
    EXPECT_EQ(ready.body["ready"], true);
    EXPECT_TRUE(ready.body["missing_partitions"].empty());
  }
  const int port = testing::FreePort();
  const int stats_port = testing::FreePort();
  ASSERT_GT(port, 0);
  ASSERT_GT(stats_port, 0);
  ASSERT_NE(port, stats_port);
  Process haproxy = StartHaproxy(port, stats_port);
  ASSERT_TRUE(WaitFor(
      [&] {
        return ServerState(stats_port, "query-1") == "UP" &&
               ServerState(stats_port, "query-2") == "UP";
      },
      60s))
      << StatsCsv(stats_port) << Logs({&haproxy});
  // The statement of May 2024 (fixtures/README.md): 1 500 € of confirmed
  // penalties, net −1 500 €; both replicas answer it in turn.
  for (int n = 0; n < 4; ++n) {
    const Reply r = Get(port, statement);
    ASSERT_EQ(r.status, 200) << r.body.dump() << Logs({&haproxy});
    EXPECT_EQ(r.body["penalties_cents"], 150000);
    EXPECT_EQ(r.body["freshness"]["complete"], true);
  }

  // 3. Query replica 1 ("query-1", host 0) is killed: answers go on, from
  // the first request on (HAProxy resends a refused request to the other).
  EXPECT_EQ(query0.Stop(SIGKILL), 128 + SIGKILL);
  for (int n = 0; n < 10; ++n) {
    const Reply r = Get(port, statement);
    ASSERT_EQ(r.status, 200) << "request " << n << " after the kill: " << r.body.dump()
                             << Logs({&haproxy});
    EXPECT_EQ(r.body["penalties_cents"], 150000);
  }
  ASSERT_TRUE(WaitFor([&] { return ServerState(stats_port, "query-1") == "DOWN"; }, 60s))
      << ServerState(stats_port, "query-1") << Logs({&haproxy});
  // Restarted on its port, it is put back.
  query0 = StartQuery(0, "query0-again.log");
  ASSERT_TRUE(WaitFor([&] { return ServerState(stats_port, "query-1") == "UP"; }, 120s))
      << ServerState(stats_port, "query-1") << Logs({&haproxy, &query0});

  // 4. Host 1's projector stops; events keep coming (copies of a LOT-94
  // activity event: the projector folds them as duplicates, the stored
  // offset moves). Replica 2 falls behind by more than the threshold: not
  // ready, and HAProxy takes it out.
  const std::string activity0 = activity_ + "/0";
  Reply caught_up;
  ASSERT_TRUE(WaitFor(
      [&] {
        caught_up = Get(query_port_[1], "/readyz", false);
        return caught_up.status == 200 && caught_up.body["max_partition_lag"] == 0;
      },
      60s))
      << caught_up.body.dump();
  ASSERT_EQ(fold1.Stop(), 0) << Logs({&fold1});
  const int more = 3 * kReadyMaxLag;
  std::vector<std::pair<std::string, v1::Event>> copies(more, {activity_, *resend_});
  Produce(copies);
  Reply lagging;
  ASSERT_TRUE(WaitFor(
      [&] {
        lagging = Get(query_port_[1], "/readyz", false);
        return lagging.status == 503;
      },
      60s))
      << lagging.body.dump() << Logs({&query1});
  EXPECT_TRUE(lagging.body["missing_partitions"].empty());
  ASSERT_EQ(lagging.body["lagging_partitions"].size(), 1u) << lagging.body.dump();
  EXPECT_EQ(lagging.body["lagging_partitions"][0]["partition"], activity0);
  EXPECT_EQ(lagging.body["lagging_partitions"][0]["lag"], more);
  ASSERT_TRUE(WaitFor([&] { return ServerState(stats_port, "query-2") == "DOWN"; }, 60s))
      << ServerState(stats_port, "query-2") << Logs({&haproxy});

  // Replica 1 has folded the copies: once it shows them, every answer
  // through HAProxy does (none comes from the lagging replica).
  auto admin = kafka::Admin::Create(bootstrap_);
  ASSERT_OK(admin);
  auto marks = (*admin)->QueryWatermarks({activity_, 0}, 10s);
  ASSERT_OK(marks);
  const int64_t end = marks->high;
  ASSERT_TRUE(WaitFor(
      [&] { return StoredOffset(Get(query_port_[0], "/api/v1/meta").body, activity0) == end; },
      60s))
      << Logs({&fold0, &query0});
  for (int n = 0; n < 6; ++n) {
    const Reply r = Get(port, "/api/v1/meta");
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(StoredOffset(r.body, activity0), end) << "request " << n;
  }

  // Its projector restarted, replica 2 catches up and is put back.
  fold1 = StartProjector(1, activity_ + "," + contract_, false, "projector1-again.log");
  ASSERT_TRUE(WaitFor([&] { return ServerState(stats_port, "query-2") == "UP"; }, 120s))
      << ServerState(stats_port, "query-2") << Logs({&haproxy, &fold1, &query1});

  // HAProxy's graceful stop is SIGUSR1 (SIGTERM is its immediate one and
  // ends it by the signal); ours is SIGTERM.
  EXPECT_EQ(haproxy.Stop(SIGUSR1), 0) << Logs({&haproxy});
  for (Process* p : {&query0, &query1, &fold0, &fold1}) {
    EXPECT_EQ(p->Stop(), 0) << Logs({p});
  }
}

}  // namespace
}  // namespace pilotage
