#include "pilotage/ingest/gateway.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "pilotage/http/server.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/metrics/metrics.h"
#include "pilotage/service/logging.h"

namespace pilotage::ingest {
namespace {

using nlohmann::json;

constexpr char kReplayTimeHeader[] = "X-Pilotage-Replay-Time";

// An unavailable event's message: an outage, or a refusal that lasts until an
// operator fixes the gateway's Kafka principal.
constexpr char kNotAcknowledged[] = "Kafka did not acknowledge this event: send it again";
constexpr char kPrincipalRefused[] =
    "Kafka refused the gateway's writes (its principal's ACLs or credentials): the gateway "
    "needs its operator, not a retry; keep this event and send it again once they have fixed it";

// A JSON string literal (the strings are ours or validated UTF-8).
std::string Quote(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Whether a refused event's id may be echoed (in the answer, to the rejected
// topic): not when the id itself is at fault, except when it is only repeated
// (it passed the guard and the format rule).
bool EventIdEchoable(const intake::Refusal& refusal) {
  if (refusal.code == intake::RefusalCode::kConflictingEventId) return true;
  return refusal.code != intake::RefusalCode::kPersonalData &&
         refusal.field.find(".event_id") == std::string::npos;
}

json ErrorBody(intake::RefusalCode code, std::string_view field, std::string_view message) {
  return json{
      {"error", {{"code", intake::CodeName(code)}, {"field", field}, {"message", message}}}};
}

// A token bucket in events, refilled continuously.
class TokenBucket {
 public:
  explicit TokenBucket(RateLimit rate) : rate_(rate), tokens_(rate.burst) {}

  // Takes `cost` events (at most the burst: a larger batch is refused before)
  // or answers how many seconds to wait.
  std::optional<int> Take(double cost, std::chrono::steady_clock::time_point now) {
    std::lock_guard lock(mutex_);
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(rate_.burst, tokens_ + elapsed * rate_.events_per_s);
    if (tokens_ >= cost) {
      tokens_ -= cost;
      return std::nullopt;
    }
    return static_cast<int>(std::ceil((cost - tokens_) / rate_.events_per_s));
  }

 private:
  std::mutex mutex_;
  RateLimit rate_;
  double tokens_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The HTTP limits, with the body limit of the validation options.
http::Limits HttpLimits(const GatewayOptions& options) {
  http::Limits limits = options.http_limits;
  limits.max_body_bytes = options.validation.limits.max_body_bytes;
  return limits;
}

}  // namespace

class Gateway::Impl {
 public:
  Impl(GatewayOptions options, GatewayConfig config)
      : options_(std::move(options)),
        config_(std::move(config)),
        server_(http::ServerOptions{.host = options_.host,
                                    .port = options_.port,
                                    .threads = options_.threads,
                                    .io_threads = options_.io_threads,
                                    .limits = HttpLimits(options_),
                                    .tls = options_.tls}) {}

  absl::Status Init() {
    kafka::ProducerOptions po;
    po.bootstrap = options_.bootstrap;
    po.client_id = "pilotage-ingest";
    po.delivery_timeout = options_.delivery_timeout;
    po.enqueue_timeout = options_.delivery_timeout;
    auto producer = kafka::Producer::Create(po);
    if (!producer.ok()) return producer.status();
    producer_ = std::move(*producer);
    for (const auto& [id, op] : config_.operators) {
      buckets_.emplace(id, std::make_unique<TokenBucket>(op.rate));
    }
    registry_ = std::make_shared<prometheus::Registry>();
    requests_ = &prometheus::BuildCounter()
                     .Name("pilotage_ingest_requests_total")
                     .Help("HTTP requests to POST /v1/events, by status")
                     .Register(*registry_);
    events_ = &prometheus::BuildCounter()
                   .Name("pilotage_ingest_events_total")
                   .Help(
                       "Events by operator and outcome (accepted, repeated: accepted as an "
                       "identical copy of an event of the same request, not written again; "
                       "refused, unavailable)")
                   .Register(*registry_);
    refusals_ = &prometheus::BuildCounter()
                     .Name("pilotage_ingest_refusals_total")
                     .Help("Refused events or requests by operator and reason code")
                     .Register(*registry_);
    rejected_write_failures_ = &prometheus::BuildCounter()
                                    .Name("pilotage_ingest_rejection_write_failures_total")
                                    .Help(
                                        "Refusals that could not be written to the rejected "
                                        "topic")
                                    .Register(*registry_)
                                    .Add({});
    request_duration_ = &prometheus::BuildHistogram()
                             .Name("pilotage_ingest_request_duration_seconds")
                             .Help("Time to handle POST /v1/events once its body is read")
                             .Register(*registry_)
                             .Add({}, metrics::ExponentialBuckets(0.001, 2.5, 12));
    delivery_duration_ = &prometheus::BuildHistogram()
                              .Name("pilotage_ingest_kafka_delivery_duration_seconds")
                              .Help("Time for Kafka to acknowledge (or fail) a request's events")
                              .Register(*registry_)
                              .Add({}, metrics::ExponentialBuckets(0.001, 2.5, 12));
    in_flight_ = &prometheus::BuildGauge()
                      .Name("pilotage_ingest_requests_in_flight")
                      .Help("POST /v1/events requests being handled")
                      .Register(*registry_)
                      .Add({});

    http::Routes& routes = server_.routes();
    // The server refuses an oversized body before any handler: the answer
    // is rewritten here, and the refusal recorded when the token is good.
    routes.SetErrorHandler([this](const http::Request& req, http::Response& res) {
      if (res.status == 413 && res.body.empty()) {
        const intake::Refusal refusal{intake::RefusalCode::kBodyTooLarge, "",
                                      fmt::format("body larger than the limit max_body_bytes={}",
                                                  options_.validation.limits.max_body_bytes)};
        SetJson(res, 413, ErrorBody(refusal.code, refusal.field, refusal.message));
        if (const OperatorConfig* op = Known(req); op != nullptr) {
          WriteRejection(op->sender.operator_id, nullptr, refusal, absl::Now());
        }
        requests_->Add({{"status", "413"}}).Increment();
      } else if (res.body.empty()) {
        SetJson(
            res, res.status,
            ErrorBody(res.status == 404 ? intake::RefusalCode::kNotFound
                                        : intake::RefusalCode::kHttpError,
                      "",
                      res.reason.empty() ? fmt::format("HTTP status {}", res.status) : res.reason));
      }
    });
    // A body is read only for a known token: an unauthenticated client
    // cannot make the gateway hold max_body_bytes per connection.
    routes.SetBodyGate([this](const http::Request& req, http::Response& res) {
      if (req.method != "POST" || req.path != "/v1/events") return true;
      if (Known(req) != nullptr) return true;
      Authenticate(req, res);
      requests_->Add({{"status", std::to_string(res.status)}}).Increment();
      return false;
    });
    routes.Post("/v1/events", [this](const http::Request& req, http::Response& res) {
      in_flight_->Increment();
      const auto start = std::chrono::steady_clock::now();
      HandleEvents(req, res);
      request_duration_->Observe(SecondsSince(start));
      in_flight_->Decrement();
      requests_->Add({{"status", std::to_string(res.status)}}).Increment();
    });
    routes.Get("/healthz", [](const http::Request&, http::Response& res) {
      res.set_content("{\"status\":\"ok\"}", "application/json");
    });
    routes.Get("/metrics", [this](const http::Request&, http::Response& res) {
      res.set_content(metrics::Serialize(*registry_), metrics::kTextContentType);
    });
    return server_.Bind();
  }

  absl::Status Serve() {
    spdlog::info("pilotage-ingest listening on {}://{}:{}", server_.tls() ? "https" : "http",
                 options_.host, server_.port());
    return server_.Serve();
  }

  http::Server& server() { return server_; }

 private:
  static void SetJson(http::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }

  // The request's "now": the replay time when the replay clock is on and the
  // request carries one, else the wall clock.
  absl::StatusOr<absl::Time> Now(const http::Request& req) const {
    if (!options_.replay_clock || !req.has_header(kReplayTimeHeader)) return absl::Now();
    const std::string value = req.header(kReplayTimeHeader);
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, value, &t, &error)) {
      return absl::InvalidArgumentError(
          fmt::format("'{}' is not an RFC 3339 time such as 2024-03-05T09:30:00Z", value));
    }
    return t;
  }

  // Refusals of a whole request are counted, not written: they carry no event.
  void CountRefusal(const std::string& operator_id, intake::RefusalCode code) {
    refusals_->Add({{"operator", operator_id}, {"reason", std::string(intake::CodeName(code))}})
        .Increment();
  }

  // The operator of the request's bearer token, if it is known and not revoked.
  const OperatorConfig* Known(const http::Request& req) const {
    const std::optional<std::string> token = http::BearerToken(req);
    if (!token) return nullptr;
    auto it = config_.token_hashes.find(TokenHash(*token));
    if (it == config_.token_hashes.end()) return nullptr;
    const auto& op = config_.operators.at(it->second);
    return op.revoked ? nullptr : &op;
  }

  const OperatorConfig* Authenticate(const http::Request& req, http::Response& res) {
    const OperatorConfig* op = Known(req);
    if (op == nullptr) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"pilotage\"");
      SetJson(res, 401,
              ErrorBody(intake::RefusalCode::kUnauthenticated, "Authorization",
                        "send 'Authorization: Bearer <token>' with a valid, unrevoked token"));
      CountRefusal("unknown", intake::RefusalCode::kUnauthenticated);
    }
    return op;
  }

  void HandleEvents(const http::Request& req, http::Response& res) {
    const OperatorConfig* op = Authenticate(req, res);
    if (op == nullptr) return;
    const std::string& operator_id = op->sender.operator_id;
    service::ScopedLogFields log_fields({{"operator", operator_id}});
    auto format = intake::FormatFromContentType(req.header("Content-Type"));
    if (!format.ok()) {
      SetJson(res, 415,
              ErrorBody(intake::RefusalCode::kUnsupportedMediaType, "Content-Type",
                        std::string(format.status().message())));
      WriteRejection(operator_id, nullptr,
                     intake::Refusal{intake::RefusalCode::kUnsupportedMediaType, "Content-Type",
                                     std::string(format.status().message())},
                     absl::Now());
      return;
    }
    auto clock = Now(req);
    if (!clock.ok()) {
      SetJson(res, 400,
              ErrorBody(intake::RefusalCode::kBadReplayTime, std::string(kReplayTimeHeader),
                        std::string(clock.status().message())));
      CountRefusal(operator_id, intake::RefusalCode::kBadReplayTime);
      return;
    }
    const absl::Time now = *clock;
    intake::Decoded decoded =
        intake::Review(req.body, *format, op->sender, config_.lots, now, options_.validation);
    if (decoded.request_refusal) {
      const auto& r = *decoded.request_refusal;
      const int status = r.code == intake::RefusalCode::kBodyTooLarge ||
                                 r.code == intake::RefusalCode::kBatchTooLarge
                             ? 413
                             : 400;
      SetJson(res, status, ErrorBody(r.code, r.field, r.message));
      WriteRejection(operator_id, nullptr, r, now);
      return;
    }
    // A batch larger than the burst could never pass: charging it at the
    // burst would let an operator send more than its rate allows.
    const double cost = static_cast<double>(decoded.items.size());
    if (cost > op->rate.burst) {
      const intake::Refusal refusal{
          intake::RefusalCode::kBatchOverBurst, "",
          fmt::format("a batch of {} events is larger than the operator's burst of {} events: "
                      "send batches of at most {} events",
                      decoded.items.size(), op->rate.burst,
                      static_cast<size_t>(std::floor(op->rate.burst)))};
      SetJson(res, 413, ErrorBody(refusal.code, refusal.field, refusal.message));
      WriteRejection(operator_id, nullptr, refusal, now);
      return;
    }
    if (auto wait = buckets_.at(operator_id)->Take(cost, std::chrono::steady_clock::now())) {
      res.set_header("Retry-After", std::to_string(std::max(1, *wait)));
      SetJson(res, 429,
              ErrorBody(intake::RefusalCode::kRateLimited, "",
                        fmt::format("over the operator's rate limit of {} events/s (burst {})",
                                    op->rate.events_per_s, op->rate.burst)));
      CountRefusal(operator_id, intake::RefusalCode::kRateLimited);
      return;
    }

    // Serialize the valid events and write them; refusals go to the rejected topic.
    const size_t n = decoded.items.size();
    std::vector<std::string> values;
    std::vector<kafka::Record> records;
    std::vector<size_t> record_item;
    values.reserve(n);
    records.reserve(n);
    size_t refused = 0;
    bool forbidden = false;
    for (size_t i = 0; i < n; ++i) {
      auto& item = decoded.items[i];
      if (item.refusal) {
        ++refused;
        forbidden = forbidden || item.refusal->code == intake::RefusalCode::kLotNotAllowed ||
                    item.refusal->code == intake::RefusalCode::kOperatorMismatch ||
                    item.refusal->code == intake::RefusalCode::kEventTypeNotAllowed;
        WriteRejection(operator_id, &item.event, *item.refusal, now);
        continue;
      }
      if (item.repeat_of) continue;  // written once, with its first copy
      values.push_back(item.event.SerializeAsString());
      records.push_back(kafka::Record{options_.activity_topic, item.event.lot_id(), values.back()});
      record_item.push_back(i);
    }
    std::vector<kafka::Delivery> deliveries;
    if (!records.empty()) {
      const auto sent = std::chrono::steady_clock::now();
      deliveries = producer_->SendAll(records);
      delivery_duration_->Observe(SecondsSince(sent));
    }

    // The answer is written directly (a 500-event answer through a JSON DOM
    // costs as much as decoding the request).
    std::string outcomes;
    outcomes.reserve(n * 64);
    size_t accepted = 0, unavailable = 0, repeated = 0;
    // The broker refusing the gateway's principal (ACLs, credentials) does not
    // heal by waiting: no Retry-After, and the answer and log say so.
    const bool principal_refused =
        std::any_of(deliveries.begin(), deliveries.end(), [](const kafka::Delivery& d) {
          return absl::IsPermissionDenied(d.status) || absl::IsUnauthenticated(d.status);
        });
    size_t next_record = 0;
    // item index -> whether Kafka acknowledged it (repeats answer as their first copy)
    std::vector<bool> delivered(n, false);
    for (size_t i = 0; i < n; ++i) {
      const auto& item = decoded.items[i];
      if (i > 0) outcomes += ',';
      if (item.refusal) {
        // The sender's event id, when it was not at fault, helps them find the event.
        fmt::format_to(std::back_inserter(outcomes),
                       R"({{"index":{},"event_id":{},"status":"refused","error":{{"code":{},)"
                       R"("field":{},"message":{}}}}})",
                       i, Quote(EventIdEchoable(*item.refusal) ? item.event.event_id() : ""),
                       Quote(intake::CodeName(item.refusal->code)), Quote(item.refusal->field),
                       Quote(item.refusal->message));
        continue;
      }
      delivered[i] =
          item.repeat_of ? delivered[*item.repeat_of] : deliveries[next_record++].status.ok();
      if (delivered[i]) {
        ++accepted;
        if (item.repeat_of) {
          ++repeated;
          fmt::format_to(std::back_inserter(outcomes),
                         R"({{"index":{},"event_id":{},"status":"accepted","repeat_of":{}}})", i,
                         Quote(item.event.event_id()), *item.repeat_of);
        } else {
          fmt::format_to(std::back_inserter(outcomes),
                         R"({{"index":{},"event_id":{},"status":"accepted"}})", i,
                         Quote(item.event.event_id()));
        }
      } else {
        ++unavailable;
        fmt::format_to(std::back_inserter(outcomes),
                       R"({{"index":{},"event_id":{},"status":"unavailable","error":)"
                       R"({{"code":{},"field":"","message":{}}}}})",
                       i, Quote(item.event.event_id()),
                       Quote(intake::CodeName(intake::RefusalCode::kUnavailable)),
                       Quote(principal_refused ? kPrincipalRefused : kNotAcknowledged));
      }
    }
    events_->Add({{"operator", operator_id}, {"outcome", "accepted"}})
        .Increment(accepted - repeated);
    if (repeated > 0) {
      events_->Add({{"operator", operator_id}, {"outcome", "repeated"}}).Increment(repeated);
    }
    events_->Add({{"operator", operator_id}, {"outcome", "refused"}}).Increment(refused);
    if (unavailable > 0) {
      events_->Add({{"operator", operator_id}, {"outcome", "unavailable"}}).Increment(unavailable);
      if (principal_refused) {
        spdlog::error(
            "operator {}: Kafka refused the gateway's principal for {} of {} events, which "
            "waiting will not mend: fix the ACLs or the credentials of --kafka-config: {}",
            operator_id, unavailable, n, FirstError(deliveries));
      } else {
        spdlog::warn("operator {}: Kafka did not acknowledge {} of {} events: {}", operator_id,
                     unavailable, n, deliveries.empty() ? "" : FirstError(deliveries));
      }
    }
    int status = 200;
    if (unavailable > 0) {
      status = 503;
      if (!principal_refused) {
        res.set_header("Retry-After", std::to_string(options_.retry_after_s));
      }
    } else if (accepted == 0) {
      status = forbidden ? 403 : 400;
    } else if (refused > 0) {
      status = 207;
    }
    res.status = status;
    res.set_content(fmt::format(R"({{"accepted":{},"refused":{},"unavailable":{},"events":[{}]}})",
                                accepted, refused, unavailable, outcomes),
                    "application/json");
  }

  static double SecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  static std::string FirstError(const std::vector<kafka::Delivery>& deliveries) {
    for (const auto& d : deliveries) {
      if (!d.status.ok()) return d.status.ToString();
    }
    return "";
  }

  // Counts a refusal and writes it, redacted, to the rejected topic without
  // waiting. `event` is null for a refusal of the whole request.
  void WriteRejection(const std::string& operator_id, const pilotage::v1::Event* event,
                      const intake::Refusal& refusal, absl::Time now) {
    CountRefusal(operator_id, refusal.code);
    spdlog::debug("operator {}: refused {} at {}", operator_id, intake::CodeName(refusal.code),
                  refusal.field);
    pilotage::v1::Rejection rejection;
    rejection.set_operator_id(operator_id);
    // Ids are echoed only when they were not at fault and passed the guard.
    const bool values_safe = refusal.code != intake::RefusalCode::kPersonalData &&
                             refusal.code != intake::RefusalCode::kStringTooLong &&
                             refusal.code != intake::RefusalCode::kBadFormat;
    if (event != nullptr && values_safe) {
      if (EventIdEchoable(refusal)) rejection.set_event_id(event->event_id());
      if (refusal.field.find(".lot_id") == std::string::npos) {
        rejection.set_lot_id(event->lot_id());
      }
    } else if (event != nullptr && config_.lots.contract_start.contains(event->lot_id())) {
      // A lot of the configuration is no refused value (it cannot hold
      // personal data): the quality page counts the refusal under its lot
      // (decision 0045).
      rejection.set_lot_id(event->lot_id());
    }
    rejection.set_reason(std::string(intake::CodeName(refusal.code)));
    rejection.set_field(refusal.field);
    rejection.set_message(refusal.message);
    rejection.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(now));
    auto value = std::make_shared<std::string>(rejection.SerializeAsString());
    auto key = std::make_shared<std::string>(operator_id);
    auto s = producer_->Send(kafka::Record{options_.rejected_topic, *key, *value},
                             [this, key, value](const kafka::Delivery& d) {
                               if (!d.status.ok()) rejected_write_failures_->Increment();
                             });
    if (!s.ok()) rejected_write_failures_->Increment();
  }

  GatewayOptions options_;
  GatewayConfig config_;
  std::unique_ptr<kafka::Producer> producer_;
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Counter>* events_ = nullptr;
  prometheus::Family<prometheus::Counter>* refusals_ = nullptr;
  prometheus::Counter* rejected_write_failures_ = nullptr;
  prometheus::Histogram* request_duration_ = nullptr;
  prometheus::Histogram* delivery_duration_ = nullptr;
  prometheus::Gauge* in_flight_ = nullptr;
  http::Server server_;
};

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options,
                                                         GatewayConfig config) {
  if (options.bootstrap.empty()) {
    return absl::InvalidArgumentError("no Kafka: give --bootstrap or PILOTAGE_KAFKA_BOOTSTRAP");
  }
  if (options.threads < 1) return absl::InvalidArgumentError("--threads must be at least 1");
  if (options.replay_clock && options.host != "127.0.0.1" && options.host != "localhost" &&
      options.host != "::1") {
    return absl::InvalidArgumentError(fmt::format(
        "--replay-clock trusts the sender's clock: only for a demonstration on a loopback "
        "address, not on '{}'",
        options.host));
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(config));
  if (auto s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;
int Gateway::port() const { return impl_->server().port(); }
absl::Status Gateway::Serve() { return impl_->Serve(); }
void Gateway::Stop() { impl_->server().Stop(); }
absl::Status Gateway::ReloadTls() { return impl_->server().ReloadTls(); }

}  // namespace pilotage::ingest
