// A broker lost in a three-node cluster (scripts/kafka start --brokers 3, the
// ctest fixture kafka_cluster): one node is killed (SIGKILL, by its pid) while
// a client sends batches through the gateway and a projector folds them. With
// replication factor 3 and min.insync.replicas=2, and the gateway's producer
// on acks=all, every event the gateway answered "accepted" must be in the log
// and folded exactly once; the projector goes on through the loss; anything
// not acknowledged is answered as an error, and its resend (same event id)
// changes nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gateway_client.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using pilotage::testing::RunProgram;
using pilotage::testing::RunResult;

constexpr char kToken[] = "cluster-token-12345678";
constexpr char kActivity[] = "pilotage.activity.v1";
constexpr int kNodes = 3;
constexpr int kBatches = 60;
constexpr int kBatchSize = 20;
constexpr int kKillAfterBatches = 15;
constexpr int kLots = 5;  // LOT-21..LOT-25: keys of all four partitions
constexpr int kMonths = 5;

// Event (batch, i) lands in one (lot, month) bucket of kLots x kMonths, so
// that the projector's counts are checked bucket by bucket.
std::string Lot(int batch, int i) { return fmt::format("LOT-{}", 21 + (batch * 7 + i) % kLots); }
std::string Month(int batch, int i) {
  return fmt::format("2024-{:02}", 1 + (batch + i * 3) % kMonths);
}
std::string EventId(int batch, int i) { return fmt::format("cl-{}-{}", batch, i); }

std::string EventJson(int batch, int i) {
  return json{{"event_id", EventId(batch, i)},
              {"lot_id", Lot(batch, i)},
              {"occurred_at", Month(batch, i) + "-15T09:15:00+01:00"},
              {"deliverable_issued", {{"beneficiary", "ben-cluster01"}, {"type", "ACTION_PLAN"}}}}
      .dump();
}

// "LOT-21|2024-03|deliverable_issued 17" lines -> {"LOT-21|2024-03|deliverable_issued": 17}.
std::map<std::string, int64_t> ParseCounts(const std::string& text) {
  std::map<std::string, int64_t> out;
  std::istringstream in(text);
  std::string key;
  int64_t n = 0;
  while (in >> key >> n) out[key] = n;
  return out;
}

// Not gone and not a zombie (the broker is not our child: init reaps it).
bool Running(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

template <typename Condition>
bool WaitFor(Condition condition, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path cluster = PILOTAGE_KAFKA_CLUSTER_DIR;
    std::ifstream bootstrap(cluster / "bootstrap");
    std::getline(bootstrap, bootstrap_);
    ASSERT_FALSE(bootstrap_.empty())
        << "no three-node cluster in " << cluster.string()
        << ": ctest starts it (fixture kafka_cluster), or scripts/kafka start --brokers 3 --dir "
        << cluster.string();
    for (int k = 1; k <= kNodes; ++k) {
      std::ifstream pid_file(cluster / fmt::format("node-{}", k) / "kafka.pid");
      pid_t pid = 0;
      pid_file >> pid;
      ASSERT_GT(pid, 0) << "node " << k << " of " << cluster.string() << " has no pid file";
      ASSERT_EQ(kill(pid, 0), 0) << "node " << k << " (pid " << pid
                                 << ") is not running (a previous run killed it?): "
                                 << "scripts/kafka start --dir " << cluster.string()
                                 << " starts it again";
      pids_.push_back(pid);
    }
  }

  void TearDown() override {
    if (projector_ > 0) {
      kill(projector_, SIGKILL);
      pilotage::testing::WaitExit(projector_);
    }
  }

  std::vector<std::string> ProjectorArgs(const std::string& data, const std::string& group,
                                         std::vector<std::string> command) {
    std::vector<std::string> args = {"--bootstrap", bootstrap_, "--data", data,          "--topics",
                                     kActivity,     "--group",  group,    "--log-level", "warn"};
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }

  // The store's progress per partition of the activity topic (`status
  // --json`); discarded while there is no store yet.
  json Status(const std::string& data) {
    RunResult r = RunProgram(PILOTAGE_PROJECTOR_BIN,
                             ProjectorArgs(data, "cluster-live", {"status", "--json"}));
    if (r.code != 0) return json(json::value_t::discarded);
    return json::parse(r.output, nullptr, false);
  }

  static int64_t Sum(const json& status, const char* field) {
    int64_t total = 0;
    if (status.is_discarded()) return -1;
    for (const auto& p : status["partitions"]) total += p[field].get<int64_t>();
    return total;
  }

  std::string bootstrap_;
  std::vector<pid_t> pids_;
  pilotage::testing::TempDir dir_;
  pid_t projector_ = -1;
};

TEST_F(ClusterTest, EveryAcknowledgedEventIsFoldedOnceWhenABrokerIsKilled) {
  // What the test relies on: the topic asks two in-sync replicas of three.
  {
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    auto isr = (*admin)->TopicConfig(kActivity, "min.insync.replicas");
    ASSERT_OK(isr);
    EXPECT_EQ(*isr, "2");
  }

  std::string lots_json, allowed;
  for (int l = 0; l < kLots; ++l) {
    lots_json +=
        fmt::format(R"({}{{"lot_id":"LOT-{}","start_date":"2024-01-02"}})", l ? "," : "", 21 + l);
    allowed += fmt::format(R"({}"LOT-{}")", l ? "," : "", 21 + l);
  }
  ingest::GatewayOptions options;
  options.bootstrap = bootstrap_;
  options.threads = 2;
  // Shorter than the time the cluster takes to fence the killed node and move
  // its leaders (broker.session.timeout.ms=6000): what was in flight to it is
  // answered "unavailable" and resent, as a client would.
  options.delivery_timeout = 4000ms;
  options.retry_after_s = 1;
  auto gateway = pilotage::testing::ServedGateway::Start(
      options, fmt::format(R"({{"lots":[{}],"operators":[{{"operator_id":"op-c","lots":[{}],)"
                           R"("token_sha256":["{}"]}}]}})",
                           lots_json, allowed, ingest::TokenHash(kToken)));
  ASSERT_OK(gateway);

  const std::string live = (dir_.path() / "live").string();
  const fs::path log = dir_.path() / "projector.log";
  projector_ = pilotage::testing::Spawn(PILOTAGE_PROJECTOR_BIN,
                                        ProjectorArgs(live, "cluster-live", {"run"}), log);
  ASSERT_GT(projector_, 0);
  pilotage::testing::ResendingClient client({.port = (*gateway)->port(),
                                             .token = kToken,
                                             .batches = kBatches,
                                             .batch_size = kBatchSize,
                                             .event_json = EventJson});

  // The node is killed while both sides work: the projector has folded some
  // of what the gateway acknowledged, and the client goes on sending. Each
  // node leads at least one of the four partitions (leaders are assigned
  // round-robin over the three nodes of the fresh cluster) and the lots'
  // keys cover all four, so the kill always takes away a leader being written.
  const bool folding =
      WaitFor(
          [&] {
            return client.failed() ||
                   (client.batches_done() >= kKillAfterBatches && Sum(Status(live), "folded") > 0);
          },
          60s) &&
      !client.failed();
  const pid_t victim = pids_[1];
  const int batches_at_kill = client.batches_done();
  if (folding) {
    client.Mark();
    ASSERT_EQ(kill(victim, SIGKILL), 0);
    EXPECT_TRUE(WaitFor([&] { return !Running(victim); }, 30s)) << "node 2 survived SIGKILL";
  }
  const bool finished = folding && WaitFor([&] { return client.failed() || client.done(); }, 60s);
  client.Stop();
  ASSERT_TRUE(folding) << "the projector folded nothing before the kill: " << client.error() << "\n"
                       << pilotage::testing::TailOf(log);
  ASSERT_TRUE(finished) << "the client could not deliver every batch after the kill: "
                        << client.error();
  ASSERT_FALSE(client.failed()) << client.error();
  ASSERT_LT(batches_at_kill, kBatches) << "the kill came after the last batch";
  const std::set<std::string> accepted = client.accepted();
  ASSERT_EQ(accepted.size(), static_cast<size_t>(kBatches * kBatchSize));
  std::cout << "node 2 (pid " << victim << ") killed after " << batches_at_kill
            << " batches; answers with unacknowledged events: " << client.error_answers()
            << "; slowest answer after the kill: " << client.slowest_answer_ms() << " ms\n";

  // The log holds every acknowledged event (a resend of an event whose ack
  // was lost may hold it twice), and nothing else.
  int64_t records = 0;
  {
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    auto partitions = (*admin)->PartitionCount(kActivity);
    ASSERT_OK(partitions);
    for (int p = 0; p < *partitions; ++p) {
      auto marks = (*admin)->QueryWatermarks({kActivity, p});
      ASSERT_OK(marks);
      // Written in every partition, so in one the killed node led.
      EXPECT_GT(marks->high, 0) << "nothing written in partition " << p;
      records += marks->high - marks->low;
    }
  }
  auto values = pilotage::testing::ReadTopic(bootstrap_, kActivity, records, 60);
  ASSERT_EQ(static_cast<int64_t>(values.size()), records);
  std::set<std::string> logged;
  for (const auto& value : values) {
    pilotage::v1::Event event;
    ASSERT_TRUE(event.ParseFromString(value));
    logged.insert(event.event_id());
  }
  EXPECT_EQ(logged, accepted) << "the log and the acknowledged events differ";

  // The projector, running through the loss, reaches the end of the log
  // (every record handed over once: the topic has no transaction markers) and
  // has folded each event once, the resends as duplicates.
  json status;
  const bool caught_up = WaitFor(
      [&] {
        status = Status(live);
        return Sum(status, "lag") == 0 &&
               Sum(status, "folded") + Sum(status, "duplicates") + Sum(status, "dead_letters") ==
                   records;
      },
      60s);
  ASSERT_TRUE(caught_up) << status.dump() << "\n" << pilotage::testing::TailOf(log);
  EXPECT_EQ(Sum(status, "folded"), static_cast<int64_t>(accepted.size())) << status.dump();
  EXPECT_EQ(Sum(status, "duplicates"), records - static_cast<int64_t>(logged.size()));
  EXPECT_EQ(Sum(status, "dead_letters"), 0);
  std::cout << "log records: " << records << ", folded: " << Sum(status, "folded")
            << ", duplicates (resends already in the log): " << Sum(status, "duplicates") << "\n";
  ASSERT_EQ(kill(projector_, SIGTERM), 0);
  EXPECT_EQ(pilotage::testing::WaitExit(projector_), 0) << pilotage::testing::TailOf(log);
  projector_ = -1;

  // Bucket by bucket, the counts are those of the acknowledged events.
  std::map<std::string, int64_t> expected;
  for (int b = 0; b < kBatches; ++b) {
    for (int i = 0; i < kBatchSize; ++i) {
      if (accepted.contains(EventId(b, i))) {
        ++expected[fmt::format("{}|{}|deliverable_issued", Lot(b, i), Month(b, i))];
      }
    }
  }
  RunResult counts = RunProgram(PILOTAGE_PROJECTOR_BIN, {"--data", live, "counts"}, true);
  ASSERT_EQ(counts.code, 0) << counts.output;
  EXPECT_EQ(ParseCounts(counts.output), expected) << counts.output;

  // And its state is that of a clean replay of the log on the cluster with a
  // node down (two of three replicas serve every partition).
  const std::string replay = (dir_.path() / "replay").string();
  RunResult run =
      RunProgram(PILOTAGE_PROJECTOR_BIN,
                 ProjectorArgs(replay, "cluster-replay", {"run", "--until-caught-up"}), true);
  ASSERT_EQ(run.code, 0) << run.output;
  RunResult live_digest = RunProgram(PILOTAGE_PROJECTOR_BIN, {"--data", live, "digest"});
  RunResult replay_digest = RunProgram(PILOTAGE_PROJECTOR_BIN, {"--data", replay, "digest"});
  ASSERT_EQ(live_digest.code, 0) << live_digest.output;
  ASSERT_FALSE(live_digest.output.empty());
  EXPECT_EQ(live_digest.output, replay_digest.output);
}

}  // namespace
}  // namespace pilotage
