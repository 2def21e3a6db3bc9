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

}  // namespace
}  // namespace pilotage
