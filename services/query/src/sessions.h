#pragma once
// Dashboard sessions (decision 0031): a browser trades a token once for an
// opaque session id held in an HttpOnly cookie, so that no script of the page
// (nor one injected into it) can read a credential. Private to the query
// service.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/time/time.h"
#include "pilotage/access/access.h"
#include "pilotage/http/message.h"

namespace pilotage::query {

// The cookie's name.
inline constexpr std::string_view kSessionCookie = "pilotage_session";

// Open sessions in memory (a restart logs every browser out). Thread-safe.
class Sessions {
 public:
  // `max_sessions` in all, `max_per_principal` for one principal (a role
  // and an id): one holder of a valid token cannot evict everyone else's.
  explicit Sessions(absl::Duration lifetime = absl::Hours(12), size_t max_sessions = 10000,
                    size_t max_per_principal = 32)
      : lifetime_(lifetime),
        max_sessions_(max_sessions),
        max_per_principal_(max_per_principal < 1 ? 1 : max_per_principal) {}

  // A new session for `who`: its id, 256 random bits as 64 hex digits.
  // Expired sessions of `who` go first; then, at `who`'s own cap, `who`'s
  // oldest session. At the overall cap, expired sessions go, then the one
  // closest to expiry.
  std::string Open(const access::Principal& who, absl::Time now);
  // Open sessions of `who` (expired ones not yet forgotten included).
  size_t CountOf(const access::Principal& who);
  // The principal of a session not expired at `now`.
  std::optional<access::Principal> Find(std::string_view id, absl::Time now);
  void Close(std::string_view id);

  absl::Duration lifetime() const { return lifetime_; }

 private:
  struct Entry {
    access::Principal who;
    absl::Time expires;
  };
  const absl::Duration lifetime_;
  const size_t max_sessions_;
  const size_t max_per_principal_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> by_id_;
};

// The value of cookie `name` in the request's Cookie header(s), if any.
std::optional<std::string> CookieValue(const http::Request& req, std::string_view name);

}  // namespace pilotage::query
