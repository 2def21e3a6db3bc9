#pragma once
// The query service's audit lines: every read of the API or of /metrics,
// and every decision, answered or refused, as one structured info log line
// (service::ScopedLogFields). Never the token. Thread-safe (spdlog).

#include <optional>
#include <string>
#include <string_view>

#include "pilotage/access/access.h"
#include "pilotage/http/server.h"

namespace pilotage::query {

// "pilot", "operator" or "none" (no known token).
const char* RoleName(const std::optional<access::Principal>& who);

// "read <path>" with audit=`what` ("read", or "session"/"session-end" for
// the dashboard's sign-in and sign-out), who (the token's pilot_id or
// operator_id, "" when no known token), role, path, query (parameters as
// k=v&...) and status (the HTTP status); the line's time says when.
void AuditRead(const http::Request& req, const std::optional<access::Principal>& who, int status,
               std::string_view what = "read");

// "decision <path>" with audit=decision, who, role, path, status and
// event_id ("" when refused before an event was made).
void AuditDecision(const http::Request& req, const std::optional<access::Principal>& who,
                   int status, const std::string& event_id);

}  // namespace pilotage::query
