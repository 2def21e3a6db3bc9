// Issue 16 point 1, decision 0028: the penalty job and `pilotagectl
// statement --issue` refuse a store they cannot trust, through the real
// broker and the real programs.
//
// The issue's case: two projectors in ONE consumer group split the
// partitions of the activity and contract topics (2 partitions each)
// between their stores. Each store then misses the partitions the other
// folded: the job on either refuses (exit 10) and names them; nothing is
// priced. A third projector in its own group folds every partition: the job
// accepts its store. An award published without its terms then makes that
// store refused too, naming the lot.
//
// The scenario: LOT-21 on partition 0 of both topics, LOT-22 on partition 1;
// each lot has its award, its terms and 4 requests of 2 April 2024 each met
// by an appointment the next day. Q2 2024 closes on 15 July (15 days of
// grace).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/testing/broker.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::vector<v1::Event> Contract(const std::string& lot) {
  v1::Event terms = testing::AwardOf(lot);
  terms.clear_lot_awarded();
  terms.set_event_id("terms-2024.1-" + lot);
  *terms.mutable_terms_published()->mutable_terms() = testing::FirstAppointmentTerms();
  return {testing::AwardOf(lot), terms};
}

// 4 requests of 2 April 2024, each met the next day.
std::vector<v1::Event> Activity(const std::string& lot) {
  std::vector<v1::Event> out;
  for (int i = 0; i < 4; ++i) {
    for (auto& e : testing::RequestAndFirstAppointment(lot, lot + "-benef-" + std::to_string(i),
                                                       absl::CivilDay(2024, 4, 2),
                                                       absl::CivilDay(2024, 4, 3))) {
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::string ReadAll(const fs::path& path) {
  std::ostringstream text;
  text << std::ifstream(path, std::ios::binary).rdbuf();
  return text.str();
}

class StoreTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::ConnectBroker(broker_, {dead_letters_}));
    ASSERT_OK(broker_.admin->CreateTopic(activity_, 2));
    ASSERT_OK(broker_.admin->CreateTopic(contract_, 2));
  }

  void TearDown() override {
    for (pid_t pid : running_) {
      kill(pid, SIGTERM);
      testing::WaitExit(pid);
    }
  }

  // A projector that runs until stopped, in `group`, logging at info (its
  // "starts at offset" lines say which partitions it was assigned).
  pid_t StartProjector(const fs::path& data, const std::string& group, const fs::path& log) {
    const pid_t pid =
        testing::Spawn(PILOTAGE_PROJECTOR_BIN,
                       {"--bootstrap", broker_.bootstrap, "--data", data.string(), "--topics",
                        activity_ + "," + contract_, "--dead-letter-topic", dead_letters_,
                        "--group", group, "--log-level", "info", "run", "--batch-ms", "100"},
                       log);
    if (pid > 0) running_.push_back(pid);
    return pid;
  }

  int Stop(pid_t pid) {
    kill(pid, SIGTERM);
    std::erase(running_, pid);
    return testing::WaitExit(pid);
  }

  // Per "topic/partition", the next offset `data`'s store folded (empty when
  // there is no store yet).
  static std::map<std::string, int64_t> Folded(const fs::path& data) {
    std::map<std::string, int64_t> out;
    auto view = readmodel::ReadStore::OpenReadOnly(data);
    if (!view.ok()) return out;
    for (const auto& [p, progress] : (*view)->freshness().progress) out[p] = progress.next_offset;
    return out;
  }

  testing::RunResult Job(const fs::path& data, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--data",
                                     data.string(),
                                     "--period",
                                     "2024-Q2",
                                     "--today",
                                     "2024-07-15",
                                     "--topic",
                                     contract_,
                                     "--activity-topic",
                                     activity_,
                                     "--bootstrap",
                                     broker_.bootstrap,
                                     "--catch-up-wait",
                                     "0s",
                                     "--transactional-id",
                                     "trust-" + contract_,
                                     "--dry-run"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::RunProgram(PILOTAGE_PENALTY_JOB_BIN, args, /*with_stderr=*/true);
  }

  testing::RunResult IssueStatement(const fs::path& data) {
    return testing::RunProgram(
        PILOTAGECTL_BIN,
        {"--data", data.string(), "statement", "--lot", "LOT-21", "--period", "2024-Q2", "--on",
         "2024-07-20", "--issue", "--by", "pilote", "--dry-run", "--bootstrap", broker_.bootstrap,
         "--topic", contract_, "--activity-topic", activity_},
        /*with_stderr=*/true);
  }

  std::string activity_ = testing::UniqueTopic("trust.activity");
  std::string contract_ = testing::UniqueTopic("trust.contract");
  std::string dead_letters_ = testing::UniqueTopic("trust.dead");
  testing::BrokerClients broker_;
  testing::TempDir dir_;
  std::vector<pid_t> running_;
};

TEST_F(StoreTrust, StoresSplitByOneConsumerGroupAreRefusedAndAWholeStoreIsAccepted) {
  // 1. Two projectors in one group, before any event: wait until each has
  // been assigned its share (its log names the partitions it starts).
  const std::string group = "trust-shared-" + contract_;
  const fs::path data_a = dir_.path() / "a", data_b = dir_.path() / "b";
  const fs::path log_a = dir_.path() / "a.log", log_b = dir_.path() / "b.log";
  const pid_t a = StartProjector(data_a, group, log_a);
  const pid_t b = StartProjector(data_b, group, log_b);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  const auto assigned_by = Clock::now() + 120s;
  while ((ReadAll(log_a).find("starts at offset") == std::string::npos ||
          ReadAll(log_b).find("starts at offset") == std::string::npos) &&
         Clock::now() < assigned_by) {
    std::this_thread::sleep_for(50ms);  // polling a file for a condition, bounded
  }
  ASSERT_NE(ReadAll(log_a).find("starts at offset"), std::string::npos) << testing::TailOf(log_a);
  ASSERT_NE(ReadAll(log_b).find("starts at offset"), std::string::npos) << testing::TailOf(log_b);

  // 2. The events, each lot on its partition.
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, contract_, Contract("LOT-21"), 0));
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, contract_, Contract("LOT-22"), 1));
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, activity_, Activity("LOT-21"), 0));
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, activity_, Activity("LOT-22"), 1));
  const std::map<std::string, int64_t> ends = {
      {activity_ + "/0", 8}, {activity_ + "/1", 8}, {contract_ + "/0", 2}, {contract_ + "/1", 2}};

  // 3. Between them, the two stores fold every event.
  std::map<std::string, int64_t> folded_a, folded_b;
  auto together = [&] {
    for (const auto& [p, end] : ends) {
      const int64_t got =
          std::max(folded_a.contains(p) ? folded_a[p] : 0, folded_b.contains(p) ? folded_b[p] : 0);
      if (got < end) return false;
    }
    return true;
  };
  const auto folded_by = Clock::now() + 120s;
  do {
    folded_a = Folded(data_a);
    folded_b = Folded(data_b);
    if (!together()) std::this_thread::sleep_for(50ms);  // polling, bounded
  } while (!together() && Clock::now() < folded_by);
  ASSERT_TRUE(together()) << testing::TailOf(log_a) << testing::TailOf(log_b);
  EXPECT_EQ(Stop(a), 0) << testing::TailOf(log_a);
  EXPECT_EQ(Stop(b), 0) << testing::TailOf(log_b);
  folded_a = Folded(data_a);
  folded_b = Folded(data_b);

  // 4. The job on either store refuses it, naming every partition it misses.
  for (const auto& [data, folded] : {std::pair{data_a, folded_a}, std::pair{data_b, folded_b}}) {
    std::vector<std::string> missing;
    for (const auto& [p, end] : ends) {
      if (!folded.contains(p)) missing.push_back(p);
    }
    ASSERT_FALSE(missing.empty()) << "each projector of the group folded some partitions only";
    auto refused = Job(data);
    EXPECT_EQ(refused.code, 10) << refused.output;
    EXPECT_NE(refused.output.find(std::to_string(missing.size()) +
                                  " partition(s) sur 4 jamais intégrée(s)"),
              std::string::npos)
        << refused.output;
    for (const auto& p : missing) {
      EXPECT_NE(refused.output.find(p), std::string::npos) << p << "\n" << refused.output;
    }
    EXPECT_EQ(refused.output.find("Pénalités"), std::string::npos) << "nothing priced";
    auto statement = IssueStatement(data);
    EXPECT_EQ(statement.code, 10) << statement.output;
    EXPECT_NE(statement.output.find("jamais intégrée(s)"), std::string::npos) << statement.output;
  }

  // 5. A projector in its own group folds every partition: accepted.
  const fs::path data_c = dir_.path() / "c";
  testing::RunProjectorUntilCaughtUp(
      PILOTAGE_PROJECTOR_BIN, {broker_.bootstrap, data_c, activity_ + "," + contract_,
                               dead_letters_, "trust-own-" + contract_, dir_.path() / "c.log"});
  const auto whole = Job(data_c);
  ASSERT_EQ(whole.code, 0) << whole.output;
  EXPECT_NE(whole.output.find("LOT-21"), std::string::npos) << whole.output;
  EXPECT_NE(whole.output.find("LOT-22"), std::string::npos) << whole.output;
  const auto statement = IssueStatement(data_c);
  EXPECT_EQ(statement.code, 0) << statement.output;

  // 6. An award without its terms: the store knows a lot it cannot price.
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, contract_, {testing::AwardOf("LOT-23")}, 0));
  testing::RunProjectorUntilCaughtUp(
      PILOTAGE_PROJECTOR_BIN, {broker_.bootstrap, data_c, activity_ + "," + contract_,
                               dead_letters_, "trust-own-" + contract_, dir_.path() / "c.log"});
  const auto no_terms = Job(data_c);
  EXPECT_EQ(no_terms.code, 10) << no_terms.output;
  EXPECT_NE(no_terms.output.find("sans leurs conditions contractuelles (TermsPublished) : LOT-23"),
            std::string::npos)
      << no_terms.output;
}

// A store behind the log, given time: the job waits for the projector and
// prices once it has caught up. The job starts first and finds the store
// behind (a new event after the projector stopped), then the projector
// catches up; either order of the two ends in an accepted store.
TEST_F(StoreTrust, TheJobWaitsForAProjectorThatIsCatchingUp) {
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, contract_, Contract("LOT-21"), 0));
  ASSERT_NO_FATAL_FAILURE(
      testing::ProduceEvents(*broker_.producer, activity_, Activity("LOT-21"), 0));
  const fs::path data = dir_.path() / "data";
  const testing::ProjectorCatchUp run{broker_.bootstrap,           data,
                                      activity_ + "," + contract_, dead_letters_,
                                      "trust-wait-" + contract_,   dir_.path() / "projector.log"};
  testing::RunProjectorUntilCaughtUp(PILOTAGE_PROJECTOR_BIN, run);
  const v1::Event late = testing::RequestAndFirstAppointment(
      "LOT-21", "late", absl::CivilDay(2024, 4, 2), absl::CivilDay(2024, 4, 3))[0];
  ASSERT_NO_FATAL_FAILURE(testing::ProduceEvents(*broker_.producer, activity_, {late}, 0));

  auto behind = Job(data);
  EXPECT_EQ(behind.code, 10) << behind.output;
  EXPECT_NE(behind.output.find(activity_ + "/0 de 1 événement(s) (intégrée jusqu'à 8, fin du "
                                           "journal 9)"),
            std::string::npos)
      << behind.output;

  // The job, given 5 minutes, in the background; the projector meanwhile.
  const fs::path job_log = dir_.path() / "job.log";
  const pid_t job = testing::Spawn(
      PILOTAGE_PENALTY_JOB_BIN,
      {"--data", data.string(), "--period", "2024-Q2", "--today", "2024-07-15", "--topic",
       contract_, "--activity-topic", activity_, "--bootstrap", broker_.bootstrap,
       "--catch-up-wait", "5m", "--transactional-id", "trust-" + contract_, "--dry-run"},
      job_log);
  ASSERT_GT(job, 0);
  testing::RunProjectorUntilCaughtUp(PILOTAGE_PROJECTOR_BIN, run);
  EXPECT_EQ(testing::WaitExit(job), 0) << testing::TailOf(job_log);
  EXPECT_NE(ReadAll(job_log).find("LOT-21"), std::string::npos) << testing::TailOf(job_log);
}

}  // namespace
}  // namespace pilotage
