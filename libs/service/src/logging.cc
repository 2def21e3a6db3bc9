#include "pilotage/service/logging.h"

#include <time.h>

#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "pilotage/service/service.h"
#include "spdlog/formatter.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace pilotage::service {
namespace {

// Fields of the ScopedLogFields alive on this thread, outer first.
thread_local std::vector<LogField> scoped_fields;

// Length of the valid UTF-8 sequence starting at text[i] (1 to 4), or 0 if the
// byte there does not start one (stray continuation byte, overlong form,
// surrogate, beyond U+10FFFF, truncated sequence).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // overlong
    if (b0 == 0xED) high = 0x9F;  // UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // overlong
    if (b0 == 0xF4) high = 0x8F;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

// Escapes for the text format: the same as JSON's for control characters,
// quotes only when `quote` (a quoted field value).
void AppendTextEscaped(std::string& out, std::string_view text, bool quote) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F || (quote && (c == '"' || c == '\\'))) {
      std::string escaped;
      AppendJsonEscaped(escaped, text.substr(i, 1));
      if (c == 0x7F) escaped = "\\u007f";
      out += escaped;
      ++i;
      continue;
    }
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value) {
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7F) return true;
  }
  return false;
}

void AppendTimestamp(std::string& out, std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  auto seconds = static_cast<time_t>(std::chrono::floor<std::chrono::seconds>(ms).count());
  int millis = static_cast<int>(ms.count() - static_cast<int64_t>(seconds) * 1000);
  if (millis < 0) {  // before 1970
    millis += 1000;
    seconds -= 1;
  }
  struct tm utc;
  gmtime_r(&seconds, &utc);
  fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, millis);
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

class LineFormatter : public spdlog::formatter {
 public:
  LineFormatter(LogFormat format, std::string service)
      : format_(format), service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string line =
        FormatLogLine(format_, msg.time, LevelName(msg.level), service_,
                      std::string_view(msg.payload.data(), msg.payload.size()), scoped_fields);
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_, service_);
  }

 private:
  LogFormat format_;
  std::string service_;
};

constexpr std::string_view kLevels = "trace, debug, info, warn, error, critical, off";

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20) {
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
}

std::string FormatLogLine(LogFormat format, std::chrono::system_clock::time_point time,
                          std::string_view level, std::string_view service,
                          std::string_view message, std::span<const LogField> fields) {
  std::string out;
  out.reserve(96 + message.size());
  std::vector<std::string_view> written = {"ts", "level", "service", "msg"};
  const auto first_time = [&](std::string_view key) {
    for (auto w : written) {
      if (w == key) return false;
    }
    written.push_back(key);
    return true;
  };
  if (format == LogFormat::kJson) {
    out += "{\"ts\":\"";
    AppendTimestamp(out, time);
    out += "\",\"level\":\"";
    AppendJsonEscaped(out, level);
    out += "\",\"service\":\"";
    AppendJsonEscaped(out, service);
    out += "\",\"msg\":\"";
    AppendJsonEscaped(out, message);
    out += '"';
    for (const LogField& field : fields) {
      if (!first_time(field.key)) continue;
      out += ",\"";
      AppendJsonEscaped(out, field.key);
      out += "\":";
      if (field.number) {
        out += field.value;
      } else {
        out += '"';
        AppendJsonEscaped(out, field.value);
        out += '"';
      }
    }
    out += "}\n";
    return out;
  }
  AppendTimestamp(out, time);
  out += ' ';
  out += level;
  out += ' ';
  AppendTextEscaped(out, message, /*quote=*/false);
  for (const LogField& field : fields) {
    if (!first_time(field.key)) continue;
    out += ' ';
    AppendTextEscaped(out, field.key, false);
    out += '=';
    if (NeedsQuotes(field.value)) {
      out += '"';
      AppendTextEscaped(out, field.value, /*quote=*/true);
      out += '"';
    } else {
      AppendTextEscaped(out, field.value, false);
    }
  }
  out += '\n';
  return out;
}

ScopedLogFields::ScopedLogFields(std::initializer_list<LogField> fields)
    : previous_size_(scoped_fields.size()) {
  scoped_fields.insert(scoped_fields.end(), fields.begin(), fields.end());
}

ScopedLogFields::~ScopedLogFields() {
  scoped_fields.erase(scoped_fields.begin() + static_cast<std::ptrdiff_t>(previous_size_),
                      scoped_fields.end());
}

void AddLoggingOptions(CLI::App& app, LoggingOptions& options) {
  app.add_option("--log-level", options.level, std::string(kLevels))
      ->envname("PILOTAGE_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", options.format,
                 "text (for a terminal) or json (one JSON object per line)")
      ->envname("PILOTAGE_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv,
                                    const LoggingOptions& logging, std::string_view program) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (auto s = SetupLogging(logging, program); !s.ok()) {
    return Fail(program, s);
  }
  return std::nullopt;
}

absl::Status SetupLogging(const LoggingOptions& options, std::string_view service) {
  const auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError(
        fmt::format("log level '{}' is not one of {}", options.level, kLevels));
  }
  LogFormat format;
  if (options.format == "text") {
    format = LogFormat::kText;
  } else if (options.format == "json") {
    format = LogFormat::kJson;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("log format '{}' is not one of text, json", options.format));
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<LineFormatter>(format, std::string(service)));
  auto logger = std::make_shared<spdlog::logger>(std::string(service), std::move(sink));
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

absl::Status SetupLogging(std::string_view level, bool json) {
  return SetupLogging(LoggingOptions{.level = std::string(level), .format = json ? "json" : "text"},
                      "pilotage");
}

}  // namespace pilotage::service
