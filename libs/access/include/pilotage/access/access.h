#pragma once
// Bearer tokens and what they may read. Tokens are kept only as the
// lowercase hex SHA-256 of their text (TokenHash); a configuration never
// holds a token in clear.
//
// The readers' tokens file (the query service's --tokens), JSON:
//
//   {
//     "pilots":    [{"pilot_id": "fc-pilotes", "token_sha256": ["<64 hex>", ...]}],
//     "operators": [{"operator_id": "op-corse", "lots": ["LOT-94"],
//                    "token_sha256": ["<64 hex>"], "revoked": false}]
//   }
//
// "operators" has the shape of the ingest gateway's configuration (other
// fields of it, such as rate_limit, are ignored), so one operator list can
// serve both. Several hashes per principal allow rotation; a revoked
// operator's tokens are unknown tokens.
//
// Thread-safety: an AccessTable is immutable once parsed; share it freely.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pilotage::access {

// Lowercase hex SHA-256 of a token, as configurations store it.
std::string TokenHash(std::string_view token);

// True for 64 lowercase hex digits (the form TokenHash returns).
bool IsTokenHash(std::string_view text);

// Who a token belongs to.
struct Principal {
  enum class Role { kPilot, kOperator };
  Role role = Role::kOperator;
  // pilot_id or operator_id: for logs and metrics labels, never the token.
  std::string id;
  // The lots an operator may read (empty for a pilot, who reads all).
  std::set<std::string> lots;

  bool MayRead(std::string_view lot_id) const {
    return role == Role::kPilot || lots.contains(std::string(lot_id));
  }
};

class AccessTable {
 public:
  // Parses the tokens file text; `origin` names it in errors.
  // kInvalidArgument naming the JSON path of the fault (e.g.
  // "operators[1].token_sha256[0]: expected 64 lowercase hex digits"), a
  // hash listed twice, or a file with no principal at all.
  [[nodiscard]] static absl::StatusOr<AccessTable> Parse(std::string_view json_text,
                                                         std::string_view origin);
  // Reads then parses `path`; kNotFound when it cannot be read.
  [[nodiscard]] static absl::StatusOr<AccessTable> Load(const std::string& path);

  // The principal holding `token` (the text after "Bearer "), if any.
  std::optional<Principal> Find(std::string_view token) const;

  size_t size() const { return by_hash_.size(); }

 private:
  std::map<std::string, Principal> by_hash_;
};

}  // namespace pilotage::access
