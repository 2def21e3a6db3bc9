// The process's connection settings (--kafka-config): parsing, checking, and
// the one copy every client starts from.
#include <librdkafka/rdkafka.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "fmt/format.h"
#include "pilotage/kafka/client_config.h"

namespace pilotage::kafka {
namespace {

// Only how to reach and authenticate to the broker: what the library sets
// itself (idempotence, acks, isolation, group, transactional.id...) must not
// be changed behind its back by a deployment file.
bool IsConnectionSetting(std::string_view key) {
  return key == "security.protocol" || key == "enable.ssl.certificate.verification" ||
         key.starts_with("sasl.") || key.starts_with("ssl.");
}

// Settings whose value may be quoted in a message: names, protocols and
// paths. Any other value (passwords, keys, OAuth secrets and configs) never
// is, whatever the setting is called.
bool MayQuoteValue(std::string_view key) {
  return key == "security.protocol" || key == "sasl.mechanism" || key == "sasl.mechanisms" ||
         key == "sasl.username" || key == "enable.ssl.certificate.verification" ||
         key == "ssl.endpoint.identification.algorithm" || key.ends_with(".location");
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::mutex& ConfigMutex() {
  static std::mutex mu;
  return mu;
}

ClientConfig& ProcessConfig() {
  static ClientConfig config;
  return config;
}

}  // namespace

std::string ClientConfig::Principal() const {
  auto it = settings.find("sasl.username");
  return it == settings.end() ? std::string() : it->second;
}

absl::StatusOr<ClientConfig> ParseClientConfig(std::string_view text, std::string_view origin) {
  ClientConfig config{.origin = std::string(origin)};
  std::map<std::string, int> line_of;
  // A scratch configuration: librdkafka checks each name and value now, so a
  // typo is reported with its line rather than when the first client starts.
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> scratch(
      rd_kafka_conf_new(), &rd_kafka_conf_destroy);
  std::istringstream in{std::string(text)};
  std::string raw;
  for (int number = 1; std::getline(in, raw); ++number) {
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](std::string_view what) {
      return absl::InvalidArgumentError(
          fmt::format("kafka config {}:{}: {}", origin, number, what));
    };
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return fail(fmt::format("'{}' is not key=value", line));
    }
    const std::string key(Trim(line.substr(0, eq)));
    const std::string value(Trim(line.substr(eq + 1)));
    if (key.empty()) return fail("empty key before '='");
    if (value.empty()) return fail(fmt::format("{} has an empty value", key));
    if (!IsConnectionSetting(key)) {
      return fail(
          fmt::format("{} is not a connection setting (allowed: security.protocol, sasl.*, ssl.*, "
                      "enable.ssl.certificate.verification)",
                      key));
    }
    if (auto [it, inserted] = line_of.emplace(key, number); !inserted) {
      return fail(fmt::format("{} already given on line {}", key, it->second));
    }
    char errstr[512];
    if (rd_kafka_conf_set(scratch.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      // librdkafka's message may quote the value: only for what is no secret.
      if (MayQuoteValue(key)) return fail(fmt::format("{}={}: {}", key, value, errstr));
      if (std::string_view(errstr).find(value) == std::string_view::npos) {
        return fail(fmt::format("{}: {}", key, errstr));
      }
      return fail(fmt::format("{}: refused by librdkafka (its value is not shown)", key));
    }
    config.settings.emplace(key, value);
  }
  const bool has_user = config.settings.contains("sasl.username");
  const bool has_password = config.settings.contains("sasl.password");
  if (has_user != has_password) {
    return absl::InvalidArgumentError(fmt::format("kafka config {}: {} without {}", origin,
                                                  has_user ? "sasl.username" : "sasl.password",
                                                  has_user ? "sasl.password" : "sasl.username"));
  }
  // librdkafka takes sasl.mechanism as another name of sasl.mechanisms.
  if (config.settings.contains("sasl.mechanism") && config.settings.contains("sasl.mechanisms")) {
    return absl::InvalidArgumentError(fmt::format(
        "kafka config {}: sasl.mechanism and sasl.mechanisms are one setting: give one (lines {} "
        "and {})",
        origin, line_of.at("sasl.mechanism"), line_of.at("sasl.mechanisms")));
  }
  const auto mechanism_setting = config.settings.contains("sasl.mechanism")
                                     ? config.settings.find("sasl.mechanism")
                                     : config.settings.find("sasl.mechanisms");
  if (mechanism_setting != config.settings.end() && !has_user) {
    const std::string& mechanism = mechanism_setting->second;
    if (mechanism.starts_with("SCRAM") || mechanism == "PLAIN") {
      return absl::InvalidArgumentError(
          fmt::format("kafka config {}: {}={} needs sasl.username and sasl.password", origin,
                      mechanism_setting->first, mechanism));
    }
  }
  return config;
}

absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path) {
  // open(2), not an ifstream: its errno is the reason, and a directory
  // would read as an empty file, i.e. PLAINTEXT without a word.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string message =
        fmt::format("kafka config {}: cannot read it: {}", path, std::strerror(err));
    // Not kPermissionDenied: that is the broker refusing the principal.
    return err == ENOENT ? absl::NotFoundError(message) : absl::FailedPreconditionError(message);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        fmt::format("kafka config {}: not a regular file (a file of key=value lines)", path));
  }
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::FailedPreconditionError(
          fmt::format("kafka config {}: cannot read it: {}", path, std::strerror(err)));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return ParseClientConfig(text, path);
}

absl::Status InstallClientConfig(const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  auto config = LoadClientConfig(path);
  if (!config.ok()) return config.status();
  SetClientConfig(*std::move(config));
  return absl::OkStatus();
}

void SetClientConfig(ClientConfig config) {
  std::lock_guard lock(ConfigMutex());
  ProcessConfig() = std::move(config);
}

ClientConfig CurrentClientConfig() {
  std::lock_guard lock(ConfigMutex());
  return ProcessConfig();
}

absl::StatusOr<std::string> BootstrapFromEnvironment() {
  if (const char* direct = std::getenv("PILOTAGE_KAFKA_BOOTSTRAP"); direct && *direct) {
    return std::string(direct);
  }
  const char* file = std::getenv("PILOTAGE_KAFKA_BOOTSTRAP_FILE");
  if (file == nullptr || *file == '\0') {
    return absl::NotFoundError(
        "kafka: no broker: set PILOTAGE_KAFKA_BOOTSTRAP=host:port, or "
        "PILOTAGE_KAFKA_BOOTSTRAP_FILE to the bootstrap file of `scripts/kafka start`");
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    return absl::NotFoundError(fmt::format(
        "kafka: no broker address in {} (is the broker started? scripts/kafka start)", file));
  }
  return line;
}

}  // namespace pilotage::kafka
