// Broker outage under a stream of batches: the broker of this test (its own,
// so that other tests keep theirs) is stopped while a client keeps sending,
// then restarted. Every event answered "accepted" must be folded exactly once
// by a projector; no event answered otherwise is counted as accepted, and the
// client's resends (same event ids) change nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "pilotage/ingest/gateway.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/testing.h"

namespace pilotage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using pilotage::testing::RunProgram;
using pilotage::testing::RunResult;

constexpr char kToken[] = "outage-token-1234567";
constexpr int kBatches = 60;
constexpr int kBatchSize = 20;

std::string EventJson(int batch, int i) {
  return json{{"event_id", fmt::format("out-{}-{}", batch, i)},
              {"lot_id", "LOT-11"},
              {"occurred_at", "2024-05-31T09:15:00+02:00"},
              {"deliverable_issued", {{"beneficiary", "ben-outage01"}, {"type", "ACTION_PLAN"}}}}
      .dump();
}

class IngestOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    kafka_dir_ = (dir_.path() / "kafka").string();
    RunResult start = Kafka({"start", "--fresh"});
    ASSERT_EQ(start.code, 0) << start.output;
    auto pos = start.output.rfind("bootstrap=");
    ASSERT_NE(pos, std::string::npos) << start.output;
    std::istringstream line(start.output.substr(pos + 10));
    line >> bootstrap_;
    broker_running_ = true;
  }

  void TearDown() override {
    if (gateway_) gateway_->Stop();
    if (server_.joinable()) server_.join();
    if (broker_running_) Kafka({"stop"});
  }

  RunResult Kafka(std::vector<std::string> args) {
    args.insert(args.begin(), PILOTAGE_SOURCE_DIR "/scripts/kafka");
    args.push_back("--dir");
    args.push_back(kafka_dir_);
    return RunProgram("bash", args, /*with_stderr=*/true);
  }

  pilotage::testing::TempDir dir_;
  std::string kafka_dir_, bootstrap_;
  bool broker_running_ = false;
  std::unique_ptr<ingest::Gateway> gateway_;
  std::thread server_;
};

TEST_F(IngestOutage, EveryAcceptedEventIsFoldedExactlyOnceAcrossABrokerRestart) {
  auto config =
      ingest::ParseConfig(fmt::format(R"({{"lots":[{{"lot_id":"LOT-11","start_date":"2024-01-02"}}],
                     "operators":[{{"operator_id":"op-a","lots":["LOT-11"],
                     "token_sha256":["{}"]}}]}})",
                                      ingest::TokenHash(kToken)),
                          "test", ".");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ingest::GatewayOptions options;
  options.bootstrap = bootstrap_;
  options.port = 0;
  options.threads = 4;
  options.delivery_timeout = 3000ms;
  options.retry_after_s = 1;
  auto gateway = ingest::Gateway::Create(options, std::move(*config));
  ASSERT_TRUE(gateway.ok()) << gateway.status().ToString();
  gateway_ = std::move(*gateway);
  server_ = std::thread([this] { EXPECT_TRUE(gateway_->Serve().ok()); });

  std::mutex mu;
  std::set<std::string> accepted;  // ids answered "accepted" at least once
  std::atomic<int> batches_done{0}, not_accepted_answers{0};
  std::atomic<bool> give_up{false};
  std::string client_error;

  // The client: every batch is sent until each of its events is accepted,
  // resending only the events that were not.
  std::thread client([&] {
    httplib::Client http("127.0.0.1", gateway_->port());
    http.set_read_timeout(60, 0);
    httplib::Headers headers{{"Authorization", fmt::format("Bearer {}", kToken)}};
    for (int b = 0; b < kBatches && !give_up; ++b) {
      std::vector<int> pending(kBatchSize);
      for (int i = 0; i < kBatchSize; ++i) pending[i] = i;
      while (!pending.empty() && !give_up) {
        std::string body = "[";
        for (size_t k = 0; k < pending.size(); ++k) {
          body += (k ? "," : "") + EventJson(b, pending[k]);
        }
        body += "]";
        auto res = http.Post("/v1/events", headers, body, "application/json");
        if (!res) {
          ++not_accepted_answers;
          continue;
        }
        json answer = json::parse(res->body, nullptr, false);
        if (answer.is_discarded() || !answer.contains("events")) {
          std::lock_guard lock(mu);
          client_error = fmt::format("{} {}", res->status, res->body);
          give_up = true;
          break;
        }
        std::vector<int> still;
        int listed_accepted = 0;
        for (size_t k = 0; k < pending.size(); ++k) {
          const auto& outcome = answer["events"][k];
          if (outcome["status"] == "accepted") {
            ++listed_accepted;
            std::lock_guard lock(mu);
            accepted.insert(outcome["event_id"].get<std::string>());
          } else {
            still.push_back(pending[k]);
          }
        }
        // The count in the answer is the events listed accepted, never more.
        if (answer["accepted"].get<int>() != listed_accepted ||
            (res->status == 200) != (still.empty())) {
          std::lock_guard lock(mu);
          client_error = fmt::format("inconsistent answer {} {}", res->status, res->body);
          give_up = true;
        }
        if (!still.empty()) {
          ++not_accepted_answers;
          EXPECT_EQ(res->status, 503) << res->body;
          EXPECT_TRUE(res->has_header("Retry-After"));
          // The client's back-off before resending, as Retry-After advises.
          std::this_thread::sleep_for(200ms);
        }
        pending = std::move(still);
      }
      ++batches_done;
    }
  });

  auto wait_for = [&](auto condition, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!condition() && Clock::now() < deadline && !give_up) std::this_thread::sleep_for(20ms);
    return condition();
  };
  ASSERT_TRUE(wait_for([&] { return batches_done >= 10; }, 120s)) << client_error;
  RunResult stop = Kafka({"stop"});
  broker_running_ = false;
  EXPECT_EQ(stop.code, 0) << stop.output;
  const bool saw_outage = wait_for([&] { return not_accepted_answers >= 3; }, 120s);
  RunResult start = Kafka({"start"});
  broker_running_ = start.code == 0;
  EXPECT_EQ(start.code, 0) << start.output;
  EXPECT_NE(start.output.find("bootstrap=" + bootstrap_), std::string::npos)
      << "the broker came back on another port: " << start.output;
  const bool finished = wait_for([&] { return batches_done >= kBatches; }, 240s);
  give_up = !finished;
  client.join();
  ASSERT_TRUE(saw_outage) << "no refused answer while the broker was down";
  ASSERT_TRUE(finished) << "the client could not deliver every batch: " << client_error;
  ASSERT_TRUE(client_error.empty()) << client_error;
  ASSERT_EQ(accepted.size(), static_cast<size_t>(kBatches * kBatchSize));

  // Fold the activity topic once and count.
  const std::string data = (dir_.path() / "projector").string();
  std::vector<std::string> common = {
      "--bootstrap",          bootstrap_, "--data",      data,          "--topics",
      "pilotage.activity.v1", "--group",  "outage-test", "--log-level", "warn"};
  auto run_args = common;
  run_args.insert(run_args.end(), {"run", "--until-caught-up"});
  RunResult run = RunProgram(PILOTAGE_PROJECTOR_BIN, run_args, true);
  ASSERT_EQ(run.code, 0) << run.output;
  auto count_args = common;
  count_args.push_back("counts");
  RunResult counts = RunProgram(PILOTAGE_PROJECTOR_BIN, count_args, true);
  ASSERT_EQ(counts.code, 0) << counts.output;
  EXPECT_EQ(counts.output, fmt::format("LOT-11|2024-05|deliverable_issued {}\n", accepted.size()));
}

}  // namespace
}  // namespace pilotage
