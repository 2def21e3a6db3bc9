// Stores that survive (decision 0022), against a real broker and RocksDB on
// disk: the leftovers of an interrupted store creation are cleaned up, source
// topics that would lose events are refused (the retention guard), and an
// online backup restored into a new data directory catches up to the same
// read models as a clean rebuild of the same log.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fmt/chrono.h"
#include "fmt/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/store/store.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using pilotage::testing::RunProgram;
using pilotage::testing::TailOf;
using pilotage::testing::WaitExit;

constexpr int kExitRetentionRefused = 8;  // documented in pilotage-projector --help

// Complete backups (backup-*, not partial) in `dir`.
std::vector<fs::path> Backups(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("backup-") && !name.ends_with(".partial") && !name.ends_with(".tmp")) {
      out.push_back(e.path());
    }
  }
  return out;
}

// Entries of `dir` whose name ends in ".partial".
int Partials(const fs::path& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    n += e.path().filename().string().ends_with(".partial");
  }
  return n;
}

class Stores : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = pilotage::testing::BrokerOrFail();
    ASSERT_FALSE(bootstrap_.empty());
    auto admin = kafka::Admin::Create(bootstrap_);
    ASSERT_OK(admin);
    admin_ = std::move(*admin);
    topic_ = pilotage::testing::UniqueTopic("stores");
    dead_letters_ = topic_ + ".dead";
    ASSERT_OK(admin_->CreateTopic(topic_, 3, {{"retention.ms", "-1"}}));
    ASSERT_OK(admin_->CreateTopic(dead_letters_, 1));
    log_ = dir_.path() / "projector.log";
  }

  std::vector<std::string> Common(const std::string& data, const std::string& topic) const {
    return {"--bootstrap",
            bootstrap_,
            "--data",
            (dir_.path() / data).string(),
            "--topics",
            topic,
            "--dead-letter-topic",
            dead_letters_,
            "--group",
            topic + "." + data,
            "--log-level",
            "warn"};
  }

  pilotage::testing::RunResult Projector(const std::string& data, std::vector<std::string> extra,
                                         const std::string& topic = "") {
    auto args = Common(data, topic.empty() ? topic_ : topic);
    args.insert(args.end(), extra.begin(), extra.end());
    return RunProgram(PILOTAGE_PROJECTOR_BIN, args, /*with_stderr=*/true);
  }

  std::string Digest(const std::string& data) {
    auto r = Projector(data, {"digest"});
    EXPECT_EQ(r.code, 0) << r.output;
    return r.output;
  }

  // The summed lag of the store in `data`; -1 while it has no store yet.
  // Once `status` has read a store, every later run must read it too, even
  // beside a projector that flushes and compacts it (its backups flush).
  int64_t Lag(const std::string& data) {
    auto args = Common(data, topic_);
    args.insert(args.end(), {"status", "--json"});
    auto r = RunProgram(PILOTAGE_PROJECTOR_BIN, args);
    auto status = nlohmann::json::parse(r.output, nullptr, false);
    if (r.code != 0 || !status.is_object()) {
      EXPECT_FALSE(status_read_.contains(data))
          << "status of " << data << " after it read the store once: exit " << r.code << ": "
          << r.output;
      return -1;
    }
    status_read_.insert(data);
    int64_t lag = 0;
    for (const auto& p : status["partitions"]) lag += p["lag"].get<int64_t>();
    return lag;
  }

  pilotage::testing::SyntheticTruth Produce(int64_t events, uint64_t seed) {
    auto truth = pilotage::testing::ProduceSynthetic(
        {.bootstrap = bootstrap_, .topic = topic_, .events = events, .seed = seed});
    EXPECT_OK(truth);
    return truth.ok() ? *truth : pilotage::testing::SyntheticTruth{};
  }

  // Produces `events` and folds them into "reference": its digest.
  std::string ProduceAndFold(int64_t events, uint64_t seed) {
    Produce(events, seed);
    auto run = Projector("reference", {"run", "--until-caught-up"});
    EXPECT_EQ(run.code, 0) << run.output;
    return Digest("reference");
  }

  std::string bootstrap_, topic_, dead_letters_;
  std::unique_ptr<kafka::Admin> admin_;
  pilotage::testing::TempDir dir_;
  fs::path log_;
  std::set<std::string> status_read_;  // data dirs whose store `status` has read
};

// ---------------------------------------------------------------- creation

TEST_F(Stores, AStoreLeftHalfCreatedByAKillIsRemovedAndCreatedAgain) {
  const std::string reference = ProduceAndFold(3000, 21);

  // What a kill leaves in the middle of creation: a RocksDB database without
  // the projection's column families or tag, under the partial name, and a
  // half-made link.
  const fs::path data = dir_.path() / "killed";
  fs::create_directories(data / "stores");
  {
    auto bare = store::Store::Open((data / "stores" / "initial.partial").string(), {});
    ASSERT_OK(bare);
  }
  fs::create_directory_symlink("stores/initial.partial", data / "current.partial");

  auto run = Projector("killed", {"run", "--until-caught-up"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(Digest("killed"), reference);
  EXPECT_EQ(Partials(data), 0);
  EXPECT_EQ(Partials(data / "stores"), 0);
  EXPECT_EQ(fs::read_symlink(data / "current"), fs::path("stores/initial"));
}

TEST_F(Stores, AStoreCreatedButNotYetLinkedIsTakenAsItIs) {
  const std::string reference = ProduceAndFold(3000, 22);

  // A kill between the rename of the complete store and the link: the store
  // is there (here, one that has already folded everything), the link not.
  ASSERT_EQ(Projector("unlinked", {"run", "--until-caught-up"}).code, 0);
  fs::remove(dir_.path() / "unlinked" / "current");

  auto run = Projector("unlinked", {"run", "--until-caught-up"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(Digest("unlinked"), reference);
  EXPECT_EQ(Lag("unlinked"), 0);
}

TEST_F(Stores, ALinkToNoStoreLeftByAnOlderVersionGetsAStore) {
  const std::string reference = ProduceAndFold(3000, 24);

  // Versions before decision 0022 linked first and created the store after:
  // a kill in between left `current` pointing at nothing.
  const fs::path data = dir_.path() / "dangling";
  fs::create_directories(data / "stores");
  fs::create_directory_symlink("stores/initial", data / "current");

  auto run = Projector("dangling", {"run", "--until-caught-up"});
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(Digest("dangling"), reference);
  EXPECT_EQ(Partials(data / "stores"), 0);
}

// ---------------------------------------------------------------- retention guard

struct Refused {
  std::map<std::string, std::string> configs;
  std::string setting;  // what the message must name, e.g. "retention.ms=604800000"
  std::string fix;      // what it must say to set
};

TEST_F(Stores, SourceTopicsThatLoseEventsAreRefusedWithWhatToSet) {
  const std::vector<Refused> cases = {
      {{{"retention.ms", "604800000"}}, "retention.ms=604800000", "retention.ms=-1"},
      {{{"retention.ms", "-1"}, {"retention.bytes", "1073741824"}},
       "retention.bytes=1073741824",
       "retention.bytes=-1"},
      {{{"cleanup.policy", "compact"}}, "cleanup.policy=compact", "cleanup.policy=delete"},
      {{{"cleanup.policy", "compact,delete"}, {"retention.ms", "-1"}},
       "cleanup.policy=compact,delete",
       "cleanup.policy=delete"},
  };
  for (const auto& c : cases) {
    const std::string topic = pilotage::testing::UniqueTopic("finite");
    ASSERT_OK(admin_->CreateTopic(topic, 1, c.configs)) << c.setting;
    // The guard checks every source topic: the good one first, then this one.
    const std::string data = "refused-" + topic;
    for (const char* command : {"run", "rebuild"}) {
      std::vector<std::string> extra = {command};
      if (std::string(command) == "rebuild") {
        extra.insert(extra.end(), {"--into", (dir_.path() / (data + "-rebuilt")).string()});
      }
      auto r = Projector(data, extra, topic_ + "," + topic);
      EXPECT_EQ(r.code, kExitRetentionRefused) << command << " " << c.setting << ": " << r.output;
      EXPECT_NE(r.output.find("topic " + topic + " has " + c.setting), std::string::npos)
          << r.output;
      EXPECT_NE(r.output.find(c.fix), std::string::npos) << r.output;
    }
    // Refused before anything was created.
    EXPECT_FALSE(fs::exists(dir_.path() / data)) << c.setting;
    EXPECT_FALSE(fs::exists(dir_.path() / (data + "-rebuilt"))) << c.setting;
  }
}

TEST_F(Stores, SourceTopicsThatKeepEverythingAreAccepted) {
  // topic_ was created with retention.ms=-1; `defaults` takes the broker's
  // defaults, which scripts/kafka sets to keep everything, as
  // deploy/kafka/server.properties does (the project's own topics are
  // checked in libs/kafka's broker test).
  Produce(500, 23);
  const std::string defaults = pilotage::testing::UniqueTopic("defaults");
  ASSERT_OK(admin_->CreateTopic(defaults, 1));
  auto r = Projector("accepted", {"run", "--until-caught-up"}, topic_ + "," + defaults);
  EXPECT_EQ(r.code, 0) << r.output;
}

// ---------------------------------------------------------------- backups

TEST_F(Stores, ABackupRestoredAndCaughtUpEqualsACleanRebuild) {
  const auto first = Produce(40000, 31);
  const fs::path backups = dir_.path() / "backups";
  const int port = pilotage::testing::FreePort();
  ASSERT_GT(port, 0);
  const auto started = std::chrono::system_clock::now();
  pid_t pid = pilotage::testing::Spawn(
      PILOTAGE_PROJECTOR_BIN,
      [&] {
        auto args = Common("live", topic_);
        args.insert(args.end(), {"run", "--batch-events", "1000", "--backup-dir", backups.string(),
                                 "--backup-every", "1s", "--backup-keep", "2", "--metrics-port",
                                 std::to_string(port)});
        return args;
      }(),
      log_);

  // Wait (bounded) until the store holds the first part, then for a backup
  // whose name is at least one second later than that moment: it was taken
  // after the fold was complete, so it holds the whole first part.
  const auto deadline = Clock::now() + 120s;
  while (Lag("live") != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);  // polling a condition, bounded
  }
  ASSERT_EQ(Lag("live"), 0) << TailOf(log_);
  const std::string after =
      fmt::format("backup-{:%Y%m%dT%H%M%SZ}",
                  std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + 1s);
  fs::path backup;
  while (backup.empty() && Clock::now() < deadline) {
    for (const auto& b : Backups(backups)) {
      if (b.filename().string().substr(0, after.size()) >= after) backup = b;
    }
    if (backup.empty()) std::this_thread::sleep_for(100ms);  // polling, bounded
  }
  ASSERT_FALSE(backup.empty()) << TailOf(log_);

  // The backup metrics, as Prometheus scrapes them.
  httplib::Client client("127.0.0.1", port);
  auto scraped = client.Get("/metrics");
  ASSERT_TRUE(scraped && scraped->status == 200);
  auto sample = [&](const std::string& name) {
    std::istringstream lines(scraped->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1.0;
  };
  EXPECT_EQ(sample("pilotage_projector_backup_interval_seconds"), 1.0);
  EXPECT_GT(sample("pilotage_projector_last_backup_bytes"), 0.0);
  EXPECT_GE(sample("pilotage_projector_last_backup_timestamp_seconds"),
            std::chrono::duration<double>(started.time_since_epoch()).count() - 1);
  EXPECT_GE(sample("pilotage_projector_backups_total"), 1.0);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(pid), 0) << TailOf(log_);
  EXPECT_LE(Backups(backups).size(), 2u) << "--backup-keep 2";
  EXPECT_EQ(Partials(backups), 0);

  // More events after the backup; the store is then lost: restore into a new
  // data directory and catch up.
  const auto second = Produce(25000, 32);
  auto restored = Projector("restored", {"restore", "--from", backup.string()});
  ASSERT_EQ(restored.code, 0) << restored.output;
  int64_t resumed = 0;
  std::istringstream lines(restored.output);
  for (std::string line; std::getline(lines, line);) {
    const auto at = line.find(" resumes at offset ");
    if (at != std::string::npos) resumed += std::stoll(line.substr(at + 19));
  }
  EXPECT_EQ(resumed, first.sent) << restored.output;
  ASSERT_EQ(Projector("restored", {"run", "--until-caught-up"}).code, 0);

  ASSERT_EQ(Projector("rebuilt", {"run", "--until-caught-up"}).code, 0);
  EXPECT_EQ(Digest("restored"), Digest("rebuilt"));
  EXPECT_NE(Digest("live"), Digest("rebuilt")) << "the second part must matter";
  EXPECT_EQ(Lag("restored"), 0);
  EXPECT_EQ(first.sent + second.sent, [&] {
    auto args = Common("restored", topic_);
    args.insert(args.end(), {"status", "--json"});
    auto status = pilotage::testing::RunJson(PILOTAGE_PROJECTOR_BIN, args);
    int64_t end = 0;
    for (const auto& p : status["partitions"]) end += p["end_offset"].get<int64_t>();
    return end;
  }());

  // A data directory that has a store is never overwritten; the backup
  // directory itself names its newest backup.
  auto again = Projector("restored", {"restore", "--from", backups.string()});
  EXPECT_EQ(again.code, 6) << again.output;
  EXPECT_NE(again.output.find("already has a store"), std::string::npos) << again.output;
  auto newest = Projector("restored-newest", {"restore", "--from", backups.string()});
  EXPECT_EQ(newest.code, 0) << newest.output;
  auto none = Projector("nothing", {"restore", "--from", (dir_.path() / "empty").string()});
  EXPECT_EQ(none.code, 5) << none.output;
}

}  // namespace
}  // namespace pilotage
