// The CEP read models end to end: each golden scenario of tests/fixtures/cep
// (events, terms, and the KPI tables worked out by hand in its README) is
// produced to a real broker, folded by the real pilotage-projector and read
// back with the real `pilotagectl kpis --json`. Then the shuffle property:
// the scenarios' events in 20 different orders, with resends, each folded
// into its own store, give identical KPI tables.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/broker.h"
#include "pilotage/testing/cep_scenario.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using Fixture = testing::CepScenario;

std::vector<Fixture> LoadFixtures() { return testing::LoadCepScenarios(PILOTAGE_CEP_FIXTURES); }

class CepGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::ConnectBroker(broker_, {dead_letters_}));
  }

  std::string NewTopic(const std::string& prefix) {
    std::string topic = testing::UniqueTopic(prefix);
    EXPECT_OK(broker_.admin->CreateTopic(topic, 1)) << topic;
    return topic;
  }

  // Produces `events` to partition 0 of `topic`, in this order.
  void Produce(const std::string& topic, const std::vector<v1::Event>& events) {
    testing::ProduceEvents(*broker_.producer, topic, events, /*partition=*/0);
  }

  std::vector<std::string> ProjectorArgs(const fs::path& data, const std::string& topics,
                                         const std::string& group) {
    return {"--bootstrap",
            broker_.bootstrap,
            "--data",
            data.string(),
            "--topics",
            topics,
            "--dead-letter-topic",
            dead_letters_,
            "--group",
            group,
            "--log-level",
            "warn",
            "run",
            "--until-caught-up",
            "--batch-events",
            "7"};
  }

  nlohmann::json Kpis(const fs::path& data, const nlohmann::json& query) {
    std::vector<std::string> args = {
        "--data", data.string(), "kpis", "--period", query["period"].get<std::string>(), "--json"};
    if (query.value("national", false)) {
      args.push_back("--national");
    } else {
      args.insert(args.end(), {"--lot", query["lot"].get<std::string>()});
    }
    return testing::RunJson(PILOTAGECTL_BIN, args);
  }

  std::string dead_letters_ = testing::UniqueTopic("cep.dead");
  testing::BrokerClients broker_;
  testing::TempDir dir_;
};

void ExpectMatches(const std::string& what, const nlohmann::json& want, const nlohmann::json& got) {
  SCOPED_TRACE(what);
  EXPECT_EQ(got["terms_version"], want["terms_version"]);
  EXPECT_EQ(got["closing_day"], want["closing_day"]);
  std::map<std::string, nlohmann::json> kpis;
  for (const auto& k : got["kpis"]) kpis[k["id"].get<std::string>()] = k;
  EXPECT_EQ(kpis.size(), want["kpis"].size()) << got.dump(2);
  for (const auto& [id, w] : want["kpis"].items()) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(kpis.count(id)) << got.dump(2);
    const auto& g = kpis[id];
    EXPECT_EQ(g["status"], w["status"]);
    EXPECT_EQ(g["numerator"], w["numerator"]);
    EXPECT_EQ(g["sample"], w["sample"]);
    EXPECT_NEAR(g["value"].get<double>(), w["value"].get<double>(), 1e-6);
    EXPECT_NEAR(g["target"].get<double>(), w["target"].get<double>(), 1e-6);
  }
  EXPECT_EQ(got["data_quality"], want["data_quality"]) << got["data_quality"].dump();
}

TEST_F(CepGolden, ScenariosFoldThroughTheRealBrokerToTheirHandWorkedTables) {
  const auto fixtures = LoadFixtures();
  ASSERT_GE(fixtures.size(), 3u);
  // Produce every scenario to its own topics, then fold them concurrently.
  std::vector<pid_t> pids;
  std::vector<fs::path> logs;
  for (const auto& f : fixtures) {
    const std::string activity = NewTopic("cep.activity");
    const std::string contract = NewTopic("cep.contract");
    Produce(contract, f.contract);
    Produce(activity, f.activity);
    logs.push_back(dir_.path() / (f.name + ".log"));
    pids.push_back(testing::Spawn(
        PILOTAGE_PROJECTOR_BIN,
        ProjectorArgs(dir_.path() / f.name, activity + "," + contract, "golden-" + f.name),
        logs.back()));
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    ASSERT_EQ(testing::WaitExit(pids[i]), 0) << testing::TailOf(logs[i]);
  }
  for (const auto& f : fixtures) {
    for (const auto& want : f.expected) {
      ExpectMatches(f.name + " " + want["query"].dump(), want,
                    Kpis(dir_.path() / f.name, want["query"]));
    }
  }
}

TEST_F(CepGolden, TwentyShuffledOrdersWithResendsFoldToIdenticalTables) {
  const auto fixtures = LoadFixtures();
  ASSERT_GE(fixtures.size(), 3u);
  std::vector<v1::Event> all;
  std::vector<nlohmann::json> queries;
  for (const auto& f : fixtures) {
    all.insert(all.end(), f.contract.begin(), f.contract.end());
    all.insert(all.end(), f.activity.begin(), f.activity.end());
    for (const auto& want : f.expected) {
      if (!want["query"].value("national", false)) queries.push_back(want["query"]);
    }
  }
  constexpr int kOrders = 20;
  std::mt19937_64 rng(20240102);
  std::vector<pid_t> pids;
  std::vector<fs::path> logs;
  for (int i = 0; i < kOrders; ++i) {
    std::vector<v1::Event> order = all;
    // Resend about one event in five, anywhere in the stream.
    const size_t n = all.size();
    for (size_t k = 0; k < n / 5; ++k) order.push_back(all[rng() % n]);
    std::shuffle(order.begin(), order.end(), rng);
    const std::string topic = NewTopic("cep.shuffle");
    Produce(topic, order);
    logs.push_back(dir_.path() / fmt::format("shuffle-{}.log", i));
    pids.push_back(testing::Spawn(PILOTAGE_PROJECTOR_BIN,
                                  ProjectorArgs(dir_.path() / fmt::format("shuffle-{}", i), topic,
                                                fmt::format("shuffle-{}-{}", i, topic)),
                                  logs.back()));
  }
  for (size_t i = 0; i < pids.size(); ++i) {
    ASSERT_EQ(testing::WaitExit(pids[i]), 0) << testing::TailOf(logs[i]);
  }
  for (const auto& query : queries) {
    const std::string first = Kpis(dir_.path() / "shuffle-0", query).dump(2);
    for (int i = 1; i < kOrders; ++i) {
      EXPECT_EQ(Kpis(dir_.path() / fmt::format("shuffle-{}", i), query).dump(2), first)
          << "order " << i << ", " << query.dump();
    }
  }
}

// Decision 0048: `rebuild` folds with the KPI cells deferred (the facts
// appended, no journey read) and computes them in one pass at the end;
// `run` keeps them batch by batch. Both fold the same topics: the golden
// scenarios (a returning beneficiary, a second request recorded before the
// first closure) shuffled with resends, and a simulated year at a small
// scale beside the example contract (late reports, resends, thousands of
// journeys). The two stores of each must have the same state digest, answer
// `pilotagectl kpis` and plan the penalty job identically, and the rebuilt
// golden store must still give the hand-worked tables, also after `run` folded
// the golden scenarios' last third into it (the live path on a rebuilt store).
TEST_F(CepGolden, ARebuildWithItsCellsDeferredEqualsTheIncrementalFold) {
  const auto fixtures = LoadFixtures();
  ASSERT_GE(fixtures.size(), 3u);
  std::vector<v1::Event> all;
  for (const auto& f : fixtures) {
    all.insert(all.end(), f.contract.begin(), f.contract.end());
    all.insert(all.end(), f.activity.begin(), f.activity.end());
  }
  std::mt19937_64 rng(48);
  const size_t n = all.size();
  for (size_t k = 0; k < n / 5; ++k) all.push_back(all[rng() % n]);
  std::shuffle(all.begin(), all.end(), rng);
  const std::string golden = NewTopic("cep.deferred");
  // Two thirds first; the rest comes after the rebuild (below).
  const auto cut = all.begin() + static_cast<std::ptrdiff_t>(all.size() * 2 / 3);
  Produce(golden, std::vector<v1::Event>(all.begin(), cut));

  const std::string simulated = testing::UniqueTopic("cep.deferred.activity");
  const std::string contract = testing::UniqueTopic("cep.deferred.contract");
  ASSERT_OK(broker_.admin->CreateTopic(simulated, 3));
  ASSERT_OK(broker_.admin->CreateTopic(contract, 1));
  std::vector<std::string> publish = {"contract", "publish", "--bootstrap", broker_.bootstrap,
                                      "--topic",  contract,  "--lots",      PILOTAGE_LOTS_FILE};
  for (const char* terms : {"cep-2024-example.textproto", "cep-2024-amendment-example.textproto"}) {
    publish.insert(publish.end(), {"--terms", fmt::format("{}/{}", PILOTAGE_TERMS_DIR, terms)});
  }
  const auto published = testing::RunProgram(PILOTAGECTL_BIN, publish, /*with_stderr=*/true);
  ASSERT_EQ(published.code, 0) << published.output;
  const auto sent =
      testing::RunProgram(PILOTAGE_SIMULATOR_BIN,
                          {"--lots", PILOTAGE_LOTS_FILE, "--to-kafka", broker_.bootstrap, "--topic",
                           simulated, "--years", "1", "--scale", "0.02", "--seed", "48",
                           "--late-rate", "0.1", "--resend-rate", "0.05", "--quiet"},
                          /*with_stderr=*/true);
  ASSERT_EQ(sent.code, 0) << sent.output;

  // Each topic set folded twice: `run` (cells batch by batch, small batches)
  // and `rebuild` (cells deferred).
  auto fold = [&](const std::string& name, const std::string& topics) {
    const fs::path data = dir_.path() / name;
    auto args = ProjectorArgs(data, topics, "incremental-" + name);
    args.back() = "500";  // --batch-events: many batches, journeys read back
    const auto run = testing::RunProgram(PILOTAGE_PROJECTOR_BIN, args, /*with_stderr=*/true);
    EXPECT_EQ(run.code, 0) << run.output;
    const fs::path rebuilt = dir_.path() / (name + "-rebuilt");
    args = ProjectorArgs(rebuilt, topics, "rebuild-" + name);
    args.resize(args.size() - 4);  // without run --until-caught-up --batch-events N
    args.insert(args.end(), {"rebuild", "--into", (rebuilt / "store").string()});
    const auto rebuild = testing::RunProgram(PILOTAGE_PROJECTOR_BIN, args, /*with_stderr=*/true);
    EXPECT_EQ(rebuild.code, 0) << rebuild.output;
    EXPECT_NE(rebuild.output.find("rebuild: KPI cells of "), std::string::npos) << rebuild.output;
    return std::pair(data, rebuilt);
  };
  auto digest = [&](const fs::path& data, const std::string& topics) {
    auto args = ProjectorArgs(data, topics, "digest");
    args.resize(args.size() - 4);
    args.push_back("digest");
    const auto r = testing::RunProgram(PILOTAGE_PROJECTOR_BIN, args);
    EXPECT_EQ(r.code, 0) << r.output;
    EXPECT_EQ(r.output.size(), 65u) << r.output;  // 64 hex digits and a newline
    return r.output;
  };

  const auto [golden_run, golden_rebuilt] = fold("golden", golden);
  const std::string before = digest(golden_run, golden);
  EXPECT_EQ(digest(golden_rebuilt, golden), before);
  // The rest folded by `run` into both: the live path (journeys read back,
  // cells added) on the rebuilt store's appended journeys and written cells.
  Produce(golden, std::vector<v1::Event>(cut, all.end()));
  for (const fs::path& data : {golden_run, golden_rebuilt}) {
    const auto run = testing::RunProgram(
        PILOTAGE_PROJECTOR_BIN, ProjectorArgs(data, golden, "after-" + data.filename().string()),
        /*with_stderr=*/true);
    EXPECT_EQ(run.code, 0) << run.output;
  }
  const std::string after = digest(golden_run, golden);
  EXPECT_EQ(digest(golden_rebuilt, golden), after);
  EXPECT_NE(after, before) << "the last third must matter";
  for (const auto& f : fixtures) {
    for (const auto& want : f.expected) {
      const nlohmann::json got = Kpis(golden_rebuilt, want["query"]);
      EXPECT_EQ(got.dump(2), Kpis(golden_run, want["query"]).dump(2)) << want["query"].dump();
      // National queries sum every scenario of the topic: only the lots'
      // tables are the hand-worked ones.
      if (!want["query"].value("national", false)) {
        ExpectMatches(f.name + " " + want["query"].dump(), want, got);
      }
    }
  }

  const std::string topics = simulated + "," + contract;
  const auto [simulated_run, simulated_rebuilt] = fold("simulated", topics);
  EXPECT_EQ(digest(simulated_rebuilt, topics), digest(simulated_run, topics));
  int priced = 0;
  for (const char* period : {"2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024"}) {
    SCOPED_TRACE(period);
    const nlohmann::json query = {{"period", period}, {"national", true}};
    const nlohmann::json kpis = Kpis(simulated_rebuilt, query);
    ASSERT_TRUE(kpis.contains("kpis")) << kpis.dump(2);
    EXPECT_EQ(kpis.dump(2), Kpis(simulated_run, query).dump(2));
    if (std::string(period).size() > 4) {
      auto job = [&](const fs::path& data) {
        const auto r = testing::RunProgram(
            PILOTAGE_PENALTY_JOB_BIN,
            {"--data", data.string(), "--period", period, "--topic", contract, "--activity-topic",
             simulated, "--catch-up-wait", "0s", "--bootstrap", broker_.bootstrap, "--dry-run"},
            /*with_stderr=*/true);  // the events it would send
        EXPECT_EQ(r.code, 0) << r.output;
        return r.output;
      };
      const std::string plan = job(simulated_rebuilt);
      EXPECT_EQ(plan, job(simulated_run));
      priced += plan.find("Lot ") != std::string::npos;
    }
  }
  EXPECT_EQ(priced, 4) << "the penalty job evaluated lots in every quarter";
}

}  // namespace
}  // namespace pilotage
