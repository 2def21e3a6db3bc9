// The pilotage-query command line: usage answers without a store or a token
// file (help, bad flags and values are refused before anything is opened).
#include "pilotage/query/cli.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/testing/process.h"

namespace pilotage::query {
namespace {

testing::CliOutcome Query(const std::vector<std::string>& args) {
  return testing::CallCli(RunCli, "pilotage-query", args);
}

TEST(QueryCli, HelpListsTheCommands) {
  const testing::CliOutcome r = Query({"--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  for (const char* word : {"serve", "hash-token", "--config", "--log-level"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
  }
  const testing::CliOutcome serve = Query({"serve", "--help"});
  EXPECT_EQ(serve.code, 0) << serve.err;
  for (const char* word :
       {"--data", "--tokens", "--port", "--bootstrap", "--web-dir", "--today", "--ready-max-lag"}) {
    EXPECT_NE(serve.out.find(word), std::string::npos) << word << "\n" << serve.out;
  }
}

TEST(QueryCli, BadUsageExitsWithTwoAndNamesWhatIsWrong) {
  ::unsetenv("PILOTAGE_DATA_DIR");
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case cases[] = {
      {{"serve", "--data", "d", "--tokens", "t", "--no-such-flag"}, "--no-such-flag"},
      {{"serve", "--tokens", "tokens.txt"}, "--data"},
      {{"serve", "--data", "d", "--tokens", "t", "--port", "70000"}, "--port"},
      {{"serve", "--data", "d", "--tokens", "t", "--today", "2024-13-01"}, "--today: "},
      {{}, "subcommand"},
  };
  for (const Case& c : cases) {
    const testing::CliOutcome r = Query(c.args);
    EXPECT_EQ(r.code, 2) << c.says << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace pilotage::query
