#pragma once
// The query service's inside (QueryService::Impl, query.h), cut along its
// seams, one .cc each:
//   server.cc          construction, the routes (Bind), Serve;
//   answer_route.cc    GET /api/v1/...: authentication, remembered answers
//                      (computed once per view and Paris day, refreshed in
//                      the background), error answers;
//   session_route.cc   POST /api/v1/session and /api/v1/session/end
//                      (decision 0031);
//   decision_route.cc  the decisions' POSTs (decision 0037);
//   service_metrics.cc /metrics: request counts and latencies, the view and
//                      cache gauges, the business gauges (gauges.h).
// Private to the service. Thread-safety: every handler may run on any of
// the server's threads at once; members are thread-safe or set before
// serving (Bind).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api_common.h"
#include "background.h"
#include "decisions.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "pilotage/http/server.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/query/query.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "sessions.h"
#include "store_view.h"

namespace pilotage::query {

// Named apart from Impl::Answer (an error answer).
using Remembered = Answer;

class QueryService::Impl {
 public:
  // What a handler needs of a request (copied, so that an answer can be
  // recomputed after the request was answered).
  struct Call {
    std::string lot;
    Params params;
  };
  using Handler = std::function<absl::StatusOr<nlohmann::json>(
      Generation&, const Freshness&, const access::Principal&, const Call&)>;

  // Opens nothing yet: the view catches up once serving.
  Impl(QueryOptions options, access::AccessTable tokens);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Creates the producer (with --bootstrap), adds every route and binds the
  // socket (server.cc).
  [[nodiscard]] absl::Status Bind();
  // Catches up the view and polls Kafka's end offsets while serving, until
  // the server stops (server.cc).
  [[nodiscard]] absl::Status Serve();

  http::Server& server() { return server_; }

 private:
  // A decision (penalties, statements: money) is refused from a store that
  // does not hold every partition of the log, or whose coverage cannot be
  // checked (decision 0029); other answers say it in their freshness.
  enum class Kind { kFigures, kDecision };

  // answer_route.cc
  void Route(const std::string& pattern, Handler handler, std::string endpoint = "",
             Kind kind = Kind::kFigures);
  void Handle(const http::Request& req, http::Response& res, const Handler& handler,
              const std::string& endpoint, Kind kind, const std::optional<access::Principal>& who);
  // The answer for `key` on the current view (with that view's freshness),
  // remembered: computed once per generation and Paris day (single flight),
  // unless a computation of this generation already remembered it.
  absl::StatusOr<std::pair<std::shared_ptr<const Remembered>, Freshness>> Compute(
      const std::string& key, const Handler& handler, const access::Principal& who,
      const Call& call);
  // Programs send the token (Bearer); the dashboard its session cookie.
  std::optional<access::Principal> Authenticate(const http::Request& req);
  // An error answer: StatusToHttp's status, {"error": {status, message}}.
  void Answer(http::Response& res, const std::string& endpoint, absl::Time start,
              const absl::Status& status);

  // session_route.cc
  // POST /api/v1/session: trades a bearer token for a session cookie; `who`
  // is the token's principal when it is known (for the audit line).
  void OpenSession(const http::Request& req, http::Response& res,
                   std::optional<access::Principal>& who);
  // POST /api/v1/session/end: forgets the session of the cookie.
  void EndSession(const http::Request& req, http::Response& res);

  // decision_route.cc
  // A decision from the dashboard (decision 0037): checked on the current
  // view, written with the producer, answered 202 with its event id.
  void Decide(const http::Request& req, http::Response& res, DecisionKind kind);
  // A refused decision: the status of DecisionStatusToHttp, the message in
  // `error.message` and `error.detail` (French, shown to the user).
  int Refuse(http::Response& res, const std::string& endpoint, absl::Time start,
             const absl::Status& status);

  // service_metrics.cc
  void RegisterServiceMetrics();
  void Observe(const std::string& endpoint, int http, absl::Time start);
  // The service's own metrics, then the business gauges of the current view.
  std::string MetricsText();

  QueryOptions options_;
  // --today, or the day of each answer.
  const Clock clock_{.fixed = options_.today};
  const access::AccessTable tokens_;
  Sessions sessions_;
  bool remove_secondary_ = false;
  std::unique_ptr<StoreView> view_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* latency_ = nullptr;
  prometheus::Gauge* generation_ = nullptr;
  prometheus::Gauge* lag_ = nullptr;
  prometheus::Gauge* catch_up_age_ = nullptr;
  prometheus::Gauge* cache_bytes_ = nullptr;
  prometheus::Gauge* cache_entries_ = nullptr;
  prometheus::Counter* cache_evictions_ = nullptr;
  std::atomic<uint64_t> counted_evictions_{0};
  // Writes decisions (with --bootstrap; set by Bind before anything is
  // served). Declared before the server: destroyed after it.
  std::unique_ptr<kafka::Producer> producer_;
  http::Server server_;
  Refresher refresher_;
  std::atomic<bool> warned_{false};
};

}  // namespace pilotage::query
