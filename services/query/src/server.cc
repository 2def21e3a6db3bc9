// The query service: construction, routes and serving (service_impl.h
// lists the other parts).
#include <cstdlib>
#include <filesystem>
#include <map>
#include <vector>

#include "absl/time/clock.h"
#include "api.h"
#include "audit.h"
#include "end_offsets.h"
#include "fmt/format.h"
#include "funds.h"
#include "ledger.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/metrics/metrics.h"
#include "pilotage/service/ticker.h"
#include "readiness_answer.h"
#include "service_impl.h"
#include "spdlog/spdlog.h"
#include "web_assets.h"

namespace pilotage::query {

namespace fs = std::filesystem;
using nlohmann::json;

QueryService::Impl::Impl(QueryOptions options, access::AccessTable tokens)
    : options_(std::move(options)),
      tokens_(std::move(tokens)),
      registry_(std::make_shared<prometheus::Registry>()),
      server_(http::ServerOptions{.host = options_.host,
                                  .port = options_.port,
                                  .threads = options_.threads,
                                  .io_threads = options_.io_threads,
                                  .limits = options_.http_limits,
                                  .tls = options_.tls}) {
  if (options_.secondary_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "pilotage-query-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) {
      options_.secondary_dir = tmpl;
      remove_secondary_ = true;
    }
  }
  view_ = std::make_unique<StoreView>(
      StoreViewOptions{.data_dir = options_.data_dir,
                       .secondary_dir = options_.secondary_dir,
                       .answer_cache_bytes = options_.answer_cache_bytes});
  RegisterServiceMetrics();
}

QueryService::Impl::~Impl() {
  if (remove_secondary_) {
    std::error_code ec;
    fs::remove_all(options_.secondary_dir, ec);
  }
}

absl::Status QueryService::Impl::Bind() {
  http::Routes& routes = server_.routes();
  if (!options_.bootstrap.empty()) {
    // Decisions wait for their acknowledgement on a handler thread: a
    // broker that does not answer fails them in 10 s (503), not 30.
    auto producer = kafka::Producer::Create({.bootstrap = options_.bootstrap,
                                             .client_id = "pilotage-query",
                                             .delivery_timeout = std::chrono::seconds(10),
                                             .enqueue_timeout = std::chrono::seconds(10)});
    if (!producer.ok()) return producer.status();
    producer_ = std::move(*producer);
  }
  Route("/api/v1/meta", [this](Generation& g, const Freshness&, const access::Principal& who,
                               const Call&) { return Meta(g, who, clock_); });
  Route("/api/v1/national",
        [this](Generation& g, const Freshness&, const access::Principal& who, const Call& req) {
          return National(g, who, req.params, clock_);
        });
  Route("/api/v1/lots", [this](Generation& g, const Freshness&, const access::Principal& who,
                               const Call& req) { return LotsList(g, who, req.params, clock_); });
  Route(R"(/api/v1/lots/([^/]+))",
        [this](Generation& g, const Freshness&, const access::Principal& who, const Call& req) {
          return LotDetail(g, who, req.lot, req.params, clock_);
        },
        "/api/v1/lots/{lot}");
  Route(R"(/api/v1/lots/([^/]+)/quality)",
        [this](Generation& g, const Freshness&, const access::Principal& who, const Call& req) {
          return LotQuality(g, who, req.lot, req.params);
        },
        "/api/v1/lots/{lot}/quality");
  Route(R"(/api/v1/lots/([^/]+)/penalties)",
        [this](Generation& g, const Freshness&, const access::Principal& who, const Call& req) {
          return LotPenalties(g, who, req.lot, clock_);
        },
        "/api/v1/lots/{lot}/penalties", Kind::kDecision);
  Route(R"(/api/v1/lots/([^/]+)/actions)",
        [this](Generation& g, const Freshness&, const access::Principal& who, const Call& req) {
          return LotActions(g, who, req.lot, clock_);
        },
        "/api/v1/lots/{lot}/actions");
  Route(R"(/api/v1/lots/([^/]+)/statement)",
        [this](Generation& g, const Freshness&, const access::Principal& who, const Call& req) {
          return LotStatement(g, who, req.lot, req.params, clock_);
        },
        "/api/v1/lots/{lot}/statement", Kind::kDecision);
  Route("/api/v1/pending", [this](Generation& g, const Freshness&, const access::Principal& who,
                                  const Call&) { return Pending(g, who, clock_); });
  Route("/api/v1/quality", [this](Generation& g, const Freshness& f, const access::Principal& who,
                                  const Call& req) { return Quality(g, f, who, req.params); });
  Route("/api/v1/funds", [this](Generation& g, const Freshness&, const access::Principal& who,
                                const Call& req) { return Funds(g, who, req.params, clock_); });
  // Decisions from the dashboard (decision 0037).
  for (const auto& decision : std::vector<std::pair<std::string, DecisionKind>>{
           {R"(/api/v1/lots/([^/]+)/penalties/([^/]+)/confirm)", DecisionKind::kConfirm},
           {R"(/api/v1/lots/([^/]+)/penalties/([^/]+)/waive)", DecisionKind::kWaive},
           {R"(/api/v1/lots/([^/]+)/penalties/([^/]+)/observations)", DecisionKind::kObservations},
           {R"(/api/v1/lots/([^/]+)/reviews)", DecisionKind::kReview},
           {R"(/api/v1/lots/([^/]+)/actions/([^/]+)/close)", DecisionKind::kActionClose}}) {
    // Copied out of the pair: a lambda capturing a structured binding is
    // beyond clang-tidy 14 (scripts/check-tidy).
    const DecisionKind kind = decision.second;
    routes.Post(decision.first, [this, kind](const http::Request& req, http::Response& res) {
      Decide(req, res, kind);
    });
  }
  // The dashboard's session (decision 0031). A custom header is required
  // on both: a cross-site page cannot send one without a CORS preflight,
  // which this service never grants (CSRF), on top of SameSite=Strict.
  routes.Post("/api/v1/session", [this](const http::Request& req, http::Response& res) {
    std::optional<access::Principal> who;
    OpenSession(req, res, who);
    AuditRead(req, who, res.status, "session");
  });
  routes.Post("/api/v1/session/end",
              [this](const http::Request& req, http::Response& res) { EndSession(req, res); });
  routes.Get(R"(/api/.*)", [this](const http::Request& req, http::Response& res) {
    Answer(res, "other", absl::Now(),
           absl::NotFoundError(fmt::format("{}: no such endpoint (see /api/v1/...)", req.path)));
    AuditRead(req, Authenticate(req), res.status);
  });
  // Liveness: the process serves HTTP. Nothing else is checked, so that a
  // supervisor restarts only a process that stopped answering.
  routes.Get("/livez", [](const http::Request&, http::Response& res) {
    res.set_content(json{{"status", "ok"}}.dump(), "application/json");
  });
  // Readiness, for load balancers (deploy/haproxy): the store is open,
  // holds every partition and no partition lags more than
  // --ready-max-lag events.
  routes.Get("/readyz", [this](const http::Request&, http::Response& res) {
    json body;
    auto s = view_->Read([&](Generation&, const Freshness& f) {
      body = ReadinessJson(f, absl::Now(), options_.ready_max_lag, !options_.bootstrap.empty());
      return absl::OkStatus();
    });
    if (!s.ok()) {
      body = {{"ready", false},
              {"reasons", {fmt::format("no store open: {}", std::string(s.message()))}},
              {"max_lag", options_.ready_max_lag}};
    }
    res.status = body["ready"].get<bool>() ? 200 : 503;
    res.set_content(body.dump(), "application/json");
  });
  // Kept as documented before /readyz: 200 once a store is open.
  routes.Get("/healthz", [this](const http::Request&, http::Response& res) {
    auto s = view_->Read([](Generation&, const Freshness&) { return absl::OkStatus(); });
    res.status = s.ok() ? 200 : 503;
    res.set_content(json{{"status", s.ok() ? "ok" : std::string(s.message())}}.dump(),
                    "application/json");
  });
  // Every lot's KPIs, penalties and budgets: for pilots only (decision
  // 0032); Prometheus sends a pilot's token (credentials_file).
  routes.Get("/metrics", [this](const http::Request& req, http::Response& res) {
    const auto who = Authenticate(req);
    if (!who || who->role != access::Principal::Role::kPilot) {
      if (!who) res.set_header("WWW-Authenticate", "Bearer realm=\"pilotage\"");
      Answer(res, "/metrics", absl::Now(),
             who ? absl::PermissionDeniedError("/metrics: a pilot's token is required")
                 : absl::UnauthenticatedError(
                       "/metrics: Authorization: Bearer <token> of a pilot required"));
    } else {
      res.set_content(MetricsText(), metrics::kTextContentType);
    }
    AuditRead(req, who, res.status);
  });
  if (!options_.web_dir.empty()) {
    if (auto s = AddDashboardRoutes(routes, options_.web_dir); !s.ok()) return s;
  }
  return server_.Bind();
}

absl::Status QueryService::Impl::Serve() {
  service::Ticker catch_up(options_.catch_up, [this] {
    static thread_local const bool lowered = (LowerThisThreadPriority(), true);
    (void)lowered;
    auto s = view_->Refresh();
    if (!s.ok()) {
      if (!warned_) spdlog::warn("query: store view: {}", s.ToString());
      warned_ = true;
    } else {
      warned_ = false;
    }
  });
  std::unique_ptr<EndOffsetsPoller> end_offsets;
  if (!options_.bootstrap.empty()) {
    auto admin = kafka::Admin::Create(options_.bootstrap);
    if (!admin.ok()) return admin.status();
    end_offsets = std::make_unique<EndOffsetsPoller>(
        std::move(*admin), options_.topics, options_.end_offsets_interval,
        [this](std::map<std::string, int64_t> ends) {
          view_->SetEndOffsets(std::move(ends), absl::Now());
        });
  }
  spdlog::info("pilotage-query listening on {}://{}:{} (data {})", server_.tls() ? "https" : "http",
               options_.host, server_.port(), options_.data_dir.string());
  return server_.Serve();
}

absl::StatusOr<std::unique_ptr<QueryService>> QueryService::Create(QueryOptions options,
                                                                   access::AccessTable tokens) {
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data: required");
  if (auto zone = domain::ParisTimeZone(); !zone.ok()) return zone.status();
  if (options.threads < 1) return absl::InvalidArgumentError("--threads: at least 1");
  if (options.catch_up.count() < 10) {
    return absl::InvalidArgumentError("--catch-up-ms: at least 10");
  }
  if (options.ready_max_lag < 1) {
    return absl::InvalidArgumentError(
        "--ready-max-lag: at least 1 (a trailing transaction marker counts 1)");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(tokens));
  if (auto s = impl->Bind(); !s.ok()) return s;
  return std::unique_ptr<QueryService>(new QueryService(std::move(impl)));
}

QueryService::QueryService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
QueryService::~QueryService() = default;
int QueryService::port() const { return impl_->server().port(); }
absl::Status QueryService::Serve() { return impl_->Serve(); }
void QueryService::Stop() { impl_->server().Stop(); }
absl::Status QueryService::ReloadTls() { return impl_->server().ReloadTls(); }

}  // namespace pilotage::query
