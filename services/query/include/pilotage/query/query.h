#pragma once
// pilotage-query: the pilots' query API and web dashboard. Reads the
// projector's store as a RocksDB secondary instance (decision 0006), caught
// up every `catch_up` and reopened when DIR/current is repointed after a
// rebuild; every answer comes from one consistent view and says how fresh it
// is (the projector's lag against Kafka's end offsets, and when it was
// computed). docs/api/query.openapi.yaml lists the endpoints.
//
// Access: `Authorization: Bearer <token>` on /api/*; tokens file format in
// libs/access (pilots read everything, an operator only its lots). /metrics
// (every lot's figures) takes a pilot's token: 401 without a known token, 403
// with an operator's (decision 0032). The web dashboard's files (/, /national,
// /lot/<id>, /quality, /assets/*) and /livez, /readyz, /healthz need no token.
//
// Replicas (decision 0029): /livez is 200 while the process serves; /readyz
// is 200 only when the store is open, holds every partition of the topics
// (Kafka's end offsets known: --bootstrap) and no partition lags more than
// `ready_max_lag` events, 503 with the reasons otherwise; /healthz is 200
// once a store is open. Penalties and statements are 503 from a store that
// does not hold every partition, or whose coverage cannot be checked.
//
// Decisions (decision 0037): POST /api/v1/lots/{lot}/penalties/{id}/confirm,
// .../waive, .../observations, /api/v1/lots/{lot}/reviews and
// /api/v1/lots/{lot}/actions/{id}/close check the step with libs/steering
// (the checks of pilotagectl) on the current view, which must hold every
// partition of the log (decision 0029), then write one contract event with
// the idempotent producer to `contract_topic` and answer 202 with its
// event_id (the store shows it once the projector folded it); 200 with
// already_recorded when the store already holds that very event. They
// require `X-Requested-With: pilotage` (CSRF, decision 0031) with either
// credential. Refusals: 400, 401, 403, 404, 409 with a French
// error.detail; 503 without Kafka or from an incomplete store. Each is one
// info log line "decision <path>" with audit=decision, who, role, path,
// status and event_id.
//
// Audit: every request to /api/* and /metrics, answered or refused, is one
// info log line "read <path>" with the fields audit=read, who (the token's
// pilot_id or operator_id; empty for none), role (pilot, operator, none),
// path, query (parameters as k=v&...), status (the HTTP status); the line's
// ts says when. Never the token.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/access/access.h"
#include "pilotage/http/server.h"
#include "pilotage/topics/topics.h"

namespace pilotage::query {

struct QueryOptions {
  // The projector's data directory (DIR/current names the store).
  std::filesystem::path data_dir;
  // The secondary instance's own directory; empty: a fresh temporary
  // directory, removed on exit.
  std::filesystem::path secondary_dir;
  std::string host = "127.0.0.1";
  // 0: any free port (see QueryService::port()).
  int port = 8090;
  // HTTP handler threads (a request holds one while its answer is
  // computed; idle keep-alive connections hold none). Default 32.
  int threads = 32;
  // HTTP I/O threads (asynchronous). Default 2.
  int io_threads = 2;
  // What a client may send and for how long (libs/http). Only decisions
  // take a body (an operator's observations may be long): 64 KiB at most;
  // idle keep-alive connections close after 2 s.
  http::Limits http_limits = {.max_body_bytes = 64 * 1024,
                              .idle_timeout = std::chrono::milliseconds(2000)};
  // Certificate and key files: HTTPS instead of HTTP (libs/http).
  http::TlsOptions tls;
  // How often the view catches up with the projector's writes. Default 500 ms.
  std::chrono::milliseconds catch_up{500};
  // Kafka bootstrap servers, to compute the projector's lag from end
  // offsets and to write decisions; empty: lag unknown (answers say so),
  // decisions refused (503).
  std::string bootstrap;
  // Where decisions taken on the dashboard are written (decision 0037).
  std::string contract_topic = pilotage::topics::kContract;
  std::vector<std::string> topics = {pilotage::topics::kActivity, pilotage::topics::kContract};
  // How often end offsets are asked for. Default 2 s.
  std::chrono::milliseconds end_offsets_interval{2000};
  // /readyz answers 503 when a partition lags more than this many events
  // (>= 1: a trailing transaction marker counts 1, decision 0026).
  int64_t ready_max_lag = 5000;
  // The built dashboard (index.html, assets/); empty: no dashboard.
  std::filesystem::path web_dir;
  // The Europe/Paris day periods' closings and deadlines are judged on, for
  // demonstrations and tests over data of another year; unset: the day
  // each answer is computed. The facts stored after that day are still
  // shown (as pilotagectl's --on does today).
  std::optional<absl::CivilDay> today;
  // Bound of the remembered answers, least recently used forgotten first
  // (metrics pilotage_query_answer_cache_*). Default 64 MiB.
  size_t answer_cache_bytes = size_t{64} << 20;
};

class QueryService {
 public:
  // Binds the socket and starts catching up (a store not there yet is
  // retried: answers are 503 until the projector created it).
  // kInvalidArgument for bad options or TLS files (libs/http), kUnavailable
  // when the port is taken.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<QueryService>> Create(
      QueryOptions options, access::AccessTable tokens);
  ~QueryService();

  int port() const;
  // Serves until Stop().
  [[nodiscard]] absl::Status Serve();
  // Thread-safe, idempotent.
  void Stop();
  // Reads the TLS certificate and key again for new connections
  // (http::Server::ReloadTls). Thread-safe.
  [[nodiscard]] absl::Status ReloadTls();

  class Impl;

 private:
  explicit QueryService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::query
