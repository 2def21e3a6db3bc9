// A projector stopped while its broker is gone (decision 0035): the broker of
// this test (its own, so that other tests keep theirs) is stopped while the
// projector folds a backlog, then the projector gets SIGTERM. It must exit,
// though it cannot leave its consumer group; once the broker is back, a
// projector restarted on the same store must fold every event exactly once:
// the store's totals are the log's distinct events, worked out by the
// generator that wrote them.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/own_broker.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using pilotage::testing::RunProgram;
using pilotage::testing::RunResult;
using pilotage::testing::TailOf;
using pilotage::testing::WaitExitWithin;

constexpr char kTopic[] = "stop.activity";
constexpr char kDeadLetters[] = "stop.activity.dead";
constexpr char kGroup[] = "broker-gone-stop";

bool LogContains(const std::filesystem::path& log, std::string_view text) {
  std::ifstream in(log);
  std::stringstream all;
  all << in.rdbuf();
  return all.str().find(text) != std::string::npos;
}

class BrokerGoneStop : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_.Start(/*fresh=*/true);
    ASSERT_TRUE(broker_.running());
    auto admin = kafka::Admin::Create(broker_.bootstrap());
    ASSERT_OK(admin);
    ASSERT_OK((*admin)->CreateTopic(kTopic, 4));
    ASSERT_OK((*admin)->CreateTopic(kDeadLetters, 1));
  }

  void TearDown() override {
    if (WaitExitWithin(projector_, 0s) < 0 && projector_ > 0) {
      kill(projector_, SIGKILL);
      WaitExitWithin(projector_, 30s);
    }
  }

  std::vector<std::string> Common() const {
    return {"--bootstrap", broker_.bootstrap(),   "--data",     data_.string(), "--topics",
            kTopic,        "--dead-letter-topic", kDeadLetters, "--log-level",  "info"};
  }

  RunResult Projector(std::vector<std::string> extra) const {
    auto args = Common();
    args.insert(args.end(), extra.begin(), extra.end());
    return RunProgram(PILOTAGE_PROJECTOR_BIN, args);
  }

  pilotage::testing::TempDir dir_;
  pilotage::testing::OwnBroker broker_{PILOTAGE_SOURCE_DIR "/scripts/kafka", dir_.path() / "kafka"};
  std::filesystem::path data_ = dir_.path() / "projector";
  std::filesystem::path log_ = dir_.path() / "projector.log";
  pid_t projector_ = -1;
};

TEST_F(BrokerGoneStop, ExitsOnSigtermAndARestartFoldsEveryEventOnce) {
  auto truth = pilotage::testing::ProduceSynthetic({.bootstrap = broker_.bootstrap(),
                                                    .topic = kTopic,
                                                    .events = 300000,
                                                    .resend_share = 0.02,
                                                    .seed = 35});
  ASSERT_OK(truth);

  // Small batches: many store writes and offset commits are under way when
  // the broker goes.
  auto args = Common();
  args.insert(args.end(), {"--group", kGroup, "run", "--batch-events", "2000"});
  projector_ = pilotage::testing::Spawn(PILOTAGE_PROJECTOR_BIN, args, log_);
  ASSERT_GT(projector_, 0);
  const auto deadline = Clock::now() + 120s;
  while (!LogContains(log_, "assigned") && Clock::now() < deadline &&
         WaitExitWithin(projector_, 0s) < 0) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(LogContains(log_, "assigned")) << TailOf(log_);

  broker_.Stop();
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(kill(projector_, SIGTERM), 0);
  const auto signalled = Clock::now();
  // "It exits" is the assertion; the bound only keeps a hung projector from
  // hanging the test (librdkafka's own close used to wait for minutes).
  const int code = WaitExitWithin(projector_, 120s);
  ASSERT_NE(code, -1) << "the projector still runs 120 s after SIGTERM with its broker gone:\n"
                      << TailOf(log_);
  projector_ = -1;
  EXPECT_EQ(code, 0) << TailOf(log_);
  std::cout
      << "exited "
      << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled).count()
      << " ms after SIGTERM" << std::endl;

  broker_.Start();
  ASSERT_FALSE(HasFailure());

  // What the stopped projector had stored, for the record (not asserted: how
  // far it got depends on the machine).
  RunResult before = Projector({"status", "--json"});
  ASSERT_EQ(before.code, 0) << before.output;
  const nlohmann::json stored_before = nlohmann::json::parse(before.output);
  int64_t folded_before = 0;
  for (const auto& p : stored_before["partitions"]) {
    folded_before += p["folded"].get<int64_t>();
  }
  std::cout << "stored when the broker went: " << folded_before << " of " << truth->distinct
            << " distinct events" << std::endl;

  auto again = Common();
  again.insert(again.end(), {"--group", kGroup, "run", "--until-caught-up"});
  projector_ = pilotage::testing::Spawn(PILOTAGE_PROJECTOR_BIN, again, log_);
  ASSERT_EQ(WaitExitWithin(projector_, 300s), 0) << TailOf(log_);
  projector_ = -1;

  RunResult status = Projector({"status", "--json"});
  ASSERT_EQ(status.code, 0) << status.output;
  const nlohmann::json stored = nlohmann::json::parse(status.output);
  int64_t folded = 0, duplicates = 0;
  for (const auto& p : stored["partitions"]) {
    EXPECT_EQ(p["lag"].get<int64_t>(), 0) << p.dump();
    folded += p["folded"].get<int64_t>();
    duplicates += p["duplicates"].get<int64_t>();
  }
  EXPECT_EQ(folded, truth->distinct) << TailOf(log_);
  EXPECT_EQ(duplicates, truth->resends);
  RunResult counts = Projector({"counts"});
  ASSERT_EQ(counts.code, 0) << counts.output;
  std::map<std::string, int64_t> stored_counts;
  std::istringstream in(counts.output);
  std::string key;
  int64_t n = 0;
  while (in >> key >> n) stored_counts[key] = n;
  EXPECT_EQ(stored_counts, truth->counts);
}

}  // namespace
}  // namespace pilotage
