// The log line formats of libs/service: JSON escaping, UTF-8 repair, fields,
// text lines, and the command-line options that select them.
#include "pilotage/service/logging.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "nlohmann/json.hpp"
#include "pilotage/service/service.h"
#include "pilotage/testing/status.h"
#include "spdlog/spdlog.h"

namespace pilotage::service {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// 2024-03-01T09:30:00.250Z: 19783 days after 1970-01-01, then 9h30.
const system_clock::time_point kTime =
    system_clock::time_point(seconds(19783LL * 86400 + 9 * 3600 + 30 * 60) + milliseconds(250));

std::string Json(std::string_view message, std::vector<LogField> fields = {}) {
  return FormatLogLine(LogFormat::kJson, kTime, "info", "pilotage-test", message, fields);
}

TEST(LogJson, WritesTheEventAsOneLineWithTheFieldsInOrder) {
  EXPECT_EQ(Json("folded 12 events", {{"lot", "L-01"}, {"partition", 3}}),
            "{\"ts\":\"2024-03-01T09:30:00.250Z\",\"level\":\"info\",\"service\":\"pilotage-test\","
            "\"msg\":\"folded 12 events\",\"lot\":\"L-01\",\"partition\":3}\n");
}

TEST(LogJson, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = "a \"quoted\" C:\\path\nsecond line\ttab\r\b\f\x01\x1f end";
  const std::string line = Json(message);
  EXPECT_EQ(line,
            "{\"ts\":\"2024-03-01T09:30:00.250Z\",\"level\":\"info\",\"service\":\"pilotage-test\","
            "\"msg\":\"a \\\"quoted\\\" C:\\\\path\\nsecond line\\ttab\\r\\b\\f\\u0001\\u001f "
            "end\"}\n");
  // One event, one line: the only newline is the terminator.
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  // And a JSON parser gives the message back byte for byte.
  EXPECT_EQ(nlohmann::json::parse(line)["msg"], message);
}

TEST(LogJson, KeepsNonAsciiUtf8AsItIs) {
  const std::string message = "Évaluation «CEP» réussie — 5 € 🙂 中文";
  const std::string line = Json(message, {{"région", "Île-de-France"}});
  EXPECT_NE(line.find(message), std::string::npos);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["région"], "Île-de-France");
}

TEST(LogJson, ReplacesEachByteThatIsNotUtf8) {
  // 0xFF never appears in UTF-8; 0xC3 alone is a truncated "é"; C0 AF is an
  // overlong "/"; ED A0 80 is a UTF-16 surrogate; F4 90 80 80 is beyond U+10FFFF.
  // Each of their bytes becomes one U+FFFD (none starts a valid sequence).
  const std::string line = Json(
      "a\xFF"
      "b\xC3"
      "c\xC0\xAF"
      "d\xED\xA0\x80"
      "e\xF4\x90\x80\x80");
  EXPECT_NE(line.find("\"msg\":\"a\\ufffdb\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\\ufffde"
                      "\\ufffd\\ufffd\\ufffd\\ufffd\""),
            std::string::npos)
      << line;
  const auto parsed = nlohmann::json::parse(line);  // throws on invalid UTF-8
  const std::string r = "\xEF\xBF\xBD";             // U+FFFD in UTF-8
  EXPECT_EQ(parsed["msg"], "a" + r + "b" + r + "c" + r + r + "d" + r + r + r + "e" + r + r + r + r);
}

TEST(LogJson, EscapesFieldKeysAndValuesAndSkipsRepeatedOrReservedKeys) {
  const std::string line = Json(
      "m", {{"reason", "bad \"field\"\n"}, {"msg", "spoofed"}, {"reason", "second"}, {"n", -7}});
  EXPECT_EQ(line,
            "{\"ts\":\"2024-03-01T09:30:00.250Z\",\"level\":\"info\",\"service\":\"pilotage-test\","
            "\"msg\":\"m\",\"reason\":\"bad \\\"field\\\"\\n\",\"n\":-7}\n");
}

TEST(LogJson, TimestampIsUtcWithMilliseconds) {
  EXPECT_EQ(
      FormatLogLine(LogFormat::kJson, system_clock::time_point(milliseconds(999)), "warn", "s", "",
                    {}),
      "{\"ts\":\"1970-01-01T00:00:00.999Z\",\"level\":\"warn\",\"service\":\"s\",\"msg\":\"\"}"
      "\n");
}

TEST(LogText, OneLineWithFieldsQuotedWhenNeeded) {
  const std::vector<LogField> fields = {
      {"operator", "op-1"}, {"reason", "two words"}, {"empty", ""}, {"count", 3}};
  EXPECT_EQ(
      FormatLogLine(LogFormat::kText, kTime, "warn", "pilotage-test", "line one\nline \"two\"",
                    fields),
      "2024-03-01T09:30:00.250Z warn line one\\nline \"two\" operator=op-1 reason=\"two words\" "
      "empty=\"\" count=3\n");
}

class CapturedLog : public ::testing::Test {
 protected:
  void TearDown() override { spdlog::set_default_logger(nullptr); }
};

TEST_F(CapturedLog, SetupLoggingWritesJsonLinesAtTheLevelAskedWithScopedFields) {
  ASSERT_OK(SetupLogging(LoggingOptions{.level = "info", .format = "json"}, "pilotage-x"));
  ::testing::internal::CaptureStderr();
  spdlog::debug("not written at info");
  {
    ScopedLogFields outer({{"operator", "op-7"}});
    {
      ScopedLogFields inner({{"events", 2}});
      spdlog::warn("refused \"{}\"", "é\n");
    }
    spdlog::info("after inner");
  }
  spdlog::error("no fields");
  const std::string out = ::testing::internal::GetCapturedStderr();

  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[0]["service"], "pilotage-x");
  EXPECT_EQ(lines[0]["msg"], "refused \"é\n\"");
  EXPECT_EQ(lines[0]["operator"], "op-7");
  EXPECT_EQ(lines[0]["events"], 2);
  EXPECT_EQ(lines[1]["msg"], "after inner");
  EXPECT_EQ(lines[1]["operator"], "op-7");
  EXPECT_FALSE(lines[1].contains("events"));
  EXPECT_EQ(lines[2]["level"], "error");
  EXPECT_FALSE(lines[2].contains("operator"));
}

TEST_F(CapturedLog, SetupLoggingRefusesAnUnknownLevelOrFormat) {
  EXPECT_EQ(SetupLogging(LoggingOptions{.level = "loud"}, "s").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SetupLogging(LoggingOptions{.format = "xml"}, "s").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CapturedLog, ProgressOffATerminalIsALogEvent) {
  ASSERT_OK(SetupLogging(LoggingOptions{.format = "json"}, "pilotage-x"));
  ::testing::internal::CaptureStderr();  // stderr is a file now: no bar
  {
    Progress progress("rebuild", 200);
    progress.Finish(50);
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  const auto line = nlohmann::json::parse(out);
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["msg"].get<std::string>().rfind("rebuild: 50/200 events (25.0%), ", 0), 0u) << out;
}

// argv for CLI11 from strings.
struct Argv {
  explicit Argv(std::vector<std::string> args) : strings(std::move(args)) {
    for (auto& s : strings) pointers.push_back(s.data());
  }
  int argc() const { return static_cast<int>(pointers.size()); }
  char** argv() { return pointers.data(); }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

TEST_F(CapturedLog, CommandLineSelectsLevelAndFormat) {
  CLI::App app{"test"};
  LoggingOptions logging;
  AddLoggingOptions(app, logging);
  Argv args({"prog", "--log-format", "json", "--log-level", "warn"});
  EXPECT_EQ(ParseCommandLine(app, args.argc(), args.argv(), logging, "prog"), std::nullopt);
  EXPECT_EQ(logging.format, "json");
  EXPECT_EQ(logging.level, "warn");
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
}

TEST_F(CapturedLog, EnvironmentSelectsTheFormatWhenNoFlagDoes) {
  ::setenv("PILOTAGE_LOG_FORMAT", "json", 1);
  ::setenv("PILOTAGE_LOG_LEVEL", "debug", 1);
  CLI::App app{"test"};
  LoggingOptions logging;
  AddLoggingOptions(app, logging);
  Argv args({"prog"});
  const auto code = ParseCommandLine(app, args.argc(), args.argv(), logging, "prog");
  ::unsetenv("PILOTAGE_LOG_FORMAT");
  ::unsetenv("PILOTAGE_LOG_LEVEL");
  EXPECT_EQ(code, std::nullopt);
  EXPECT_EQ(logging.format, "json");
  EXPECT_EQ(logging.level, "debug");
}

TEST_F(CapturedLog, BadValuesAreUsageErrorsAndHelpExitsZero) {
  for (const char* bad : {"--log-format=xml", "--log-level=loud"}) {
    CLI::App app{"test"};
    LoggingOptions logging;
    AddLoggingOptions(app, logging);
    Argv args({"prog", bad});
    ::testing::internal::CaptureStderr();
    const auto code = ParseCommandLine(app, args.argc(), args.argv(), logging, "prog");
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(code, 2) << bad;
    EXPECT_NE(err.find(bad[6] == 'f' ? "--log-format" : "--log-level"), std::string::npos) << err;
  }
  CLI::App app{"test"};
  LoggingOptions logging;
  AddLoggingOptions(app, logging);
  Argv args({"prog", "--help"});
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(ParseCommandLine(app, args.argc(), args.argv(), logging, "prog"), 0);
  const std::string help = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(help.find("PILOTAGE_LOG_FORMAT"), std::string::npos) << help;
}

}  // namespace
}  // namespace pilotage::service
