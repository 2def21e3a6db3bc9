// End to end in a real browser: Debian's headless Chromium, driven by
// playwright-core (dashboard.e2e.cjs), opens the dashboard served by a real
// pilotage-query over a store the real projector folded from the real
// broker, and checks that the numbers shown equal the API's, that a pilot
// lands on the last closed quarter and finds the lots off target and what
// awaits a decision, that an operator cannot open another lot, that a
// penalty's calculation is explained, an operator sends observations and a
// pilot confirms it with a reason (written to the broker, shown once
// folded), that
// axe-core finds no serious or critical violation on any page and that
// phone widths (375 and 360 px) need no page-level horizontal scrolling;
// fund usage, CSV exports, the A4 bilan, trends and the accessibility
// statement (decision 0038, with fixtures/funds-lot-95); the gateway's
// refusals by reason on the quality page, a review recorded and an action
// closed from the lot page by a pilot, refused to an operator (decision 0045).
// Screenshots at 1,400 and 375 px: PILOTAGE_E2E_ARTIFACTS (build tree).
#include <filesystem>

#include "gtest/gtest.h"
#include "pilotage/testing/process.h"
#include "query_stack.h"

namespace pilotage::query_test {
namespace {

TEST(QueryDashboard, ShowsTheApisNumbersInChromiumAndKeepsOperatorsToTheirLots) {
  ASSERT_TRUE(std::filesystem::exists(PILOTAGE_CHROMIUM))
      << PILOTAGE_CHROMIUM << " is missing: run scripts/bootstrap (Debian package chromium)";
  QueryStack stack({"funds-lot-95"});
  ASSERT_TRUE(stack.ok());
  const std::string july = stack.StartQueryOn("2024-07-10");
  ASSERT_FALSE(july.empty());
  const std::string early = stack.StartQueryOn("2024-07-01");
  ASSERT_FALSE(early.empty());
  std::filesystem::create_directories(PILOTAGE_E2E_ARTIFACTS);
  const std::filesystem::path log = stack.dir() / "e2e.log";
  const pid_t pid = testing::Spawn(
      "/usr/bin/env",
      {"NODE_PATH=" PILOTAGE_NODE_MODULES, "BASE_URL=" + stack.base_url(), "JULY_URL=" + july,
       "EARLY_URL=" + early, "FOLD_ARGV=" + nlohmann::json(stack.FoldCommand()).dump(),
       std::string("PILOT_TOKEN=") + kPilotToken, std::string("OPERATOR_TOKEN=") + kCorseToken,
       "CHROMIUM=" PILOTAGE_CHROMIUM, "SCREENSHOTS=" PILOTAGE_E2E_ARTIFACTS, PILOTAGE_NODE,
       PILOTAGE_E2E_SCRIPT},
      log);
  EXPECT_EQ(testing::WaitExit(pid), 0) << testing::TailOf(log, 8000);
  std::cout << testing::TailOf(log, 2000);
  for (const char* shot : {"national-2024-Q2-1400.png",
                           "national-2024-Q2-375.png",
                           "national-360-menu.png",
                           "lot-LOT-94-2024-Q2-1400.png",
                           "lot-LOT-94-2024-Q2-375.png",
                           "national-2024-Q2-provisional.png",
                           "national-2024-05.png",
                           "lot-LOT-94-2024-Q2.png",
                           "lot-LOT-94-2024-Q2-print.png",
                           "quality-2024-01.png",
                           "operator-forbidden-LOT-11.png",
                           "funds-2024-Q2-1400.png",
                           "funds-2024-Q2-375.png",
                           "funds-table-2024-Q2.csv",
                           "bilan-national-2024-Q2.pdf",
                           "bilan-national-2024-Q2-print.png",
                           "bilan-national-2024-Q2-1400.png",
                           "bilan-lot-LOT-94-2024-Q2.pdf",
                           "trends-1400.png",
                           "trends-375.png",
                           "accessibilite-1400.png",
                           "accessibilite-375.png",
                           "bilan-national-2024-Q2-375.png",
                           "bilan-lot-LOT-94-2024-Q2-375.png",
                           "quality-2024-Q2-375.png",
                           "quality-2024-Q2-1400.png",
                           "lot-LOT-94-2024-Q2-decisions.png"}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(PILOTAGE_E2E_ARTIFACTS) / shot))
        << shot;
  }
}

}  // namespace
}  // namespace pilotage::query_test
