// libFuzzer target: the HTTP request path of the gateway and the query
// service (libs/http, decision 0025) on arbitrary bytes, in memory
// (http::AnswerBytes: Beast's parser under the limits, the framing checks, the
// body gate, routing by regular expression, the handlers, the error handler;
// no socket). The routes have the shapes of both services': the gateway's
// POST /v1/events behind a body gate that wants a bearer token, its body
// decoded and validated by intake::Review as the gateway does (Kafka aside);
// the query service's GET routes with path captures and query parameters.
// The first byte picks small or default limits. Fails (traps) on an answer a
// client must never get: a status outside 200-599 or a 5xx other than 501.
// Built with clang by scripts/fuzz (preset "fuzz").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "pilotage/http/server.h"
#include "pilotage/intake/intake.h"

namespace {

using pilotage::http::Request;
using pilotage::http::Response;
using pilotage::http::Routes;

Routes MakeRoutes() {
  namespace intake = pilotage::intake;
  Routes routes;
  routes.SetBodyGate([](const Request& req, Response& res) {
    if (req.method != "POST" || req.path != "/v1/events") return true;
    if (pilotage::http::BearerToken(req) == "fuzz-token") return true;
    res.status = 401;
    res.set_content(R"({"error":"unauthorized"})", "application/json");
    return false;
  });
  routes.Post("/v1/events", [](const Request& req, Response& res) {
    static const intake::LotCalendar lots = [] {
      intake::LotCalendar l;
      l.contract_start["LOT-11"] = *intake::ContractStart("2024-01-02");
      return l;
    }();
    static const intake::Sender sender{"op-cibc-idf", {"LOT-11"}};
    const std::string type = req.header("Content-Type");
    const intake::Format format = type.starts_with("application/x-ndjson") ? intake::Format::kNdjson
                                  : type.starts_with("application/x-protobuf")
                                      ? intake::Format::kProtobuf
                                      : intake::Format::kJson;
    const intake::Decoded decoded =
        intake::Review(req.body, format, sender, lots, absl::FromUnixSeconds(1717236000));
    res.status = decoded.request_refusal ? 400 : 200;
    res.set_content(std::to_string(decoded.items.size()), "application/json");
  });
  const auto echo = [](const Request& req, Response& res) {
    std::string out = req.path;
    for (const auto& m : req.matches) out += "|" + m;
    for (const auto& [k, v] : req.params) out += "&" + k + "=" + v;
    out += req.header("Authorization") + req.header("Cookie");
    res.set_content(std::move(out), "application/json");
  };
  for (const char* pattern :
       {"/healthz", "/metrics", "/livez", "/readyz", "/api/v1/meta", "/api/v1/national",
        "/api/v1/lots", R"(/api/v1/lots/([^/]+))", R"(/api/v1/lots/([^/]+)/quality)",
        R"(/api/v1/lots/([^/]+)/penalties)", R"(/api/v1/lots/([^/]+)/statement)",
        R"(/assets/([A-Za-z0-9._-]+))", R"(/api/.*)"}) {
    routes.Get(pattern, echo);
  }
  routes.Post("/api/v1/session", echo);
  routes.SetErrorHandler([](const Request&, Response& res) {
    if (res.body.empty()) res.set_content(R"({"error":"refused"})", "application/json");
  });
  return routes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const Routes routes = MakeRoutes();
  static const pilotage::http::Limits defaults;
  static const pilotage::http::Limits small = [] {
    pilotage::http::Limits l;
    l.max_header_bytes = 512;
    l.max_header_count = 8;
    l.max_body_bytes = 256;
    l.max_requests_per_connection = 4;
    return l;
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  for (const Response& res :
       pilotage::http::AnswerBytes(routes, data[0] % 2 ? small : defaults, bytes)) {
    if (res.status < 200 || res.status > 599 || (res.status >= 500 && res.status != 501)) {
      __builtin_trap();
    }
  }
  return 0;
}
