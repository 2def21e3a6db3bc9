#include "pilotage/ingest/config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fmt/format.h"
#include "pilotage/domain/lot_file.h"

namespace pilotage::ingest {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view origin, const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}: {}", std::string(origin), path, what));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status ReadLots(const json& lots, std::string_view origin, const std::string& where,
                      GatewayConfig& config) {
  if (!lots.is_array()) return Bad(origin, where, "expected an array of lots");
  for (size_t i = 0; i < lots.size(); ++i) {
    const std::string at = fmt::format("{}[{}]", where, i);
    const json& lot = lots[i];
    if (!lot.is_object() || !lot.contains("lot_id") || !lot["lot_id"].is_string() ||
        !lot.contains("start_date") || !lot["start_date"].is_string()) {
      return Bad(origin, at, "a lot needs string fields lot_id and start_date");
    }
    auto start = intake::ContractStart(lot["start_date"].get<std::string>());
    if (!start.ok()) return Bad(origin, at + ".start_date", start.status().ToString());
    config.lots.contract_start[lot["lot_id"].get<std::string>()] = *start;
  }
  return absl::OkStatus();
}

absl::StatusOr<RateLimit> ReadRate(const json& j, RateLimit fallback, std::string_view origin,
                                   const std::string& at) {
  if (!j.is_object()) return Bad(origin, at, "expected {\"events_per_s\": N, \"burst\": N}");
  RateLimit rate = fallback;
  if (j.contains("events_per_s")) {
    if (!j["events_per_s"].is_number() || j["events_per_s"].get<double>() <= 0) {
      return Bad(origin, at + ".events_per_s", "expected a positive number");
    }
    rate.events_per_s = j["events_per_s"].get<double>();
  }
  if (j.contains("burst")) {
    if (!j["burst"].is_number() || j["burst"].get<double>() < 1) {
      return Bad(origin, at + ".burst", "expected a number >= 1");
    }
    rate.burst = j["burst"].get<double>();
  }
  return rate;
}

}  // namespace

absl::StatusOr<GatewayConfig> ParseConfig(std::string_view json_text, std::string_view origin,
                                          const std::string& base_dir) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Bad(origin, "$", "not a JSON object");
  GatewayConfig config;
  if (doc.contains("lots_file")) {
    if (!doc["lots_file"].is_string()) return Bad(origin, "lots_file", "expected a path");
    std::filesystem::path path = doc["lots_file"].get<std::string>();
    if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
    auto lots = domain::ReadLotFile(path);
    if (!lots.ok()) return Bad(origin, "lots_file", std::string(lots.status().message()));
    for (const domain::LotFileEntry& lot : lots->lots) {
      auto start = intake::ContractStart(lot.start_date);
      if (!start.ok()) {
        return Bad(origin, "lots_file",
                   fmt::format("{}: {}: {}", path.string(), lot.lot_id,
                               std::string(start.status().message())));
      }
      config.lots.contract_start[lot.lot_id] = *start;
    }
  }
  if (doc.contains("lots")) {
    if (auto s = ReadLots(doc["lots"], origin, "lots", config); !s.ok()) return s;
  }
  if (config.lots.contract_start.empty()) {
    return Bad(origin, "lots", "no lot: give \"lots\" or \"lots_file\"");
  }
  RateLimit default_rate;
  if (doc.contains("rate_limit")) {
    auto rate = ReadRate(doc["rate_limit"], default_rate, origin, "rate_limit");
    if (!rate.ok()) return rate.status();
    default_rate = *rate;
  }
  if (!doc.contains("operators") || !doc["operators"].is_array()) {
    return Bad(origin, "operators", "expected an array of operators");
  }
  const json& ops = doc["operators"];
  for (size_t i = 0; i < ops.size(); ++i) {
    const std::string at = fmt::format("operators[{}]", i);
    const json& op = ops[i];
    if (!op.is_object() || !op.contains("operator_id") || !op["operator_id"].is_string()) {
      return Bad(origin, at + ".operator_id", "required string");
    }
    OperatorConfig oc;
    oc.sender.operator_id = op["operator_id"].get<std::string>();
    if (config.operators.contains(oc.sender.operator_id)) {
      return Bad(origin, at + ".operator_id", "listed twice");
    }
    if (!op.contains("lots") || !op["lots"].is_array()) {
      return Bad(origin, at + ".lots", "expected an array of lot ids");
    }
    for (size_t k = 0; k < op["lots"].size(); ++k) {
      const json& lot = op["lots"][k];
      if (!lot.is_string() || !config.lots.contract_start.contains(lot.get<std::string>())) {
        return Bad(origin, fmt::format("{}.lots[{}]", at, k), "not a lot of \"lots\"");
      }
      oc.sender.lots.insert(lot.get<std::string>());
    }
    if (op.contains("revoked")) {
      if (!op["revoked"].is_boolean()) return Bad(origin, at + ".revoked", "expected a boolean");
      oc.revoked = op["revoked"].get<bool>();
    }
    oc.rate = default_rate;
    if (op.contains("rate_limit")) {
      auto rate = ReadRate(op["rate_limit"], default_rate, origin, at + ".rate_limit");
      if (!rate.ok()) return rate.status();
      oc.rate = *rate;
    }
    if (!op.contains("token_sha256") || !op["token_sha256"].is_array()) {
      return Bad(origin, at + ".token_sha256",
                 "expected an array of lowercase hex SHA-256 hashes of tokens "
                 "(pilotage-ingest hash-token)");
    }
    for (size_t k = 0; k < op["token_sha256"].size(); ++k) {
      const json& h = op["token_sha256"][k];
      const std::string hat = fmt::format("{}.token_sha256[{}]", at, k);
      if (!h.is_string() || !access::IsTokenHash(h.get<std::string>())) {
        return Bad(origin, hat, "expected 64 lowercase hex digits");
      }
      if (!config.token_hashes.emplace(h.get<std::string>(), oc.sender.operator_id).second) {
        return Bad(origin, hat, "the same token hash is listed twice");
      }
    }
    config.operators.emplace(oc.sender.operator_id, std::move(oc));
  }
  // A gateway nobody can use is a configuration mistake (such as the example
  // file used as it is), better said at start than as 401s.
  if (config.token_hashes.empty()) {
    return Bad(origin, "operators",
               "no operator has a token: add their hashes to token_sha256 (pilotage-ingest "
               "hash-token; scripts/demo-tokens for a local demonstration)");
  }
  return config;
}

absl::StatusOr<GatewayConfig> LoadConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace pilotage::ingest
