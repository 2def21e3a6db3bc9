// pilotage-projector's /metrics as Prometheus scrapes it: counters that match
// what was folded, per-partition lag, loopback only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "httplib.h"
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

// The samples of `text` (Prometheus text format) whose series starts with
// `prefix` (a name, or a name and the start of its labels).
std::vector<double> Samples(const std::string& text, const std::string& prefix) {
  std::vector<double> values;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const char next = line.size() > prefix.size() ? line[prefix.size()] : '\0';
    if (prefix.back() != '{' && next != ' ' && next != '{') continue;
    values.push_back(std::stod(line.substr(line.rfind(' ') + 1)));
  }
  return values;
}

double Sample(const std::string& text, const std::string& name) {
  auto values = Samples(text, name);
  return values.size() == 1 ? values.front() : -1;
}

TEST(ProjectorMetrics, CountWhatWasFoldedAndShowNoLagOnceCaughtUp) {
  const std::string bootstrap = pilotage::testing::BrokerOrFail();
  ASSERT_FALSE(bootstrap.empty());
  const std::string topic = pilotage::testing::UniqueTopic("metrics");
  const std::string dead = topic + ".dead";
  auto admin = kafka::Admin::Create(bootstrap);
  ASSERT_OK(admin);
  ASSERT_OK((*admin)->CreateTopic(topic, 3));
  ASSERT_OK((*admin)->CreateTopic(dead, 1));
  auto truth = pilotage::testing::ProduceSynthetic({.bootstrap = bootstrap,
                                                    .topic = topic,
                                                    .events = 5000,
                                                    .resend_share = 0.1,
                                                    .undecodable = 7,
                                                    .seed = 8});
  ASSERT_OK(truth);

  pilotage::testing::TempDir dir;
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const fs::path log = dir.path() / "projector.log";
  const pid_t projector = pilotage::testing::Spawn(
      PILOTAGE_PROJECTOR_BIN,
      {"--bootstrap", bootstrap, "--data", (dir.path() / "data").string(), "--topics", topic,
       "--dead-letter-topic", dead, "--group", topic, "--log-level", "warn", "run", "--batch-ms",
       "50", "--metrics-port", std::to_string(port), "--metrics-offsets-ms", "200"},
      log);
  ASSERT_GT(projector, 0);

  httplib::Client client("127.0.0.1", port);
  std::string text;
  bool caught_up = false;
  const auto deadline = Clock::now() + 120s;
  while (!caught_up && Clock::now() < deadline) {
    auto res = client.Get("/metrics");
    if (res && res->status == 200) {
      text = res->body;
      const auto lags = Samples(text, "pilotage_projector_lag{");
      double lag = 0;
      for (double l : lags) lag += l;
      caught_up = Sample(text, "pilotage_projector_events_folded_total") ==
                      static_cast<double>(truth->distinct) &&
                  lags.size() == 3 && lag == 0;
    }
    if (!caught_up) std::this_thread::sleep_for(100ms);  // polling a condition, bounded
  }
  ASSERT_TRUE(caught_up) << text << pilotage::testing::TailOf(log);
  EXPECT_EQ(Sample(text, "pilotage_projector_events_duplicate_total"), truth->resends);
  EXPECT_EQ(Sample(text, "pilotage_projector_events_dead_lettered_total"), truth->undecodable);
  EXPECT_GE(Sample(text, "pilotage_projector_batches_total"), 1);
  EXPECT_EQ(Sample(text, "pilotage_projector_batch_events_count"),
            Sample(text, "pilotage_projector_batches_total"));
  EXPECT_EQ(Sample(text, "pilotage_projector_batch_events_sum"), truth->sent);
  EXPECT_EQ(Sample(text, "pilotage_projector_batch_write_duration_seconds_count"),
            Sample(text, "pilotage_projector_batches_total"));
  double stored = 0, end = 0;
  for (double v : Samples(text, "pilotage_projector_stored_offset{")) stored += v;
  for (double v : Samples(text, "pilotage_projector_end_offset{")) end += v;
  EXPECT_EQ(stored, truth->sent);
  EXPECT_EQ(end, truth->sent);

  // Partitions are labelled by topic and partition.
  EXPECT_NE(text.find("topic=\"" + topic + "\""), std::string::npos);

  ASSERT_EQ(kill(projector, SIGTERM), 0);
  EXPECT_EQ(pilotage::testing::WaitExit(projector), 0) << pilotage::testing::TailOf(log);
}

TEST(ProjectorMetrics, APortInUseStopsTheProjectorWithAClearError) {
  const std::string bootstrap = pilotage::testing::BrokerOrFail();
  ASSERT_FALSE(bootstrap.empty());
  httplib::Server taken;
  const int port = taken.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  pilotage::testing::TempDir dir;
  auto r = pilotage::testing::RunProgram(
      PILOTAGE_PROJECTOR_BIN,
      {"--bootstrap", bootstrap, "--data", (dir.path() / "data").string(), "--topics",
       pilotage::testing::UniqueTopic("metrics-port"), "run", "--metrics-port",
       std::to_string(port)},
      /*with_stderr=*/true);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(std::to_string(port)), std::string::npos) << r.output;
}

}  // namespace
}  // namespace pilotage
