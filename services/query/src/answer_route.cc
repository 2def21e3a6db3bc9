// GET /api/v1/...: authentication, remembered answers, error answers
// (service_impl.h).
#include <string>

#include "absl/time/clock.h"
#include "audit.h"
#include "pilotage/domain/calendar.h"
#include "readiness_answer.h"
#include "service_impl.h"
#include "spdlog/spdlog.h"

namespace pilotage::query {
namespace {

using nlohmann::json;

Params ParamsOf(const http::Request& req) {
  Params out;
  for (const auto& [k, v] : req.params) out[k] = v;
  return out;
}

}  // namespace

void QueryService::Impl::Route(const std::string& pattern, Handler handler, std::string endpoint,
                               Kind kind) {
  if (endpoint.empty()) endpoint = pattern;
  server_.routes().Get(pattern, [this, handler = std::move(handler), endpoint, kind](
                                    const http::Request& req, http::Response& res) {
    const auto who = Authenticate(req);
    Handle(req, res, handler, endpoint, kind, who);
    AuditRead(req, who, res.status);
  });
}

void QueryService::Impl::Handle(const http::Request& req, http::Response& res,
                                const Handler& handler, const std::string& endpoint, Kind kind,
                                const std::optional<access::Principal>& who) {
  const absl::Time start = absl::Now();
  if (!who) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"pilotage\"");
    Answer(res, endpoint, start,
           absl::UnauthenticatedError("Authorization: Bearer <token> required (unknown or "
                                      "missing token)"));
    return;
  }
  if (kind == Kind::kDecision) {
    // Before computing: an incomplete store may not even know the lot.
    absl::Status refused;
    auto read = view_->Read([&](Generation&, const Freshness& f) {
      refused = RefuseIncompleteStore(f);
      return absl::OkStatus();
    });
    if (read.ok() && !refused.ok()) {
      Answer(res, endpoint, start, refused);
      return;
    }
  }
  // One answer per URL and readable lots, remembered with the view and
  // the Paris day (deadlines) it was computed on.
  const std::string day = absl::FormatTime("%Y-%m-%d", absl::Now(), domain::Paris());
  std::string key = req.path + "?";
  for (const auto& [k, v] : req.params) key += k + "=" + v + "&";
  key += who->role == access::Principal::Role::kPilot ? "*" : "";
  for (const auto& lot : who->lots) key += lot + ",";
  // The only answer that names who asks: never served to another principal.
  if (endpoint == "/api/v1/meta") key += "@" + who->id;
  Call call{.lot = req.matches.size() > 1 ? req.matches[1] : "", .params = ParamsOf(req)};
  std::shared_ptr<const Remembered> answer;
  Freshness freshness;
  if (auto served = view_->Find(key)) {
    // The newest answer at once, with the freshness of the view it was
    // computed on; if the view moved (or the day changed) since, the
    // background worker computes the new one.
    answer = std::move(served->answer);
    freshness = std::move(served->freshness);
    if (served->outdated || answer->day != day) {
      refresher_.Submit(key, [this, key, handler, who = *who, call] {
        auto s = Compute(key, handler, who, call);
        if (!s.ok()) spdlog::debug("query: refreshing {}: {}", key, s.status().ToString());
      });
    }
  } else {
    // Never computed on this store: there is nothing else to show.
    auto computed = Compute(key, handler, *who, call);
    if (!computed.ok()) {
      Answer(res, endpoint, start, computed.status());
      return;
    }
    answer = std::move(computed->first);
    freshness = std::move(computed->second);
  }
  if (kind == Kind::kDecision) {
    // Judged on the view the answer was computed on, with the newest
    // end offsets: a remembered answer is no better than its store.
    if (auto refused = RefuseIncompleteStore(freshness); !refused.ok()) {
      Answer(res, endpoint, start, refused);
      return;
    }
  }
  std::string body;
  body.reserve(answer->body.size() + 1024);
  body += answer->body;
  body += ",\"freshness\":" + FreshnessJson(freshness, absl::Now()).dump() + "}";
  res.set_content(std::move(body), "application/json");
  Observe(endpoint, 200, start);
}

absl::StatusOr<std::pair<std::shared_ptr<const Remembered>, Freshness>> QueryService::Impl::Compute(
    const std::string& key, const Handler& handler, const access::Principal& who,
    const Call& call) {
  std::pair<std::shared_ptr<const Remembered>, Freshness> out;
  auto s = view_->Read([&](Generation& g, const Freshness& f) -> absl::Status {
    auto computing = g.KeyMutex(key);
    const absl::Status status = [&]() -> absl::Status {
      std::lock_guard once(*computing);
      const std::string day = absl::FormatTime("%Y-%m-%d", absl::Now(), domain::Paris());
      if (auto served = view_->Find(key);
          served && served->answer->view->generation >= g.number() && served->answer->day == day) {
        out = {std::move(served->answer), std::move(served->freshness)};
        return absl::OkStatus();
      }
      auto answer = handler(g, f, who, call);
      if (!answer.ok()) return answer.status();
      (*answer)["view_generation"] = g.number();
      std::string text = answer->dump();
      text.pop_back();  // the closing brace: freshness goes after
      out = {std::make_shared<const Remembered>(
                 Remembered{.body = std::move(text), .day = day, .view = g.view()}),
             f};
      view_->Remember(key, out.first);
      return absl::OkStatus();
    }();
    g.ReleaseKey(key, std::move(computing));
    return status;
  });
  if (!s.ok()) return s;
  return out;
}

std::optional<access::Principal> QueryService::Impl::Authenticate(const http::Request& req) {
  if (const std::optional<std::string> token = http::BearerToken(req)) {
    return tokens_.Find(*token);
  }
  if (auto id = CookieValue(req, kSessionCookie)) return sessions_.Find(*id, absl::Now());
  return std::nullopt;
}

void QueryService::Impl::Answer(http::Response& res, const std::string& endpoint, absl::Time start,
                                const absl::Status& status) {
  const int http = StatusToHttp(status);
  res.status = http;
  if (http == 503) res.set_header("Retry-After", "1");
  if (http == 500) spdlog::error("query: {}: {}", endpoint, status.ToString());
  res.set_content(
      json{{"error", {{"status", http}, {"message", std::string(status.message())}}}}.dump(),
      "application/json");
  Observe(endpoint, http, start);
}

}  // namespace pilotage::query
