// The audit lines (audit.h).
#include "audit.h"

#include "pilotage/service/logging.h"
#include "spdlog/spdlog.h"

namespace pilotage::query {

const char* RoleName(const std::optional<access::Principal>& who) {
  if (!who) return "none";
  return who->role == access::Principal::Role::kPilot ? "pilot" : "operator";
}

void AuditRead(const http::Request& req, const std::optional<access::Principal>& who, int status,
               std::string_view what) {
  std::string query;
  for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
  const service::ScopedLogFields fields{{"audit", std::string(what)},
                                        {"who", who ? who->id : std::string()},
                                        {"role", RoleName(who)},
                                        {"path", req.path},
                                        {"query", query},
                                        {"status", status}};
  spdlog::info("read {}", req.path);
}

void AuditDecision(const http::Request& req, const std::optional<access::Principal>& who,
                   int status, const std::string& event_id) {
  const service::ScopedLogFields fields{
      {"audit", "decision"},   {"who", who ? who->id : std::string()},
      {"role", RoleName(who)}, {"path", req.path},
      {"status", status},      {"event_id", event_id}};
  spdlog::info("decision {}", req.path);
}

}  // namespace pilotage::query
