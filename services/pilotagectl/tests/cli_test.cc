#include "pilotage/pilotagectl/cli.h"

#include <sstream>

#include "gtest/gtest.h"

namespace pilotage::pilotagectl {
namespace {

TEST(ClosestName, SuggestsTheNearestSubcommand) {
  const std::vector<std::string> top = {"kpis",    "counters",  "contract",   "lot",
                                        "review",  "action",    "penalty",    "ledger",
                                        "actions", "statement", "statements", "import"};
  EXPECT_EQ(ClosestName("ledgr", top), "ledger");
  EXPECT_EQ(ClosestName("legder", top), "ledger");  // two letters swapped: one edit
  EXPECT_EQ(ClosestName("penalties", top), "penalty");
  EXPECT_EQ(ClosestName("statment", top), "statement");
  EXPECT_EQ(ClosestName("kpi", top), "kpis");
  EXPECT_EQ(ClosestName("zzzzzz", top), std::nullopt);
  EXPECT_EQ(ClosestName("confrim", {"confirm", "waive", "observations"}), "confirm");
}

int RunArgs(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out;
  return RunCli(static_cast<int>(argv.size()), argv.data(), out);
}

TEST(RunCli, RefusesAnUnknownSubcommandWithUsageExitCode) {
  EXPECT_EQ(RunArgs({"pilotagectl", "ledgr", "--lot", "LOT-11"}), 2);
  EXPECT_EQ(RunArgs({"pilotagectl", "--data", "somewhere", "penalty", "confrim", "--lot", "L"}), 2);
}

}  // namespace
}  // namespace pilotage::pilotagectl
