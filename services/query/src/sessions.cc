#include "sessions.h"

#include <openssl/rand.h>

#include <algorithm>
#include <vector>

#include "fmt/format.h"

namespace pilotage::query {
namespace {

bool Same(const access::Principal& a, const access::Principal& b) {
  return a.role == b.role && a.id == b.id;
}

}  // namespace

std::string Sessions::Open(const access::Principal& who, absl::Time now) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  std::string id;
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  std::lock_guard lock(mutex_);
  // One principal's sessions, oldest first (all live the same lifetime, so
  // the oldest is the one closest to expiry). A scan: logins are rare, and
  // the table is bounded.
  std::vector<decltype(by_id_)::iterator> own;
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    if (!Same(it->second.who, who)) {
      ++it;
    } else if (it->second.expires <= now) {
      it = by_id_.erase(it);
    } else {
      own.push_back(it++);
    }
  }
  if (own.size() >= max_per_principal_) {
    std::sort(own.begin(), own.end(),
              [](const auto& a, const auto& b) { return a->second.expires < b->second.expires; });
    for (size_t i = 0; i + max_per_principal_ <= own.size(); ++i) by_id_.erase(own[i]);
  }
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

size_t Sessions::CountOf(const access::Principal& who) {
  std::lock_guard lock(mutex_);
  return std::count_if(by_id_.begin(), by_id_.end(),
                       [&who](const auto& e) { return Same(e.second.who, who); });
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
