#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "api.h"
#include "decisions.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "funds.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/calendar.h"
#include "pilotage/http/server.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/metrics/metrics.h"
#include "pilotage/query/query.h"
#include "pilotage/service/logging.h"
#include "pilotage/service/ticker.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "readiness.h"
#include "sessions.h"
#include "spdlog/spdlog.h"
#include "store_view.h"

namespace pilotage::query {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using service::Ticker;

constexpr const char* kDashboardPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

// Background work yields the CPU to requests: computations and catch-ups
// run at this nice value (Linux: per thread), requests at the process's.
constexpr int kBackgroundNice = 10;

void LowerThisThreadPriority() {
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice) != 0) {
    spdlog::debug("query: cannot lower a background thread's priority: errno {}", errno);
  }
}

// One thread computing answers in the background, in submission order, at
// a lower priority; a key already waiting is not queued twice (the work
// computes on the newest view when it runs); pending work is dropped at
// destruction.
class Refresher {
 public:
  Refresher() : thread_([this] { Loop(); }) {}
  ~Refresher() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Submit(const std::string& key, std::function<void()> work) {
    {
      std::lock_guard lock(mu_);
      if (!pending_.insert(key).second) return;
      queue_.emplace_back(key, std::move(work));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    LowerThisThreadPriority();
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (done_) return;
      auto [key, work] = std::move(queue_.front());
      queue_.pop_front();
      pending_.erase(key);
      lock.unlock();
      work();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::set<std::string> pending_;
  bool done_ = false;
  std::thread thread_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ContentType(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".map") return "application/json";
  return "application/octet-stream";
}

// Kafka's end offsets of every partition of `topics`, keyed
// "topic/partition"; nullopt when Kafka did not answer.
std::optional<std::map<std::string, int64_t>> ReadEndOffsets(
    kafka::Admin& admin, const std::vector<std::string>& topics) {
  auto ends = admin.EndOffsets(topics, std::chrono::milliseconds(2000));
  if (!ends.ok()) {
    spdlog::debug("query: end offsets: {}", ends.status().ToString());
    return std::nullopt;
  }
  return *std::move(ends);
}

// Reads Kafka's end offsets every `interval` on a thread of its own and hands
// them to `sink`. librdkafka 2.0.2 (Debian 12) can stay in
// rd_kafka_query_watermark_offsets long past its timeout
// (confluentinc/librdkafka#2588, fixed in 2.3.0; a query service then never
// finished stopping in replicas_e2e_test): the destructor waits 5 s at most
// for the thread, then leaves it behind. The thread owns the admin client and
// its copy of the topics, and calls `sink` under a mutex the destructor takes
// to clear it: once the destructor returned, nothing of the caller is used.
class EndOffsetsPoller {
 public:
  using Sink = std::function<void(std::map<std::string, int64_t>)>;
  EndOffsetsPoller(std::unique_ptr<kafka::Admin> admin, std::vector<std::string> topics,
                   std::chrono::milliseconds interval, Sink sink)
      : state_(std::make_shared<State>()) {
    state_->sink = std::move(sink);
    std::thread([state = state_, admin = std::shared_ptr<kafka::Admin>(std::move(admin)),
                 topics = std::move(topics), interval]() mutable {
      std::unique_lock lock(state->mu);
      while (!state->done) {
        lock.unlock();
        auto ends = ReadEndOffsets(*admin, topics);
        lock.lock();
        if (state->done) break;
        if (ends) state->sink(std::move(*ends));
        state->cv.wait_for(lock, interval, [&] { return state->done; });
      }
      lock.unlock();
      admin.reset();  // before saying it finished: the client is closed
      lock.lock();
      state->finished = true;
      state->cv.notify_all();
    }).detach();
  }
  ~EndOffsetsPoller() {
    std::unique_lock lock(state_->mu);
    state_->done = true;
    state_->sink = nullptr;
    state_->cv.notify_all();
    if (!state_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return state_->finished; })) {
      spdlog::warn("query: Kafka's end offsets: a request did not return; stopping without it");
    }
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool finished = false;
    Sink sink;
  };
  std::shared_ptr<State> state_;
};

}  // namespace

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
  using Handler = std::function<absl::StatusOr<json>(Generation&, const Freshness&,
                                                     const access::Principal&, const Call&)>;

  Impl(QueryOptions options, access::AccessTable tokens)
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
    requests_ = &prometheus::BuildCounter()
                     .Name("pilotage_query_requests_total")
                     .Help("HTTP requests answered, by endpoint and status code")
                     .Register(*registry_);
    latency_ = &prometheus::BuildHistogram()
                    .Name("pilotage_query_request_duration_seconds")
                    .Help("Time to answer a request, by endpoint")
                    .Register(*registry_);
    generation_ = &prometheus::BuildGauge()
                       .Name("pilotage_query_view_generation")
                       .Help("Changes of the store view seen by catch-ups since start")
                       .Register(*registry_)
                       .Add({});
    lag_ = &prometheus::BuildGauge()
                .Name("pilotage_query_projector_lag_events")
                .Help("Events in Kafka the served view does not show yet (-1: unknown)")
                .Register(*registry_)
                .Add({});
    cache_bytes_ = &prometheus::BuildGauge()
                        .Name("pilotage_query_answer_cache_bytes")
                        .Help("Bytes of remembered answers (bounded by --answer-cache-mib)")
                        .Register(*registry_)
                        .Add({});
    cache_entries_ = &prometheus::BuildGauge()
                          .Name("pilotage_query_answer_cache_entries")
                          .Help("Remembered answers")
                          .Register(*registry_)
                          .Add({});
    cache_evictions_ = &prometheus::BuildCounter()
                            .Name("pilotage_query_answer_cache_evictions_total")
                            .Help(
                                "Answers forgotten, least recently used first, to stay within "
                                "the bound")
                            .Register(*registry_)
                            .Add({});
    catch_up_age_ = &prometheus::BuildGauge()
                         .Name("pilotage_query_view_age_seconds")
                         .Help("Seconds since the view last caught up with the store")
                         .Register(*registry_)
                         .Add({});
  }

  ~Impl() {
    if (remove_secondary_) {
      std::error_code ec;
      fs::remove_all(options_.secondary_dir, ec);
    }
  }

  absl::Status Bind() {
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
    for (const auto& [pattern, kind] : std::vector<std::pair<std::string, DecisionKind>>{
             {R"(/api/v1/lots/([^/]+)/penalties/([^/]+)/confirm)", DecisionKind::kConfirm},
             {R"(/api/v1/lots/([^/]+)/penalties/([^/]+)/waive)", DecisionKind::kWaive},
             {R"(/api/v1/lots/([^/]+)/penalties/([^/]+)/observations)",
              DecisionKind::kObservations},
             {R"(/api/v1/lots/([^/]+)/reviews)", DecisionKind::kReview},
             {R"(/api/v1/lots/([^/]+)/actions/([^/]+)/close)", DecisionKind::kActionClose}}) {
      routes.Post(pattern, [this, kind](const http::Request& req, http::Response& res) {
        Decide(req, res, kind);
      });
    }
    // The dashboard's session (decision 0031). A custom header is required
    // on both: a cross-site page cannot send one without a CORS preflight,
    // which this service never grants (CSRF), on top of SameSite=Strict.
    routes.Post("/api/v1/session", [this](const http::Request& req, http::Response& res) {
      std::optional<access::Principal> who;
      OpenSession(req, res, who);
      Audit(req, who, res.status, "session");
    });
    routes.Post("/api/v1/session/end", [this](const http::Request& req, http::Response& res) {
      const absl::Time start = absl::Now();
      const std::optional<access::Principal> who = Authenticate(req);
      const absl::Cleanup audit = [&] { Audit(req, who, res.status, "session-end"); };
      if (req.header("X-Requested-With") != "pilotage") {
        return Answer(res, "/api/v1/session/end", start,
                      absl::PermissionDeniedError("X-Requested-With: pilotage required"));
      }
      if (auto id = CookieValue(req, kSessionCookie)) sessions_.Close(*id);
      res.set_header("Set-Cookie",
                     fmt::format("{}=; Path=/api/; Max-Age=0; HttpOnly; Secure; SameSite=Strict",
                                 kSessionCookie));
      res.set_content(R"({"closed":true})", "application/json");
      Observe("/api/v1/session/end", 200, start);
    });
    routes.Get(R"(/api/.*)", [this](const http::Request& req, http::Response& res) {
      Answer(res, "other", absl::Now(),
             absl::NotFoundError(fmt::format("{}: no such endpoint (see /api/v1/...)", req.path)));
      Audit(req, Authenticate(req), res.status);
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
        body = ReadinessJson(f, absl::Now());
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
      Audit(req, who, res.status);
    });
    if (!options_.web_dir.empty()) {
      const fs::path index = options_.web_dir / "index.html";
      if (!fs::exists(index)) {
        return absl::NotFoundError(
            fmt::format("--web-dir: {} has no index.html (build the target query-web)",
                        options_.web_dir.string()));
      }
      auto page = [this](const http::Request&, http::Response& res) {
        // Only this origin's own files run: an injected inline script or
        // a foreign source is blocked; no framing (clickjacking).
        res.set_header("Content-Security-Policy", kDashboardPolicy);
        res.set_content(ReadFile(options_.web_dir / "index.html"), "text/html; charset=utf-8");
      };
      routes.Get("/", page);
      routes.Get("/national", page);
      routes.Get("/quality", page);
      // Fund usage, trends, quarterly bilan (print), accessibility statement
      // (decision 0038).
      for (const char* path :
           {"/funds", "/trends", "/bilan", R"(/bilan/[^/]+)", "/accessibilite"}) {
        routes.Get(path, page);
      }
      routes.Get(R"(/lot/[^/]+)", page);
      routes.Get(R"(/lot/[^/]+/penalties/[^/]+)", page);
      // The State's design system (decision 0044) lives in assets/dsfr/
      // with its fonts and icons in subfolders: paths of several segments,
      // none starting with a dot (no "..", no hidden file).
      routes.Get(R"(/assets/((?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*))",
                 [this](const http::Request& req, http::Response& res) {
                   const fs::path file = options_.web_dir / "assets" / req.matches[1];
                   if (!fs::is_regular_file(file)) {
                     res.status = 404;
                     return;
                   }
                   res.set_content(ReadFile(file), ContentType(file));
                 });
    }
    return server_.Bind();
  }

  absl::Status Serve() {
    Ticker catch_up(options_.catch_up, [this] {
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
    spdlog::info("pilotage-query listening on {}://{}:{} (data {})",
                 server_.tls() ? "https" : "http", options_.host, server_.port(),
                 options_.data_dir.string());
    return server_.Serve();
  }

  http::Server& server() { return server_; }

 private:
  static Params ParamsOf(const http::Request& req) {
    Params out;
    for (const auto& [k, v] : req.params) out[k] = v;
    return out;
  }

  json ReadinessJson(const Freshness& f, absl::Time now) const {
    const Coverage c = CompareCoverage(f.progress, f.end_offsets, options_.ready_max_lag);
    json reasons = json::array();
    if (!c.known) {
      reasons.push_back(
          options_.bootstrap.empty()
              ? "Kafka's end offsets are unknown: the service runs without --bootstrap"
              : "Kafka's end offsets are not known yet (no answer from Kafka)");
    }
    if (!c.missing.empty()) {
      reasons.push_back(fmt::format("the store does not hold {} partition(s) of the log: {}",
                                    c.missing.size(), fmt::join(c.missing, ", ")));
    }
    json lagging = json::array();
    for (const auto& l : c.lagging) {
      lagging.push_back({{"partition", l.partition}, {"lag", l.lag}});
      reasons.push_back(fmt::format("{} lags {} events (more than {})", l.partition, l.lag,
                                    options_.ready_max_lag));
    }
    return {{"ready", c.ready()},
            {"reasons", reasons},
            {"store", f.store},
            {"missing_partitions", c.missing},
            {"lagging_partitions", lagging},
            {"max_partition_lag", c.known ? json(c.max_partition_lag) : json(nullptr)},
            {"max_lag", options_.ready_max_lag},
            {"end_offsets_at", c.known ? json(Rfc3339(f.end_offsets_at)) : json(nullptr)},
            {"caught_up_at", Rfc3339(f.caught_up_at)},
            {"checked_at", Rfc3339(now)}};
  }

  absl::Status RefuseDecision(const Freshness& f) const {
    const Coverage c = CompareCoverage(f.progress, f.end_offsets, options_.ready_max_lag);
    if (!c.known) {
      return absl::UnavailableError(
          "cannot check that this store holds every partition of the log: Kafka's end offsets "
          "are not known (no --bootstrap, or no answer from Kafka yet); penalties and "
          "statements are not served without that check");
    }
    if (!c.missing.empty()) {
      return absl::UnavailableError(fmt::format(
          "this store does not hold every partition of the log (missing: {}): penalties and "
          "statements computed from it would be wrong; use another replica, or give this "
          "host's projector a consumer group of its own (docs/operations.md, section 13)",
          fmt::join(c.missing, ", ")));
    }
    return absl::OkStatus();
  }

  // A decision (penalties, statements: money) is refused from a store that
  // does not hold every partition of the log, or whose coverage cannot be
  // checked (decision 0029); other answers say it in their freshness.
  enum class Kind { kFigures, kDecision };

  void Route(const std::string& pattern, Handler handler, std::string endpoint = "",
             Kind kind = Kind::kFigures) {
    if (endpoint.empty()) endpoint = pattern;
    server_.routes().Get(pattern, [this, handler = std::move(handler), endpoint, kind](
                                      const http::Request& req, http::Response& res) {
      const auto who = Authenticate(req);
      Handle(req, res, handler, endpoint, kind, who);
      Audit(req, who, res.status);
    });
  }

  // POST /api/v1/session: trades a bearer token for a session cookie; `who`
  // is the token's principal when it is known (for the audit line).
  void OpenSession(const http::Request& req, http::Response& res,
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

  // A decision from the dashboard (decision 0037): checked on the current
  // view, written with the producer, answered 202 with its event id.
  void Decide(const http::Request& req, http::Response& res, DecisionKind kind) {
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
        if (auto refused = RefuseDecision(f); !refused.ok()) {
          return absl::UnavailableError(fmt::format(
              "décision refusée : la base de lecture ne contient pas tout le journal des "
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
        res.set_content(json{{"event_id", event_id},
                             {"already_recorded", true},
                             {"message", prepared->step.what}}
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
    const service::ScopedLogFields fields{
        {"audit", "decision"},   {"who", who ? who->id : std::string()},
        {"role", RoleName(who)}, {"path", req.path},
        {"status", status},      {"event_id", event_id}};
    spdlog::info("decision {}", req.path);
  }

  // A refused decision: the status of DecisionStatusToHttp, the message in
  // `error.message` and `error.detail` (French, shown to the user).
  int Refuse(http::Response& res, const std::string& endpoint, absl::Time start,
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

  // "pilot", "operator" or "none" (no known token), for audit lines.
  static const char* RoleName(const std::optional<access::Principal>& who) {
    if (!who) return "none";
    return who->role == access::Principal::Role::kPilot ? "pilot" : "operator";
  }

  // Every read of the API or of /metrics, answered or refused, as one
  // structured log line (who: the token's pilot_id or operator_id, "" when
  // no known token; what: path and parameters; when: the line's time);
  // `what` is "read", or "session"/"session-end" for the dashboard's
  // sign-in and sign-out.
  void Audit(const http::Request& req, const std::optional<access::Principal>& who, int status,
             std::string_view what = "read") {
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

  void Handle(const http::Request& req, http::Response& res, const Handler& handler,
              const std::string& endpoint, Kind kind, const std::optional<access::Principal>& who) {
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
        refused = RefuseDecision(f);
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
      if (auto refused = RefuseDecision(freshness); !refused.ok()) {
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

  // The answer for `key` on the current view (with that view's freshness),
  // remembered: computed once per generation and Paris day (single flight),
  // unless a computation of this generation already remembered it.
  absl::StatusOr<std::pair<std::shared_ptr<const Remembered>, Freshness>> Compute(
      const std::string& key, const Handler& handler, const access::Principal& who,
      const Call& call) {
    std::pair<std::shared_ptr<const Remembered>, Freshness> out;
    auto s = view_->Read([&](Generation& g, const Freshness& f) -> absl::Status {
      auto computing = g.KeyMutex(key);
      const absl::Status status = [&]() -> absl::Status {
        std::lock_guard once(*computing);
        const std::string day = absl::FormatTime("%Y-%m-%d", absl::Now(), domain::Paris());
        if (auto served = view_->Find(key); served &&
                                            served->answer->view->generation >= g.number() &&
                                            served->answer->day == day) {
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

  // Programs send the token (Bearer); the dashboard its session cookie.
  std::optional<access::Principal> Authenticate(const http::Request& req) {
    if (const std::optional<std::string> token = http::BearerToken(req)) {
      return tokens_.Find(*token);
    }
    if (auto id = CookieValue(req, kSessionCookie)) return sessions_.Find(*id, absl::Now());
    return std::nullopt;
  }

  void Answer(http::Response& res, const std::string& endpoint, absl::Time start,
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

  void Observe(const std::string& endpoint, int http, absl::Time start) {
    requests_->Add({{"endpoint", endpoint}, {"status", std::to_string(http)}}).Increment();
    latency_
        ->Add({{"endpoint", endpoint}},
              prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05, 0.1, 0.25, 0.5, 1, 2.5})
        .Observe(absl::ToDoubleSeconds(absl::Now() - start));
  }

  // The service's own metrics, then the business gauges of the current view
  // (a registry of their own, rebuilt at each scrape so that lots and
  // periods no longer shown leave no stale series).
  std::string MetricsText() {
    generation_->Set(static_cast<double>(view_->generation()));
    const AnswerCacheStats cache = view_->answer_cache();
    cache_bytes_->Set(static_cast<double>(cache.bytes));
    cache_entries_->Set(static_cast<double>(cache.entries));
    // Two scrapes at once each add only what the other has not counted.
    uint64_t before = counted_evictions_.load();
    while (cache.evictions > before &&
           !counted_evictions_.compare_exchange_weak(before, cache.evictions)) {
    }
    if (cache.evictions > before) {
      cache_evictions_->Increment(static_cast<double>(cache.evictions - before));
    }
    prometheus::Registry business;
    auto& kpi_value = prometheus::BuildGauge()
                          .Name("pilotage_kpi_value")
                          .Help("KPI value per lot for the current quarter (share 0-1 or count)")
                          .Register(business);
    auto& kpi_target = prometheus::BuildGauge()
                           .Name("pilotage_kpi_target")
                           .Help("KPI target per lot for the current quarter")
                           .Register(business);
    auto& penalties = prometheus::BuildGauge()
                          .Name("pilotage_penalties_euros")
                          .Help("Penalties of a lot by procedure state, all periods (euros)")
                          .Register(business);
    auto& fund_used = prometheus::BuildGauge()
                          .Name("pilotage_fund_usage_euros")
                          .Help(
                              "Paid in the lot's contract year up to the current quarter's "
                              "statement (euros)")
                          .Register(business);
    auto& fund_projected = prometheus::BuildGauge()
                               .Name("pilotage_fund_usage_projected_euros")
                               .Help("Linear projection of the contract year's fund usage (euros)")
                               .Register(business);
    auto& envelope = prometheus::BuildGauge()
                         .Name("pilotage_budget_envelope_euros")
                         .Help("The lot's budget envelope for the contract year (euros)")
                         .Register(business);
    auto s = view_->Read([&](Generation& g, const Freshness& f) {
      auto steering = SteeringGauges(g, clock_);
      if (!steering.ok()) return steering.status();
      for (const auto& sg : *steering) {
        for (const auto& [state, cents] : sg.penalties_cents) {
          penalties.Add({{"lot", sg.lot}, {"state", state}}).Set(static_cast<double>(cents) / 100);
        }
        if (!sg.has_statement) continue;
        const std::map<std::string, std::string> labels = {{"lot", sg.lot},
                                                           {"contract_year", sg.contract_year}};
        fund_used.Add(labels).Set(static_cast<double>(sg.cumulative_cents) / 100);
        fund_projected.Add(labels).Set(static_cast<double>(sg.projected_cents) / 100);
        envelope.Add(labels).Set(static_cast<double>(sg.envelope_cents) / 100);
      }
      auto lag = f.LagEvents();
      lag_->Set(lag ? static_cast<double>(*lag) : -1);
      catch_up_age_->Set(absl::ToDoubleSeconds(absl::Now() - f.caught_up_at));
      auto gauges = KpiGauges(g, clock_);
      if (!gauges.ok()) return gauges.status();
      for (const auto& k : *gauges) {
        const std::map<std::string, std::string> labels = {
            {"lot", k.lot}, {"kpi", k.kpi}, {"period", k.period}};
        if (k.measured) kpi_value.Add(labels).Set(k.value);
        kpi_target.Add(labels).Set(k.target);
      }
      return absl::OkStatus();
    });
    if (!s.ok()) spdlog::debug("query: business gauges: {}", s.ToString());
    return metrics::Serialize(*registry_) + metrics::Serialize(business);
  }

  QueryOptions options_;
  // --today, or the day of each answer.
  const Clock clock_{.fixed = options_.today};
  const access::AccessTable tokens_;
  Sessions sessions_;
  bool remove_secondary_ = false;
  std::unique_ptr<StoreView> view_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Gauge* generation_;
  prometheus::Gauge* lag_;
  prometheus::Gauge* catch_up_age_;
  prometheus::Gauge* cache_bytes_;
  prometheus::Gauge* cache_entries_;
  prometheus::Counter* cache_evictions_;
  std::atomic<uint64_t> counted_evictions_{0};
  // Writes decisions (with --bootstrap; set by Bind before anything is
  // served). Declared before the server: destroyed after it.
  std::unique_ptr<kafka::Producer> producer_;
  http::Server server_;
  Refresher refresher_;
  std::atomic<bool> warned_{false};
};

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
