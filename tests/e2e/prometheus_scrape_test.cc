// A real Prometheus (Debian's binary) scrapes a running pilotage-projector:
// what the projector folded is what Prometheus's query API answers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using pilotage::testing::FreePort;

// The value of a single-series instant query, or -1 when there is none yet.
double Query(httplib::Client& prometheus, const std::string& promql) {
  auto res =
      prometheus.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!res || res->status != 200) return -1;
  auto json = nlohmann::json::parse(res->body, nullptr, false);
  if (!json.is_object() || json.value("status", "") != "success") return -1;
  const auto& result = json["data"]["result"];
  if (!result.is_array() || result.size() != 1) return -1;
  return std::stod(result[0]["value"][1].get<std::string>());
}

// Stops a process this test started, by its pid.
struct StopOnExit {
  pid_t pid;
  ~StopOnExit() {
    if (pid > 0 && kill(pid, SIGTERM) == 0) pilotage::testing::WaitExit(pid);
  }
};

TEST(PrometheusScrape, PrometheusSeesTheEventsTheProjectorFolded) {
  ASSERT_TRUE(fs::exists(PILOTAGE_PROMETHEUS_BIN))
      << PILOTAGE_PROMETHEUS_BIN << " missing: install Debian's prometheus (scripts/bootstrap)";
  const std::string bootstrap = pilotage::testing::BrokerOrFail();
  ASSERT_FALSE(bootstrap.empty());
  const std::string topic = pilotage::testing::UniqueTopic("scrape");
  auto admin = kafka::Admin::Create(bootstrap);
  ASSERT_OK(admin);
  ASSERT_OK((*admin)->CreateTopic(topic, 2));
  ASSERT_OK((*admin)->CreateTopic(topic + ".dead", 1));

  pilotage::testing::TempDir dir;
  const int metrics_port = FreePort();
  const int prometheus_port = FreePort();
  ASSERT_GT(metrics_port, 0);
  ASSERT_GT(prometheus_port, 0);
  ASSERT_NE(metrics_port, prometheus_port);

  const fs::path projector_log = dir.path() / "projector.log";
  StopOnExit projector{pilotage::testing::Spawn(
      PILOTAGE_PROJECTOR_BIN,
      {"--bootstrap", bootstrap, "--data", (dir.path() / "data").string(), "--topics", topic,
       "--dead-letter-topic", topic + ".dead", "--group", topic, "--log-level", "warn", "run",
       "--batch-ms", "50", "--metrics-port", std::to_string(metrics_port)},
      projector_log)};
  ASSERT_GT(projector.pid, 0);

  const fs::path config = dir.path() / "prometheus.yml";
  std::ofstream(config) << fmt::format(
      "global:\n"
      "  scrape_interval: 1s\n"
      "  evaluation_interval: 1s\n"
      "scrape_configs:\n"
      "  - job_name: pilotage-projector\n"
      "    static_configs:\n"
      "      - targets: ['127.0.0.1:{}']\n",
      metrics_port);
  const fs::path prometheus_log = dir.path() / "prometheus.log";
  StopOnExit prometheus{pilotage::testing::Spawn(
      PILOTAGE_PROMETHEUS_BIN,
      {"--config.file=" + config.string(), "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
       fmt::format("--web.listen-address=127.0.0.1:{}", prometheus_port), "--log.level=warn"},
      prometheus_log)};
  ASSERT_GT(prometheus.pid, 0);

  auto truth = pilotage::testing::ProduceSynthetic(
      {.bootstrap = bootstrap, .topic = topic, .events = 3000, .seed = 11});
  ASSERT_OK(truth);

  httplib::Client client("127.0.0.1", prometheus_port);
  client.set_connection_timeout(2s);
  client.set_read_timeout(5s);
  const std::string folded = fmt::format(
      "pilotage_projector_events_folded_total{{job=\"pilotage-projector\",instance=\"127.0.0.1:{}"
      "\"}}",
      metrics_port);
  double seen = -1;
  const auto deadline = Clock::now() + 180s;
  while (Clock::now() < deadline) {
    seen = Query(client, folded);
    if (seen == static_cast<double>(truth->distinct)) break;
    std::this_thread::sleep_for(250ms);  // polling a condition, bounded
  }
  ASSERT_EQ(seen, static_cast<double>(truth->distinct))
      << "projector:\n"
      << pilotage::testing::TailOf(projector_log) << "\nprometheus:\n"
      << pilotage::testing::TailOf(prometheus_log);
  EXPECT_EQ(Query(client, "up{job=\"pilotage-projector\"}"), 1);
  EXPECT_EQ(
      Query(client, fmt::format("sum(pilotage_projector_stored_offset{{topic=\"{}\"}})", topic)),
      static_cast<double>(truth->sent));
}

}  // namespace
}  // namespace pilotage
