// The pilotage-penalty-job command line: usage answers without a broker or a
// store (help, bad flags and values are refused before anything is opened).
#include "pilotage/penalty_job/cli.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/testing/process.h"

namespace pilotage::penalty_job {
namespace {

testing::CliOutcome PenaltyJob(const std::vector<std::string>& args) {
  return testing::CallCli(RunCli, "pilotage-penalty-job", args);
}

TEST(PenaltyJobCli, HelpListsTheOptionsAndTheExitCodes) {
  const testing::CliOutcome r = PenaltyJob({"--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* word : {"--period", "--lot", "--data", "--bootstrap", "--catch-up-wait",
                           "--what-if", "--dry-run", "--today", "Exit codes"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
  }
}

TEST(PenaltyJobCli, BadUsageExitsWithTwoAndNamesWhatIsWrong) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case cases[] = {
      {{"--period", "2024-Q2", "--no-such-flag"}, "--no-such-flag"},
      {{}, "--period"},
      {{"--period", "2024-Q2", "--catch-up-wait", "later"},
       "--catch-up-wait: 'later' is not a duration"},
      {{"--period", "2024-Q2", "--catch-up-wait", "-5s"}, "--catch-up-wait: '-5s'"},
      {{"--period", "2024-Q2", "--today", "2024-02-30"}, "--today: "},
  };
  for (const Case& c : cases) {
    const testing::CliOutcome r = PenaltyJob(c.args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace pilotage::penalty_job
