// The pilotage-projector command line: usage answers without a broker or a
// store (help, bad flags and values are refused before anything is opened).
#include "pilotage/projector/cli.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/testing/process.h"

namespace pilotage::projector {
namespace {

testing::CliOutcome Projector(const std::vector<std::string>& args) {
  return testing::CallCli(RunCli, "pilotage-projector", args);
}

TEST(ProjectorCli, HelpListsTheCommandsAndTheExitCodes) {
  const testing::CliOutcome r = Projector({"--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* word : {"run", "status", "rebuild", "checkpoint", "restore", "digest", "counts",
                           "--bootstrap", "--data", "--projection", "Exit codes"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
  }
}

TEST(ProjectorCli, BadUsageExitsWithTwoAndNamesWhatIsWrong) {
  ::unsetenv("PILOTAGE_KAFKA_BOOTSTRAP");
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case cases[] = {
      {{"counts", "--no-such-flag"}, "--no-such-flag"},
      {{"--projection", "journeys", "counts"}, "--projection"},
      {{"run", "--batch-ms", "0"}, "--batch-ms"},
      {{"run", "--backup-every", "soon"}, "--backup-every: 'soon' is not a duration"},
      {{"run", "--backup-every", "500ms"}, "--backup-every: '500ms'"},
      {{"status"}, "no Kafka: give --bootstrap or PILOTAGE_KAFKA_BOOTSTRAP"},
      {{"rebuild"}, "--into"},
      {{}, "subcommand"},
  };
  for (const Case& c : cases) {
    const testing::CliOutcome r = Projector(c.args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace pilotage::projector
