#include "sessions.h"

#include <openssl/rand.h>

#include <algorithm>

#include "fmt/format.h"

namespace pilotage::query {

std::string Sessions::Open(const access::Principal& who, absl::Time now) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  std::string id;
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  std::lock_guard lock(mutex_);
  if (by_id_.size() >= max_sessions_) {
    std::erase_if(by_id_, [now](const auto& e) { return e.second.expires <= now; });
  }
  if (by_id_.size() >= max_sessions_) {
    by_id_.erase(std::min_element(by_id_.begin(), by_id_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    }));
  }
  by_id_[id] = Entry{.who = who, .expires = now + lifetime_};
  return id;
}

std::optional<access::Principal> Sessions::Find(std::string_view id, absl::Time now) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    by_id_.erase(it);
    return std::nullopt;
  }
  return it->second.who;
}

void Sessions::Close(std::string_view id) {
  std::lock_guard lock(mutex_);
  by_id_.erase(std::string(id));
}

std::optional<std::string> CookieValue(const http::Request& req, std::string_view name) {
  for (const auto& [field, value] : req.headers) {
    if (field.size() != 6 || !std::equal(field.begin(), field.end(), "cookie",
                                         [](char a, char b) { return std::tolower(a) == b; })) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
          pair[name.size()] == '=') {
        return std::string(pair.substr(name.size() + 1));
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  return std::nullopt;
}

}  // namespace pilotage::query
