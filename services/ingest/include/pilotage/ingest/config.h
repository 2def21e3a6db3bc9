#pragma once
// The gateway's configuration file: lots with their contract start, operators
// with the SHA-256 hashes of their tokens (never a token in clear), the lots
// each holds, and the rate limits. Format: README.md of services/ingest.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "pilotage/access/access.h"
#include "pilotage/intake/intake.h"

namespace pilotage::ingest {

struct RateLimit {
  // Sustained events per second, and the bucket size (largest burst).
  double events_per_s = 20000;
  double burst = 40000;
};

struct OperatorConfig {
  intake::Sender sender;  // operator id and lots held
  bool revoked = false;   // its tokens answer 401
  RateLimit rate;
};

struct GatewayConfig {
  intake::LotCalendar lots;
  // operator id -> its configuration
  std::map<std::string, OperatorConfig> operators;
  // lowercase hex SHA-256 of a token -> operator id
  std::map<std::string, std::string> token_hashes;
};

// Parses the configuration; `origin` names it in errors, `base_dir` resolves a
// relative "lots_file". kInvalidArgument with the JSON path of the fault, and
// when no operator has a token (deploy/ingest/gateway.example.json has none).
[[nodiscard]] absl::StatusOr<GatewayConfig> ParseConfig(std::string_view json_text,
                                                        std::string_view origin,
                                                        const std::string& base_dir);
[[nodiscard]] absl::StatusOr<GatewayConfig> LoadConfig(const std::string& path);

// Lowercase hex SHA-256 of a token, as the configuration stores it (shared
// with the query service's tokens file through libs/access).
using access::TokenHash;

}  // namespace pilotage::ingest
