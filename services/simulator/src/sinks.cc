#include "pilotage/simulator/sinks.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/kafka/kafka.h"

namespace pilotage::simulator {

absl::Status NdjsonSink::Send(const v1::Event& event) {
  line_.clear();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  const auto status = google::protobuf::util::MessageToJsonString(event, &line_, options);
  if (!status.ok()) {
    return absl::InternalError(
        fmt::format("ndjson: cannot print event {}: {}", event.event_id(), status.ToString()));
  }
  line_ += '\n';
  out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
  if (!*out_) return absl::UnavailableError("ndjson: write failed (disk full or closed pipe?)");
  return absl::OkStatus();
}

absl::Status NdjsonSink::Finish() {
  out_->flush();
  if (!*out_) return absl::UnavailableError("ndjson: flush failed (disk full or closed pipe?)");
  return absl::OkStatus();
}

class KafkaSink::Impl {
 public:
  KafkaSinkOptions options;
  std::string value;
  std::atomic<int64_t> acknowledged{0};
  std::atomic<int64_t> failed{0};
  std::mutex mu;
  absl::Status first_failure;  // guarded by mu
  // Last, so that it is destroyed (and calls its last callbacks) first.
  std::unique_ptr<kafka::Producer> producer;

  void OnDelivery(const kafka::Delivery& delivery) {
    if (delivery.status.ok()) {
      acknowledged.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (failed.fetch_add(1, std::memory_order_relaxed) == 0) {
      std::lock_guard lock(mu);
      first_failure = delivery.status;
    }
  }
};

absl::StatusOr<std::unique_ptr<KafkaSink>> KafkaSink::Create(const KafkaSinkOptions& options) {
  auto admin = kafka::Admin::Create(options.bootstrap);
  if (!admin.ok()) return admin.status();
  // Fails fast (broker down, no such topic) instead of queueing into the void.
  auto partitions = (*admin)->PartitionCount(options.topic);
  if (!partitions.ok()) {
    return absl::Status(partitions.status().code(),
                        fmt::format("kafka sink: topic {} on {}: {}", options.topic,
                                    options.bootstrap, std::string(partitions.status().message())));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto producer = kafka::Producer::Create(
      {.bootstrap = options.bootstrap, .client_id = "pilotage-simulator", .linger_ms = 20});
  if (!producer.ok()) return producer.status();
  impl->producer = std::move(*producer);
  return std::unique_ptr<KafkaSink>(new KafkaSink(std::move(impl)));
}

KafkaSink::KafkaSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaSink::~KafkaSink() = default;

absl::Status KafkaSink::Send(const v1::Event& event) {
  impl_->value.clear();
  if (!event.SerializeToString(&impl_->value)) {
    return absl::InternalError(
        fmt::format("kafka sink: cannot serialise event {}", event.event_id()));
  }
  Impl* impl = impl_.get();
  return impl->producer->Send(
      {.topic = impl->options.topic, .key = event.lot_id(), .value = impl->value},
      [impl](const kafka::Delivery& delivery) { impl->OnDelivery(delivery); });
}

absl::Status KafkaSink::Finish() {
  if (absl::Status s = impl_->producer->Flush(impl_->options.flush_timeout); !s.ok()) return s;
  const int64_t failed = impl_->failed.load();
  if (failed > 0) {
    std::lock_guard lock(impl_->mu);
    return absl::UnavailableError(
        fmt::format("kafka sink: {} of {} messages to {} failed; first failure: {}", failed,
                    failed + impl_->acknowledged.load(), impl_->options.topic,
                    impl_->first_failure.ToString()));
  }
  return absl::OkStatus();
}

int64_t KafkaSink::acknowledged() const { return impl_->acknowledged.load(); }
int64_t KafkaSink::failed() const { return impl_->failed.load(); }

}  // namespace pilotage::simulator

namespace pilotage::simulator {

class GatewaySink::Impl {
 public:
  struct Pending {
    v1::EventBatch batch;
    int64_t last_recorded_at = 0;
    std::string day;  // Europe/Paris day of the buffered events' recorded_at
  };

  GatewaySinkOptions options;
  std::unique_ptr<httplib::Client> client;
  std::map<std::string, Pending> pending;  // by operator
  absl::TimeZone paris;
  int64_t accepted = 0;
  int64_t refused = 0;
  int64_t requests = 0;
  std::map<std::string, int64_t> refusals;
  std::string body;

  std::string Token(const std::string& operator_id) const {
    std::string token = options.token_template;
    if (auto at = token.find("{operator}"); at != std::string::npos) {
      token.replace(at, std::string_view("{operator}").size(), operator_id);
    }
    return token;
  }

  absl::Status Flush(const std::string& operator_id, Pending& p) {
    if (p.batch.events_size() == 0) return absl::OkStatus();
    body.clear();
    if (!p.batch.SerializeToString(&body)) {
      return absl::InternalError("gateway sink: cannot serialise a batch");
    }
    httplib::Headers headers{{"Authorization", "Bearer " + Token(operator_id)}};
    if (options.replay_clock) {
      headers.emplace("X-Pilotage-Replay-Time",
                      absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(p.last_recorded_at),
                                       absl::UTCTimeZone()));
    }
    for (int attempt = 0;; ++attempt) {
      ++requests;
      auto res = client->Post("/v1/events", headers, body, "application/x-protobuf");
      if (!res) {
        return absl::UnavailableError(
            fmt::format("gateway {}: {}", options.url, httplib::to_string(res.error())));
      }
      if (res->status == 429 || res->status == 503) {
        if (attempt >= options.max_retries) {
          return absl::UnavailableError(fmt::format("gateway {}: still {} after {} retries: {}",
                                                    options.url, res->status, attempt, res->body));
        }
        int wait_s = 1;
        if (res->has_header("Retry-After")) {
          wait_s = std::clamp(std::atoi(res->get_header_value("Retry-After").c_str()), 1, 60);
        }
        // Backing off as the gateway asks (not a synchronisation).
        std::this_thread::sleep_for(std::chrono::seconds(wait_s));
        continue;
      }
      if (res->status != 200 && res->status != 207 && res->status != 400) {
        return absl::FailedPreconditionError(
            fmt::format("gateway {} refused operator {}'s request: HTTP {}: {}", options.url,
                        operator_id, res->status, res->body.substr(0, 500)));
      }
      auto answer = nlohmann::json::parse(res->body, nullptr, false);
      if (answer.is_discarded() || !answer.contains("events")) {
        return absl::FailedPreconditionError(fmt::format("gateway {}: HTTP {} for operator {}: {}",
                                                         options.url, res->status, operator_id,
                                                         res->body.substr(0, 500)));
      }
      for (const auto& e : answer["events"]) {
        if (e.value("status", "") == "accepted") {
          ++accepted;
        } else {
          ++refused;
          ++refusals[e["error"].value("code", "UNKNOWN")];
        }
      }
      break;
    }
    p.batch.clear_events();
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<GatewaySink>> GatewaySink::Create(
    const GatewaySinkOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.batch_events < 1) {
    return absl::InvalidArgumentError("gateway sink: batch_events must be at least 1");
  }
  if (options.token_template.empty()) {
    return absl::InvalidArgumentError(
        "--to-gateway needs --token-template (the operators' bearer token, {operator} standing "
        "for the operator id; scripts/demo-tokens makes one for a local demonstration)");
  }
  absl::StatusOr<absl::TimeZone> paris = domain::ParisTimeZone();
  if (!paris.ok()) return paris.status();
  impl->paris = *paris;
  impl->client = std::make_unique<httplib::Client>(options.url);
  if (!impl->client->is_valid()) {
    return absl::InvalidArgumentError(
        fmt::format("--to-gateway '{}': not a URL such as http://127.0.0.1:8080", options.url));
  }
  impl->client->set_read_timeout(120, 0);
  auto health = impl->client->Get("/healthz");
  if (!health || health->status != 200) {
    return absl::UnavailableError(fmt::format(
        "gateway {} does not answer GET /healthz ({})", options.url,
        health ? fmt::format("HTTP {}", health->status) : httplib::to_string(health.error())));
  }
  return std::unique_ptr<GatewaySink>(new GatewaySink(std::move(impl)));
}

GatewaySink::GatewaySink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GatewaySink::~GatewaySink() = default;

absl::Status GatewaySink::Send(const v1::Event& event) {
  auto& p = impl_->pending[event.operator_id()];
  if (impl_->options.replay_clock) {
    const std::string day = absl::FormatTime(
        "%Y-%m-%d", absl::FromUnixSeconds(event.recorded_at().seconds()), impl_->paris);
    if (day != p.day) {
      if (auto s = impl_->Flush(event.operator_id(), p); !s.ok()) return s;
      p.day = day;
    }
    p.last_recorded_at = std::max(p.last_recorded_at, event.recorded_at().seconds());
  }
  *p.batch.add_events() = event;
  if (p.batch.events_size() >= impl_->options.batch_events) {
    return impl_->Flush(event.operator_id(), p);
  }
  return absl::OkStatus();
}

absl::Status GatewaySink::Finish() {
  for (auto& [op, p] : impl_->pending) {
    if (auto s = impl_->Flush(op, p); !s.ok()) return s;
  }
  return absl::OkStatus();
}

int64_t GatewaySink::accepted() const { return impl_->accepted; }
int64_t GatewaySink::refused() const { return impl_->refused; }
int64_t GatewaySink::requests() const { return impl_->requests; }

std::string GatewaySink::RefusalsByReason() const {
  std::string out;
  for (const auto& [code, n] : impl_->refusals) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}: {}", code, n);
  }
  return out;
}

}  // namespace pilotage::simulator
