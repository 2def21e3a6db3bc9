// The decisions' POSTs (decision 0037, service_impl.h).
#include <string>

#include "absl/time/clock.h"
#include "audit.h"
#include "fmt/format.h"
#include "readiness_answer.h"
#include "service_impl.h"
#include "spdlog/spdlog.h"

namespace pilotage::query {

using nlohmann::json;

void QueryService::Impl::Decide(const http::Request& req, http::Response& res, DecisionKind kind) {
  const absl::Time start = absl::Now();
  const std::string endpoint = DecisionEndpoint(kind);
  const auto who = Authenticate(req);
  std::string event_id;
  const int status = [&]() -> int {
    if (req.header("X-Requested-With") != "pilotage") {
      return Refuse(res, endpoint, start,
                    absl::PermissionDeniedError(
                        "en-tête X-Requested-With: pilotage requis (protection contre les "
                        "requêtes intersites, décision 0031)"));
    }
    if (!who) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"pilotage\"");
      return Refuse(res, endpoint, start,
                    absl::UnauthenticatedError("identifiez-vous : jeton ou session inconnus"));
    }
    kafka::Producer* producer = producer_.get();
    if (producer == nullptr) {
      return Refuse(
          res, endpoint, start,
          absl::UnavailableError("décisions indisponibles : le service n'est pas relié à Kafka "
                                 "(--bootstrap)"));
    }
    const DecisionCall call{.kind = kind,
                            .lot = req.matches.size() > 1 ? req.matches[1] : "",
                            .item = req.matches.size() > 2 ? req.matches[2] : "",
                            .body = req.body};
    absl::StatusOr<PreparedDecision> prepared = absl::UnavailableError("no store read");
    auto read = view_->Read([&](Generation& g, const Freshness& f) -> absl::Status {
      if (auto refused = RefuseIncompleteStore(f); !refused.ok()) {
        return absl::UnavailableError(
            fmt::format("décision refusée : la base de lecture ne contient pas tout le journal des "
                        "événements ({}) ; réessayez dans un instant",
                        std::string(refused.message())));
      }
      auto today = clock_.Today();
      if (!today.ok()) return today.status();
      prepared = PrepareDecision(g, *who, call, *today, absl::Now());
      return absl::OkStatus();
    });
    if (!read.ok()) return Refuse(res, endpoint, start, read);
    if (!prepared.ok()) return Refuse(res, endpoint, start, prepared.status());
    event_id = prepared->step.event.event_id();
    if (prepared->already_recorded) {
      res.set_content(
          json{{"event_id", event_id}, {"already_recorded", true}, {"message", prepared->step.what}}
              .dump(),
          "application/json");
      Observe(endpoint, 200, start);
      return 200;
    }
    const std::string value = prepared->step.event.SerializeAsString();
    const kafka::Record record{
        .topic = options_.contract_topic, .key = prepared->step.event.lot_id(), .value = value};
    const auto deliveries = producer->SendAll({&record, 1});
    if (deliveries.empty() || !deliveries[0].status.ok()) {
      const absl::Status failed =
          deliveries.empty() ? absl::InternalError("no delivery outcome") : deliveries[0].status;
      spdlog::error("query: decision {} not written: {}", event_id, failed.ToString());
      return Refuse(res, endpoint, start,
                    absl::UnavailableError(
                        fmt::format("décision non enregistrée : Kafka ne l'a pas acceptée ({}) ; "
                                    "réessayez (la même décision ne sera comptée qu'une fois)",
                                    std::string(failed.message()))));
    }
    res.status = 202;
    res.set_content(json{{"event_id", event_id},
                         {"already_recorded", false},
                         {"message", prepared->step.what},
                         {"topic", options_.contract_topic},
                         {"partition", deliveries[0].partition},
                         {"offset", deliveries[0].offset}}
                        .dump(),
                    "application/json");
    Observe(endpoint, 202, start);
    return 202;
  }();
  AuditDecision(req, who, status, event_id);
}

int QueryService::Impl::Refuse(http::Response& res, const std::string& endpoint, absl::Time start,
                               const absl::Status& status) {
  const int http = DecisionStatusToHttp(status);
  res.status = http;
  if (http == 503) res.set_header("Retry-After", "1");
  if (http == 500) spdlog::error("query: {}: {}", endpoint, status.ToString());
  const std::string message(status.message());
  res.set_content(
      json{{"error", {{"status", http}, {"message", message}, {"detail", message}}}}.dump(),
      "application/json");
  Observe(endpoint, http, start);
  return http;
}

}  // namespace pilotage::query
