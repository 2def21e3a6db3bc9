// The dashboard's sessions (decision 0031, service_impl.h).
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "audit.h"
#include "fmt/format.h"
#include "service_impl.h"
#include "spdlog/spdlog.h"

namespace pilotage::query {

using nlohmann::json;

void QueryService::Impl::OpenSession(const http::Request& req, http::Response& res,
                                     std::optional<access::Principal>& who) {
  const absl::Time start = absl::Now();
  if (req.header("X-Requested-With") != "pilotage") {
    return Answer(res, "/api/v1/session", start,
                  absl::PermissionDeniedError("X-Requested-With: pilotage required"));
  }
  const std::optional<std::string> token = http::BearerToken(req);
  who = token ? tokens_.Find(*token) : std::nullopt;
  if (!who) {
    return Answer(res, "/api/v1/session", start,
                  absl::UnauthenticatedError("Authorization: Bearer <token> required "
                                             "(unknown or missing token)"));
  }
  const std::string id = sessions_.Open(*who, absl::Now());
  if (id.empty()) {
    return Answer(res, "/api/v1/session", start, absl::InternalError("no random bytes"));
  }
  const int64_t max_age = absl::ToInt64Seconds(sessions_.lifetime());
  res.set_header("Set-Cookie",
                 fmt::format("{}={}; Path=/api/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
                             kSessionCookie, id, max_age));
  spdlog::info("query: dashboard session opened for {}", who->id);
  res.set_content(
      json{{"principal", who->id},
           {"role", who->role == access::Principal::Role::kPilot ? "pilot" : "operator"},
           {"expires_in_s", max_age}}
          .dump(),
      "application/json");
  Observe("/api/v1/session", 200, start);
}

void QueryService::Impl::EndSession(const http::Request& req, http::Response& res) {
  const absl::Time start = absl::Now();
  const std::optional<access::Principal> who = Authenticate(req);
  const absl::Cleanup audit = [&] { AuditRead(req, who, res.status, "session-end"); };
  if (req.header("X-Requested-With") != "pilotage") {
    return Answer(res, "/api/v1/session/end", start,
                  absl::PermissionDeniedError("X-Requested-With: pilotage required"));
  }
  if (auto id = CookieValue(req, kSessionCookie)) sessions_.Close(*id);
  res.set_header(
      "Set-Cookie",
      fmt::format("{}=; Path=/api/; Max-Age=0; HttpOnly; Secure; SameSite=Strict", kSessionCookie));
  res.set_content(R"({"closed":true})", "application/json");
  Observe("/api/v1/session/end", 200, start);
}

}  // namespace pilotage::query
