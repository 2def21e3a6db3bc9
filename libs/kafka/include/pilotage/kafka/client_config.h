#pragma once
// How every Kafka client of the process reaches the broker: the connection
// settings (authentication, encryption) loaded once at start-up, and the
// broker address of tests and tools.

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pilotage::kafka {

// librdkafka settings every client of the process uses to reach the broker:
// `security.protocol`, `sasl.*`, `ssl.*`, `enable.ssl.certificate.verification`
// (docs/operations.md, "Kafka principals and ACLs"; decision 0032). Applied to
// every Producer, TransactionalProducer, Consumer and Admin created after
// InstallClientConfig, before the client's own settings and its `extra`
// (which may override them, e.g. a test acting as two principals).
struct ClientConfig {
  std::map<std::string, std::string> settings;
  // Where the settings came from ("FILE"), for messages; empty when none.
  std::string origin;
  // The SASL username (`sasl.username`) the broker authenticates this
  // process as; empty without SASL.
  std::string Principal() const;
};

// Parses `key=value` lines (`#` comments and blank lines skipped; spaces
// around key and value trimmed). kInvalidArgument naming "ORIGIN:LINE" and
// what is wrong for: a line without '=', an empty key or value, a key given
// twice, a key that is not a connection setting (see ClientConfig), a value
// librdkafka refuses (its value quoted only for names, protocols and
// paths, never for a secret), `sasl.mechanism` and its other name
// `sasl.mechanisms` both given, or SASL without both `sasl.username` and
// `sasl.password`.
[[nodiscard]] absl::StatusOr<ClientConfig> ParseClientConfig(std::string_view text,
                                                             std::string_view origin);
// Reads and parses FILE; kNotFound when it does not exist, kFailedPrecondition
// when it cannot be read, kInvalidArgument when it is not a regular file.
[[nodiscard]] absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path);

// Loads FILE (`--kafka-config`, env PILOTAGE_KAFKA_CONFIG) and makes it the
// process's ClientConfig; an empty path keeps the current one (none: the
// broker's PLAINTEXT listener). Call once at start-up, before any client is
// created; thread-safe, but clients created earlier keep what they had.
[[nodiscard]] absl::Status InstallClientConfig(const std::string& path);
// Replaces the process's ClientConfig (tests; InstallClientConfig uses it).
void SetClientConfig(ClientConfig config);
// A copy of the process's ClientConfig (empty settings when none).
ClientConfig CurrentClientConfig();

// The help text of `--kafka-config`, shared by every program.
inline constexpr char kClientConfigHelp[] =
    "librdkafka connection settings, key=value lines (security.protocol, sasl.*, ssl.*), "
    "used by every Kafka client of this program (docs/operations.md, \"Kafka principals and "
    "ACLs\")";

// The broker address for tests and tools: $PILOTAGE_KAFKA_BOOTSTRAP, else the
// first line of the file named by $PILOTAGE_KAFKA_BOOTSTRAP_FILE (written by
// scripts/kafka start). kNotFound with a hint when neither is set.
[[nodiscard]] absl::StatusOr<std::string> BootstrapFromEnvironment();

}  // namespace pilotage::kafka
