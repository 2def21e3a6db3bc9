#include "pilotage/simulator/sinks.h"

#include <atomic>
#include <mutex>

#include "fmt/format.h"
#include "google/protobuf/util/json_util.h"
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
