// The crash proof: the projector folds a stream while it is killed with
// SIGKILL at random moments and restarted; its final read model must be the
// same, digest for digest, as an uninterrupted run's, and its counts those of
// the generator's ground truth. Then the same with two projectors sharing the
// partitions and one leaving in the middle.
//
// Then projectors killed during start-up, while they create their store: each
// restart must find no store or a complete one (decision 0022).
//
// Size: PILOTAGE_CRASH_EVENTS (default 300000) distinct events, 2% resent;
// PILOTAGE_CRASH_KILLS (default 12) kills; PILOTAGE_CRASH_STARTUP_KILLS
// (default 12) projectors killed during start-up.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::stoll(v) : fallback;
}

pid_t Spawn(const std::vector<std::string>& args, const std::filesystem::path& log) {
  return pilotage::testing::Spawn(PILOTAGE_PROJECTOR_BIN, args, log);
}

using pilotage::testing::TailOf;
using pilotage::testing::WaitExit;

// Runs the projector to completion and returns its standard output.
std::string Capture(const std::vector<std::string>& args, int* exit_code) {
  auto result = pilotage::testing::RunProgram(PILOTAGE_PROJECTOR_BIN, args);
  *exit_code = result.code;
  return result.output;
}

class CrashProof : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = pilotage::testing::BrokerOrFail();
    ASSERT_FALSE(bootstrap_.empty());
    topic_ = pilotage::testing::UniqueTopic("crash");
    dead_letters_ = topic_ + ".dead";
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    ASSERT_OK((*admin)->CreateTopic(topic_, 4));
    ASSERT_OK((*admin)->CreateTopic(dead_letters_, 1));
    events_ = EnvInt("PILOTAGE_CRASH_EVENTS", 300000);
    kills_ = static_cast<int>(EnvInt("PILOTAGE_CRASH_KILLS", 12));
    log_ = dir_.path() / "projector.log";
  }

  std::vector<std::string> Common(const std::string& data) const {
    return {"--bootstrap",
            bootstrap_,
            "--data",
            (dir_.path() / data).string(),
            "--topics",
            topic_,
            "--dead-letter-topic",
            dead_letters_,
            "--log-level",
            "warn"};
  }

  std::vector<std::string> RunArgs(const std::string& data, const std::string& group,
                                   std::vector<std::string> extra) const {
    auto args = Common(data);
    args.insert(args.end(), {"--group", group});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  std::string Digest(const std::string& data) {
    int code = 0;
    auto args = Common(data);
    args.push_back("digest");
    std::string out = Capture(args, &code);
    EXPECT_EQ(code, 0) << out;
    return out;
  }

  nlohmann::json Status(const std::string& data) {
    int code = 0;
    auto args = Common(data);
    args.insert(args.end(), {"status", "--json"});
    std::string out = Capture(args, &code);
    if (code != 0) return nullptr;
    return nlohmann::json::parse(out, nullptr, false);
  }

  std::map<std::string, int64_t> Counts(const std::string& data) {
    int code = 0;
    auto args = Common(data);
    args.push_back("counts");
    std::istringstream in(Capture(args, &code));
    EXPECT_EQ(code, 0);
    std::map<std::string, int64_t> counts;
    std::string key;
    int64_t n = 0;
    while (in >> key >> n) counts[key] = n;
    return counts;
  }

  // Folds the topic uninterrupted into `data` and returns its digest.
  std::string ReferenceRun(const std::string& data) {
    pid_t pid = Spawn(RunArgs(data, topic_ + ".reference", {"run", "--until-caught-up"}), log_);
    EXPECT_EQ(WaitExit(pid), 0) << TailOf(log_);
    return Digest(data);
  }

  void ExpectCountersMatch(const std::string& data,
                           const pilotage::testing::SyntheticTruth& truth) {
    nlohmann::json status = Status(data);
    ASSERT_TRUE(status.is_object()) << "status failed";
    int64_t folded = 0, duplicates = 0, dead = 0;
    for (const auto& p : status["partitions"]) {
      EXPECT_EQ(p["lag"].get<int64_t>(), 0) << p.dump();
      folded += p["folded"].get<int64_t>();
      duplicates += p["duplicates"].get<int64_t>();
      dead += p["dead_letters"].get<int64_t>();
    }
    EXPECT_EQ(folded, truth.distinct);
    EXPECT_EQ(duplicates, truth.resends);
    EXPECT_EQ(dead, truth.undecodable);
    EXPECT_EQ(Counts(data), truth.counts);
  }

  std::string bootstrap_, topic_, dead_letters_;
  int64_t events_ = 0;
  int kills_ = 0;
  pilotage::testing::TempDir dir_;
  std::filesystem::path log_;
};

TEST_F(CrashProof, KilledAtRandomMomentsFoldsExactlyWhatAnUninterruptedRunFolds) {
  // Events are produced while the projector is being killed, so that kills
  // land in the middle of real work.
  pilotage::testing::SyntheticTruth truth;
  absl::Status produced;
  std::thread producer([&] {
    auto t = pilotage::testing::ProduceSynthetic({.bootstrap = bootstrap_,
                                                  .topic = topic_,
                                                  .events = events_,
                                                  .resend_share = 0.02,
                                                  .undecodable = 25,
                                                  .seed = 7});
    produced = t.status();
    if (t.ok()) truth = *t;
  });

  std::mt19937_64 rng(std::random_device{}());
  for (int k = 0; k < kills_; ++k) {
    pid_t pid = Spawn(RunArgs("crashed", topic_ + ".crashed",
                              {"--instance-id", "crash-1", "run", "--batch-events", "2000"}),
                      log_);
    // Fault injection, not synchronisation: the kill lands at a random moment
    // of the run (start-up, mid-batch, mid-write, idle).
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 1400));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_EQ(WaitExit(pid), 128 + SIGKILL);
  }
  producer.join();
  ASSERT_OK(produced);
  std::cout << "produced " << truth.distinct << " distinct events, " << truth.resends
            << " resends, " << truth.undecodable << " undecodable; " << kills_ << " kills"
            << std::endl;

  pid_t last = Spawn(RunArgs("crashed", topic_ + ".crashed",
                             {"--instance-id", "crash-1", "run", "--until-caught-up"}),
                     log_);
  ASSERT_EQ(WaitExit(last), 0) << TailOf(log_);

  const std::string reference = ReferenceRun("reference");
  const std::string crashed = Digest("crashed");
  std::cout << "digest reference " << reference << "digest crashed   " << crashed;
  EXPECT_EQ(crashed, reference);
  ExpectCountersMatch("crashed", truth);
  ExpectCountersMatch("reference", truth);
}

TEST_F(CrashProof, KilledDuringStartUpLeavesNoStoreOrACompleteOne) {
  auto truth = pilotage::testing::ProduceSynthetic(
      {.bootstrap = bootstrap_, .topic = topic_, .events = 20000, .seed = 13});
  ASSERT_OK(truth);
  const std::string reference = ReferenceRun("reference");

  // Each projector starts on a data directory of its own and is killed after
  // a delay spread over its start-up (checking the topics, creating the store,
  // joining the group), twice in a row, then restarted to the end: the
  // creation of the store is interrupted at many different instants.
  const int projectors = static_cast<int>(EnvInt("PILOTAGE_CRASH_STARTUP_KILLS", 12));
  std::mt19937_64 rng(std::random_device{}());
  // Where the kills landed, for the record: what each left on disk.
  std::map<std::string, int> left;
  for (int k = 0; k < projectors; ++k) {
    const std::string data = "startup-" + std::to_string(k);
    const std::filesystem::path root = dir_.path() / data;
    for (int round = 0; round < 2; ++round) {
      // Static membership, as in production: the restarted projector takes
      // back the partitions of the killed one at once.
      pid_t pid = Spawn(RunArgs(data, topic_ + "." + data, {"--instance-id", data, "run"}), log_);
      // Fault injection, not synchronisation: 0 to ~1 s after exec, over
      // which a projector checks its topics, creates its store (fsyncs
      // included) and joins its group.
      std::this_thread::sleep_for(std::chrono::milliseconds(k * 1000 / projectors + rng() % 40));
      ASSERT_EQ(kill(pid, SIGKILL), 0);
      EXPECT_EQ(WaitExit(pid), 128 + SIGKILL);
      ++left[std::filesystem::is_symlink(root / "current")              ? "a linked store"
             : std::filesystem::exists(root / "stores/initial")         ? "a store not yet linked"
             : std::filesystem::exists(root / "stores/initial.partial") ? "a partial store"
             : std::filesystem::exists(root / "stores")                 ? "an empty stores/"
                                                                        : "nothing"];
    }
    pid_t last = Spawn(
        RunArgs(data, topic_ + "." + data, {"--instance-id", data, "run", "--until-caught-up"}),
        log_);
    ASSERT_EQ(WaitExit(last), 0) << data << ": " << TailOf(log_);
    EXPECT_EQ(Digest(data), reference) << data;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path() / data / "stores")) {
      EXPECT_EQ(entry.path().filename(), "initial") << "leftover " << entry.path();
    }
  }
  std::cout << "start-up kills left:";
  for (const auto& [what, n] : left) std::cout << " " << what << " " << n << ";";
  std::cout << std::endl;
  ExpectCountersMatch("startup-0", *truth);
}

TEST_F(CrashProof, TwoProjectorsSplitThePartitionsAndTheSurvivorTakesOver) {
  auto truth = pilotage::testing::ProduceSynthetic({.bootstrap = bootstrap_,
                                                    .topic = topic_,
                                                    .events = events_,
                                                    .resend_share = 0.02,
                                                    .seed = 11});
  ASSERT_OK(truth);
  const std::string reference = ReferenceRun("reference");

  const std::string group = topic_ + ".pair";
  pid_t a = Spawn(RunArgs("a", group, {"run", "--batch-events", "2000"}), log_);
  pid_t b = Spawn(RunArgs("b", group, {"run", "--batch-events", "2000"}), log_);
  std::mt19937_64 rng(std::random_device{}());
  // Fault injection: A leaves at a random moment, B must take its partitions.
  std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500));
  ASSERT_EQ(kill(a, SIGTERM), 0);
  EXPECT_EQ(WaitExit(a), 0) << TailOf(log_);

  // Wait (bounded) until B has folded every partition to its end.
  const auto deadline = Clock::now() + 180s;
  bool caught_up = false;
  while (!caught_up && Clock::now() < deadline) {
    nlohmann::json status = Status("b");
    caught_up = status.is_object();
    if (caught_up) {
      for (const auto& p : status["partitions"]) caught_up &= p["lag"].get<int64_t>() == 0;
    }
    if (!caught_up) std::this_thread::sleep_for(250ms);  // polling a condition, bounded
  }
  ASSERT_EQ(kill(b, SIGTERM), 0);
  EXPECT_EQ(WaitExit(b), 0) << TailOf(log_);
  ASSERT_TRUE(caught_up) << "B did not catch up with every partition";

  EXPECT_EQ(Digest("b"), reference);
  ExpectCountersMatch("b", *truth);
}

}  // namespace
}  // namespace pilotage
