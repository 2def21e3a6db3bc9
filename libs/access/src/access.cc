#include "pilotage/access/access.h"

#include <openssl/sha.h>

#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace pilotage::access {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view origin, const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}: {}", origin, path, what));
}

absl::Status ReadHashes(const json& entry, const std::string& at, std::string_view origin,
                        const Principal& who, std::map<std::string, Principal>& out) {
  if (!entry.contains("token_sha256") || !entry["token_sha256"].is_array()) {
    return Bad(origin, at + ".token_sha256",
               "expected an array of lowercase hex SHA-256 hashes of tokens "
               "(pilotage-query hash-token)");
  }
  for (size_t k = 0; k < entry["token_sha256"].size(); ++k) {
    const json& h = entry["token_sha256"][k];
    const std::string hat = fmt::format("{}.token_sha256[{}]", at, k);
    if (!h.is_string() || !IsTokenHash(h.get<std::string>())) {
      return Bad(origin, hat, "expected 64 lowercase hex digits");
    }
    if (!out.emplace(h.get<std::string>(), who).second) {
      return Bad(origin, hat, "the same token hash is listed twice");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string TokenHash(std::string_view token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

bool IsTokenHash(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<AccessTable> AccessTable::Parse(std::string_view json_text,
                                               std::string_view origin) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Bad(origin, "$", "not a JSON object");
  AccessTable table;
  if (doc.contains("pilots")) {
    if (!doc["pilots"].is_array()) return Bad(origin, "pilots", "expected an array of pilots");
    for (size_t i = 0; i < doc["pilots"].size(); ++i) {
      const std::string at = fmt::format("pilots[{}]", i);
      const json& p = doc["pilots"][i];
      if (!p.is_object() || !p.contains("pilot_id") || !p["pilot_id"].is_string()) {
        return Bad(origin, at + ".pilot_id", "required string");
      }
      Principal who{.role = Principal::Role::kPilot, .id = p["pilot_id"].get<std::string>()};
      if (auto s = ReadHashes(p, at, origin, who, table.by_hash_); !s.ok()) return s;
    }
  }
  if (doc.contains("operators")) {
    if (!doc["operators"].is_array()) {
      return Bad(origin, "operators", "expected an array of operators");
    }
    for (size_t i = 0; i < doc["operators"].size(); ++i) {
      const std::string at = fmt::format("operators[{}]", i);
      const json& op = doc["operators"][i];
      if (!op.is_object() || !op.contains("operator_id") || !op["operator_id"].is_string()) {
        return Bad(origin, at + ".operator_id", "required string");
      }
      Principal who{.role = Principal::Role::kOperator, .id = op["operator_id"].get<std::string>()};
      if (!op.contains("lots") || !op["lots"].is_array()) {
        return Bad(origin, at + ".lots", "expected an array of lot ids");
      }
      for (size_t k = 0; k < op["lots"].size(); ++k) {
        if (!op["lots"][k].is_string() || op["lots"][k].get<std::string>().empty()) {
          return Bad(origin, fmt::format("{}.lots[{}]", at, k), "expected a lot id");
        }
        who.lots.insert(op["lots"][k].get<std::string>());
      }
      if (op.contains("revoked") && !op["revoked"].is_boolean()) {
        return Bad(origin, at + ".revoked", "expected a boolean");
      }
      std::map<std::string, Principal> hashes;
      if (auto s = ReadHashes(op, at, origin, who, hashes); !s.ok()) return s;
      if (op.value("revoked", false)) continue;
      for (auto& [hash, p] : hashes) {
        if (!table.by_hash_.emplace(hash, std::move(p)).second) {
          return Bad(origin, at + ".token_sha256", "a token hash is listed twice");
        }
      }
    }
  }
  if (table.by_hash_.empty()) {
    return Bad(origin, "$", "no token: give \"pilots\" and/or \"operators\" with token_sha256");
  }
  return table;
}

absl::StatusOr<AccessTable> AccessTable::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(fmt::format("cannot read tokens file {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

std::optional<Principal> AccessTable::Find(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  auto it = by_hash_.find(TokenHash(token));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

}  // namespace pilotage::access
