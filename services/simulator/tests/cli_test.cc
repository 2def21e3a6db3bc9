#include "pilotage/simulator/cli.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "pilotage/testing/process.h"
#include "pilotage/testing/testing.h"

namespace pilotage::simulator {
namespace {

using Outcome = testing::CliOutcome;

Outcome RunSimulator(const std::vector<std::string>& args) {
  return testing::CallCli(RunCli, "pilotage-simulator", args);
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Cli, HelpListsEveryOption) {
  const Outcome r = RunSimulator({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* option : {"--lots", "--lot", "--seed", "--years", "--beneficiaries", "--scale",
                             "--to-kafka", "--topic", "--ndjson", "--dry-run", "--summary-json",
                             "--late-rate", "--resend-rate", "--quiet", "--lots-multiplier"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
}

TEST(Cli, BadUsageExitsWithTwoAndSaysWhy) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case cases[] = {
      {{"--dry-run", "--scale", "0"}, "--scale must be in (0, 10]"},
      {{"--dry-run", "--scale", "lots"}, "--scale"},
      {{"--dry-run", "--lots", "/nonexistent/lots.json"}, "/nonexistent/lots.json"},
      {{"--dry-run", "--no-such-option"}, "--no-such-option"},
      {{"--scale", "0.01"}, "--dry-run, --ndjson FILE, --to-kafka BOOTSTRAP or --to-gateway URL"},
      {{"--dry-run", "--ndjson", "x.ndjson"}, "excludes"},
      {{"--dry-run", "--lot", "LOT-99"}, "LOT-99"},
  };
  for (const Case& c : cases) {
    const Outcome r = RunSimulator(c.args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

TEST(Cli, WritesEventsAndASummaryThatAgree) {
  testing::TempDir dir;
  const auto events = dir.path() / "events.ndjson";
  const auto summary = dir.path() / "summary.json";
  const Outcome r = RunSimulator({"--scale", "0.01", "--seed", "5", "--ndjson", events.string(),
                                  "--summary-json", summary.string(), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("TOTAL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("LOT-75"), std::string::npos) << r.out;

  std::istringstream lines(Slurp(events));
  int64_t count = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto event = nlohmann::json::parse(line);
    EXPECT_TRUE(event.contains("event_id") && event.contains("lot_id") &&
                event.contains("recorded_at"))
        << line;
    ++count;
  }
  const auto json = nlohmann::json::parse(Slurp(summary));
  EXPECT_EQ(json["total"]["messages"].get<int64_t>(), count);
  EXPECT_EQ(json["seed"].get<int64_t>(), 5);
  EXPECT_EQ(json["lots"].size(), 14u);
  EXPECT_GT(json["lots"]["LOT-11"]["events"]["appointment_held"].get<int64_t>(), 0);
}

// A contract three times larger: 42 lots, each copy with its lot's number of
// beneficiaries, and the original lots exactly as in a run without copies
// (their events depend on their own id and the seed only).
TEST(Cli, LotsMultiplierAddsCopiesThatKeepTheirLotsVolume) {
  testing::TempDir dir;
  const auto plain_path = dir.path() / "plain.json";
  const auto tripled_path = dir.path() / "tripled.json";
  const Outcome plain = RunSimulator({"--scale", "0.01", "--seed", "5", "--dry-run",
                                      "--summary-json", plain_path.string(), "--quiet"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  const Outcome tripled =
      RunSimulator({"--scale", "0.01", "--seed", "5", "--dry-run", "--lots-multiplier", "3",
                    "--summary-json", tripled_path.string(), "--quiet"});
  ASSERT_EQ(tripled.code, 0) << tripled.err;
  const auto one = nlohmann::json::parse(Slurp(plain_path))["lots"];
  const auto three = nlohmann::json::parse(Slurp(tripled_path))["lots"];
  ASSERT_EQ(one.size(), 14u);
  ASSERT_EQ(three.size(), 42u);
  for (const auto& [lot, figures] : one.items()) {
    EXPECT_EQ(three[lot], figures) << lot;
    for (const char* copy : {"-2", "-3"}) {
      ASSERT_TRUE(three.contains(lot + copy)) << lot << copy;
      EXPECT_EQ(three[lot + copy]["beneficiaries"], figures["beneficiaries"]) << lot << copy;
    }
  }
  const Outcome bad = RunSimulator({"--dry-run", "--lots-multiplier", "0"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("[1, 100]"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace pilotage::simulator
