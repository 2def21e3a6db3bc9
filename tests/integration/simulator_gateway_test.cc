// The simulator through the operators' real path: pilotage-simulator
// --to-gateway --replay-clock against a real pilotage-ingest and a real
// broker. Every message it sent lands on the activity topic once per send
// (but a resent copy in the same request as its original: written once,
// answered accepted with repeat_of), nothing is refused, and each event keeps the Europe/Paris day
// the simulator recorded it on (what late reporting and period closing rely on).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/ingest/config.h"
#include "pilotage/ingest/gateway.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage {
namespace {

namespace fs = std::filesystem;

std::string ParisDay(int64_t unix_seconds) {
  absl::TimeZone paris;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &paris));
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(unix_seconds), paris);
}

TEST(SimulatorThroughGateway, EverySentMessageLandsWithItsRecordingDay) {
  const std::string bootstrap = testing::BrokerOrFail();
  auto admin = kafka::Admin::Create(bootstrap);
  ASSERT_OK(admin);
  const std::string activity = testing::UniqueTopic("simgw.activity");
  const std::string rejected = testing::UniqueTopic("simgw.rejected");
  ASSERT_OK((*admin)->CreateTopic(activity, 4));
  ASSERT_OK((*admin)->CreateTopic(rejected, 1));

  // The example configuration (lots, operators) with a token per operator.
  std::ifstream example(PILOTAGE_GATEWAY_CONFIG);
  ASSERT_TRUE(example) << PILOTAGE_GATEWAY_CONFIG;
  nlohmann::json example_doc = nlohmann::json::parse(example);
  const std::string token_template = "simgw-test-{operator}";
  for (auto& op : example_doc["operators"]) {
    op["token_sha256"].push_back(
        ingest::TokenHash("simgw-test-" + op["operator_id"].get<std::string>()));
  }
  auto config = ingest::ParseConfig(example_doc.dump(), PILOTAGE_GATEWAY_CONFIG,
                                    fs::path(PILOTAGE_GATEWAY_CONFIG).parent_path().string());
  ASSERT_OK(config);
  ingest::GatewayOptions options;
  options.bootstrap = bootstrap;
  options.port = 0;
  options.activity_topic = activity;
  options.rejected_topic = rejected;
  options.replay_clock = true;
  auto gateway = ingest::Gateway::Create(options, std::move(*config));
  ASSERT_OK(gateway);
  std::thread server([&] { EXPECT_OK((*gateway)->Serve()); });
  const std::string port = std::to_string((*gateway)->port());
  testing::TempDir dir;

  const std::vector<std::string> common = {
      "--lots", PILOTAGE_LOTS_FILE, "--scale", "0.003", "--seed", "11", "--quiet"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  const fs::path summary = dir.path() / "sent.json";
  auto sent = testing::RunProgram(
      PILOTAGE_SIMULATOR_BIN,
      with({"--to-gateway", "http://127.0.0.1:" + port, "--token-template", token_template,
            "--replay-clock", "--summary-json", summary.string()}),
      true);
  // A resent copy in the same request as its original is answered accepted
  // (repeat_of) and written once: the gateway counts those.
  httplib::Client client("127.0.0.1", (*gateway)->port());
  auto metrics = client.Get("/metrics");
  (*gateway)->Stop();
  server.join();
  ASSERT_TRUE(metrics && metrics->status == 200);
  int64_t repeated = 0;
  {
    std::istringstream lines(metrics->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("pilotage_ingest_events_total{", 0) == 0 &&
          line.find("outcome=\"repeated\"") != std::string::npos) {
        repeated += std::stoll(line.substr(line.rfind(' ') + 1));
      }
    }
  }
  ASSERT_EQ(sent.code, 0) << sent.output;
  EXPECT_NE(sent.output.find(" 0 refused"), std::string::npos) << sent.output;

  // The same run written to a file: what the simulator chose for each event.
  auto ndjson = testing::RunProgram(PILOTAGE_SIMULATOR_BIN, with({"--ndjson", "-"}));
  ASSERT_EQ(ndjson.code, 0);
  // event id -> recorded_at of each copy (a resend is recorded again, later)
  std::map<std::string, std::vector<int64_t>> recorded;
  size_t lines = 0;
  std::istringstream in(ndjson.output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    v1::Event e;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &e).ok()) << line;
    recorded[e.event_id()].push_back(e.recorded_at().seconds());
    ++lines;
  }
  const auto doc = nlohmann::json::parse(std::ifstream(summary));
  const int64_t messages =
      doc["total"]["total_events"].get<int64_t>() + doc["total"]["total_resends"].get<int64_t>();
  ASSERT_GT(messages, 500);
  EXPECT_EQ(static_cast<int64_t>(lines), messages);

  // Only resent copies can be repeats.
  EXPECT_LE(repeated, doc["total"]["total_resends"].get<int64_t>());
  auto values = testing::ReadTopic(bootstrap, activity, static_cast<size_t>(messages - repeated));
  ASSERT_EQ(static_cast<int64_t>(values.size()), messages - repeated);
  std::set<std::string> written;
  int late = 0;
  for (const auto& v : values) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(v));
    auto it = recorded.find(e.event_id());
    ASSERT_NE(it, recorded.end()) << e.event_id();
    // Stamped by the gateway with the request's replay time: the latest
    // recording time of that operator's request, on the same Paris day as
    // one of the copies the simulator recorded (each copy matched once).
    const int64_t at = e.recorded_at().seconds();
    auto copy = std::find_if(it->second.begin(), it->second.end(),
                             [&](int64_t r) { return r <= at && ParisDay(r) == ParisDay(at); });
    ASSERT_NE(copy, it->second.end()) << e.event_id() << " recorded at " << at;
    it->second.erase(copy);
    written.insert(e.event_id());
    late += ParisDay(e.recorded_at().seconds()) != ParisDay(e.occurred_at().seconds());
  }
  // Every event the simulator sent was written at least once.
  EXPECT_EQ(written.size(), recorded.size());
  // The simulator reports a few percent late: they survive the gateway.
  EXPECT_GT(late, 0);
}

}  // namespace
}  // namespace pilotage
