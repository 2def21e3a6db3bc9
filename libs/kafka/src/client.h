#pragma once
// What the clients of libs/kafka share (private to the library): owning
// handles for librdkafka objects, client creation with the process's
// connection settings, librdkafka's logs and errors routed to spdlog, and the
// producers' topic handle cache.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pilotage::kafka::internal {

using Clock = std::chrono::steady_clock;

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using EventHandle = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

// A duration as librdkafka's int milliseconds.
inline int Millis(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// A configuration holding the process's connection settings (ClientConfig),
// then `settings` (which win), with librdkafka's log lines sent to spdlog.
// kInvalidArgument naming the setting librdkafka refuses.
[[nodiscard]] absl::StatusOr<ConfHandle> MakeConf(
    const std::map<std::string, std::string>& settings);

// A client of `type` owning `conf`. kInvalidArgument with librdkafka's reason.
[[nodiscard]] absl::StatusOr<KafkaHandle> MakeClient(rd_kafka_type_t type, ConfHandle conf);

// librdkafka's error callback (rd_kafka_conf_set_error_cb): logs a warning.
void LogClientError(rd_kafka_t* rk, int err, const char* reason, void* opaque);

using DeliveryReport = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void*);

// A producer client: `settings`, then `extra` (which wins); delivery reports
// go to `on_delivery`, client errors to the log.
[[nodiscard]] absl::StatusOr<KafkaHandle> MakeProducer(
    std::map<std::string, std::string> settings, const std::map<std::string, std::string>& extra,
    DeliveryReport on_delivery);

// Topic handles by name, created on first use. Thread-safe. Clear() before
// the client is destroyed.
class TopicCache {
 public:
  rd_kafka_topic_t* Get(rd_kafka_t* rk, std::string_view name);
  void Clear();

 private:
  std::mutex mu_;
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;
};

// The end of a producer's life: fails what is still queued or in flight
// (after whatever flushing the caller chose to do), serves the delivery
// reports of `rk` so that every callback has run exactly once, then clears
// `topics`. Call it with no other thread polling `rk`, before destroying it.
void PurgeAndServeReports(rd_kafka_t* rk, TopicCache& topics);

}  // namespace pilotage::kafka::internal
