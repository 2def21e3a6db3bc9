#pragma once
// Logging of every pilotage program: spdlog's default logger writes to stderr,
// one event per line, as text (for a terminal) or as JSON lines (for journald,
// Loki, Elasticsearch...). Chosen by configuration: --log-format text|json
// (PILOTAGE_LOG_FORMAT) and --log-level (PILOTAGE_LOG_LEVEL), added to a
// program's command line by AddLoggingOptions.
//
// A JSON line is one object, keys in this order:
//   {"ts":"2026-11-30T03:13:37.123Z","level":"info","service":"pilotage-ingest",
//    "msg":"listening on http://127.0.0.1:8080","operator":"op-1","events":3}
//   ts: UTC, RFC 3339 with milliseconds. level: trace, debug, info, warn, error,
//   critical. service: the program's name. msg: the message. Then the fields of
//   the ScopedLogFields alive on the logging thread, outer scope first (a key
//   already written is not repeated). Strings are escaped per RFC 8259: quote,
//   backslash and control characters (\n, \t, \u001b...); non-ASCII UTF-8 is
//   written as is; bytes that are not valid UTF-8 become U+FFFD, so that every
//   line parses.
// A text line: "2026-11-30T03:13:37.123Z info listening on ... operator=op-1";
//   control characters in the message are escaped the same way (one event, one
//   line); a field value with spaces, quotes or '=' is quoted.
//
// What goes into a log, whatever the format: ids of lots, operators, topics,
// partitions, offsets, counts, reason codes. Never personal data (names, NIR,
// e-mail, phone, birth dates of beneficiaries) and never a token or secret.

#include <chrono>
#include <concepts>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace pilotage::service {

enum class LogFormat { kText, kJson };

struct LoggingOptions {
  // trace, debug, info, warn, error, critical, off.
  std::string level = "info";
  // text or json.
  std::string format = "text";
};

// One structured field of a log event: a string, or an integer written as a
// JSON number.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) LogField(std::string_view k, T v)
      : key(k), value(std::to_string(v)), number(true) {}

  std::string key;
  std::string value;
  bool number = false;
};

// Adds --log-level (env PILOTAGE_LOG_LEVEL) and --log-format (env
// PILOTAGE_LOG_FORMAT) to `app`, both checked by CLI11 (bad value: usage error).
void AddLoggingOptions(CLI::App& app, LoggingOptions& options);

// Parses the command line, then sets logging up from `logging` (which
// AddLoggingOptions bound to `app`) for `program`. Returns the exit code main()
// returns at once — 0 after --help or --version, 2 on a usage error (CLI11's
// message on stderr) — or nullopt to go on.
std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv,
                                    const LoggingOptions& logging, std::string_view program);

// Makes spdlog's default logger write to stderr in `options.format` at
// `options.level`, naming `service` in each event. kInvalidArgument for an
// unknown level or format. May be called again (the new logger replaces the old).
[[nodiscard]] absl::Status SetupLogging(const LoggingOptions& options, std::string_view service);

// Older form kept for callers not yet moved to LoggingOptions: service "pilotage".
[[nodiscard]] absl::Status SetupLogging(std::string_view level, bool json);

// Fields added to every event logged on this thread while the object lives
// (e.g. the operator a request handler works for). Scopes nest; destroy in
// reverse order of construction (as automatic variables do).
class ScopedLogFields {
 public:
  explicit ScopedLogFields(std::initializer_list<LogField> fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  size_t previous_size_;
};

// One event as a line (with its trailing '\n'), in `format`. `level` is the
// name written (see above). The formatter behind SetupLogging uses it with the
// thread's scoped fields; exposed for tests and for programs that log elsewhere.
std::string FormatLogLine(LogFormat format, std::chrono::system_clock::time_point time,
                          std::string_view level, std::string_view service,
                          std::string_view message, std::span<const LogField> fields);

// Appends `text` to `out` as the inside of a JSON string (no quotes): RFC 8259
// escapes, invalid UTF-8 replaced by U+FFFD.
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace pilotage::service
