// Broker outage under a stream of batches: the broker of this test (its own,
// so that other tests keep theirs) is stopped while a client keeps sending,
// then restarted. Every event answered "accepted" must be folded exactly once
// by a projector; no event answered otherwise is counted as accepted, and the
// client's resends (same event ids) change nothing.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fmt/format.h"
#include "gateway_client.h"
#include "pilotage/testing/own_broker.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
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
    broker_.Start(/*fresh=*/true);
    ASSERT_TRUE(broker_.running());
    bootstrap_ = broker_.bootstrap();
  }

  pilotage::testing::TempDir dir_;
  pilotage::testing::OwnBroker broker_{PILOTAGE_SOURCE_DIR "/scripts/kafka", dir_.path() / "kafka"};
  std::string bootstrap_;
};

TEST_F(IngestOutage, EveryAcceptedEventIsFoldedExactlyOnceAcrossABrokerRestart) {
  ingest::GatewayOptions options;
  options.bootstrap = bootstrap_;
  options.threads = 4;
  options.delivery_timeout = 3000ms;
  options.retry_after_s = 1;
  auto gateway = pilotage::testing::ServedGateway::Start(
      options, fmt::format(R"({{"lots":[{{"lot_id":"LOT-11","start_date":"2024-01-02"}}],
                     "operators":[{{"operator_id":"op-a","lots":["LOT-11"],
                     "token_sha256":["{}"]}}]}})",
                           ingest::TokenHash(kToken)));
  ASSERT_OK(gateway);
  pilotage::testing::ResendingClient client({.port = (*gateway)->port(),
                                             .token = kToken,
                                             .batches = kBatches,
                                             .batch_size = kBatchSize,
                                             .event_json = EventJson});

  auto wait_for = [&](auto condition, std::chrono::seconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!condition() && Clock::now() < deadline && !client.failed()) {
      std::this_thread::sleep_for(20ms);
    }
    return condition();
  };
  ASSERT_TRUE(wait_for([&] { return client.batches_done() >= 10; }, 120s)) << client.error();
  broker_.Stop();
  const bool saw_outage = wait_for([&] { return client.error_answers() >= 3; }, 120s);
  broker_.Start();  // on the same address, or a failure
  const bool finished = wait_for([&] { return client.done(); }, 240s);
  client.Stop();
  ASSERT_TRUE(saw_outage) << "no refused answer while the broker was down";
  ASSERT_TRUE(finished) << "the client could not deliver every batch: " << client.error();
  ASSERT_FALSE(client.failed()) << client.error();
  const std::set<std::string> accepted = client.accepted();
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
