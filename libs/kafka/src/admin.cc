#include "pilotage/kafka/admin.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client.h"
#include "errors.h"
#include "fmt/format.h"

namespace pilotage::kafka {

using internal::Clock;
using internal::EventHandle;
using internal::KafkaHandle;
using internal::LogClientError;
using internal::MakeClient;
using internal::MakeConf;
using internal::Millis;
using internal::QueueHandle;

namespace {

// The result of the admin request sent to `queue`, waited for at most
// `timeout`: kUnavailable when none came, the request's error if it failed.
absl::StatusOr<EventHandle> AwaitResult(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout,
                                        std::string_view context) {
  EventHandle event(rd_kafka_queue_poll(queue, Millis(timeout)));
  if (!event) return absl::UnavailableError(fmt::format("kafka: {}: timed out", context));
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaError(rd_kafka_event_error(event.get()), context);
  }
  return event;
}

}  // namespace

class Admin::Impl {
 public:
  explicit Impl(KafkaHandle rk) : rk_(std::move(rk)) {}

  absl::Status CreateTopic(std::string_view topic, int partitions,
                           const std::map<std::string, std::string>& configs,
                           std::chrono::milliseconds timeout) {
    std::string name(topic);
    const std::string context = fmt::format("create topic {}", name);
    char errstr[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
        name.c_str(), partitions, /*replication_factor=*/1, errstr, sizeof errstr);
    if (nt == nullptr)
      return absl::InvalidArgumentError(fmt::format("kafka: {}: {}", context, errstr));
    for (const auto& [k, v] : configs) {
      absl::Status s = FromKafkaError(rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str()),
                                      fmt::format("{} setting {}={}", context, k, v));
      if (!s.ok()) {
        rd_kafka_NewTopic_destroy(nt);
        return s;
      }
    }
    QueueHandle queue(rd_kafka_queue_new(rk_.get()));
    rd_kafka_CreateTopics(rk_.get(), &nt, 1, nullptr, queue.get());
    rd_kafka_NewTopic_destroy(nt);
    auto event = AwaitResult(queue.get(), timeout, context);
    if (!event.ok()) return event.status();
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event->get()), &count);
    for (size_t i = 0; i < count; ++i) {
      if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return FromKafkaError(rd_kafka_topic_result_error(results[i]), context);
      }
    }
    // Wait (bounded) until every partition has a leader, so that a producer
    // started right after does not see an unknown topic.
    const auto deadline = Clock::now() + timeout;
    while (true) {
      auto ready = LeadersKnown(name, partitions);
      if (ready.ok() && *ready) return absl::OkStatus();
      if (Clock::now() >= deadline) {
        return absl::UnavailableError(
            fmt::format("kafka: {}: created but no leaders after {} ms", context, timeout.count()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  absl::StatusOr<int> PartitionCount(std::string_view topic, std::chrono::milliseconds timeout) {
    std::string name(topic);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt, &md, Millis(timeout));
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(err, fmt::format("metadata of {}", name));
    }
    absl::StatusOr<int> result = absl::NotFoundError(fmt::format("kafka: no topic {}", name));
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (name != md->topics[i].topic) continue;
      if (md->topics[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result = FromKafkaError(md->topics[i].err, fmt::format("metadata of {}", name));
      } else {
        result = md->topics[i].partition_cnt;
      }
    }
    rd_kafka_metadata_destroy(md);
    return result;
  }

  absl::StatusOr<std::string> TopicConfig(std::string_view topic, std::string_view name,
                                          std::chrono::milliseconds timeout) {
    const std::string topic_name(topic);
    const std::string context = fmt::format("describe config of topic {}", topic_name);
    rd_kafka_ConfigResource_t* resource =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic_name.c_str());
    QueueHandle queue(rd_kafka_queue_new(rk_.get()));
    rd_kafka_DescribeConfigs(rk_.get(), &resource, 1, nullptr, queue.get());
    rd_kafka_ConfigResource_destroy(resource);
    auto event = AwaitResult(queue.get(), timeout, context);
    if (!event.ok()) return event.status();
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event->get()), &count);
    for (size_t i = 0; i < count; ++i) {
      if (rd_kafka_ConfigResource_error(resources[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return FromKafkaError(rd_kafka_ConfigResource_error(resources[i]), context);
      }
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** configs =
          rd_kafka_ConfigResource_configs(resources[i], &entries);
      for (size_t j = 0; j < entries; ++j) {
        if (name == rd_kafka_ConfigEntry_name(configs[j])) {
          const char* value = rd_kafka_ConfigEntry_value(configs[j]);
          return std::string(value ? value : "");
        }
      }
    }
    return absl::NotFoundError(fmt::format("kafka: {}: no setting {}", context, name));
  }

  absl::StatusOr<Watermarks> QueryWatermarks(const TopicPartition& tp,
                                             std::chrono::milliseconds timeout) {
    Watermarks w;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk_.get(), tp.topic.c_str(), tp.partition, &w.low, &w.high, Millis(timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(err, fmt::format("watermarks of {}", tp.ToString()));
    }
    return w;
  }

 private:
  absl::StatusOr<bool> LeadersKnown(const std::string& name, int partitions) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), name.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt, &md, 5000);
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return FromKafkaError(err, "metadata");
    bool ready = false;
    for (int i = 0; i < md->topic_cnt; ++i) {
      const auto& t = md->topics[i];
      if (name != t.topic || t.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      ready = t.partition_cnt == partitions;
      for (int p = 0; p < t.partition_cnt; ++p) ready = ready && t.partitions[p].leader >= 0;
    }
    rd_kafka_metadata_destroy(md);
    return ready;
  }

  KafkaHandle rk_;
};

absl::StatusOr<std::unique_ptr<Admin>> Admin::Create(std::string bootstrap) {
  if (bootstrap.empty()) {
    return absl::InvalidArgumentError("kafka: admin: setting bootstrap.servers is empty");
  }
  auto conf = MakeConf({{"bootstrap.servers", bootstrap}, {"client.id", "pilotage-admin"}});
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_error_cb(conf->get(), &LogClientError);
  auto rk = MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  return std::unique_ptr<Admin>(new Admin(std::make_unique<Impl>(std::move(*rk))));
}

Admin::Admin(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Admin::~Admin() = default;

absl::Status Admin::CreateTopic(std::string_view topic, int partitions,
                                const std::map<std::string, std::string>& configs,
                                std::chrono::milliseconds timeout) {
  return impl_->CreateTopic(topic, partitions, configs, timeout);
}

absl::StatusOr<int> Admin::PartitionCount(std::string_view topic,
                                          std::chrono::milliseconds timeout) {
  return impl_->PartitionCount(topic, timeout);
}

absl::StatusOr<std::string> Admin::TopicConfig(std::string_view topic, std::string_view name,
                                               std::chrono::milliseconds timeout) {
  return impl_->TopicConfig(topic, name, timeout);
}

absl::StatusOr<Watermarks> Admin::QueryWatermarks(const TopicPartition& tp,
                                                  std::chrono::milliseconds timeout) {
  return impl_->QueryWatermarks(tp, timeout);
}

absl::StatusOr<std::map<std::string, int64_t>> Admin::EndOffsets(
    const std::vector<std::string>& topics, std::chrono::milliseconds timeout) {
  std::map<std::string, int64_t> out;
  for (const auto& topic : topics) {
    auto count = impl_->PartitionCount(topic, timeout);
    if (!count.ok()) return count.status();
    for (int32_t p = 0; p < *count; ++p) {
      const TopicPartition tp{topic, p};
      auto marks = impl_->QueryWatermarks(tp, timeout);
      if (!marks.ok()) return marks.status();
      out[tp.ToString()] = marks->high;
    }
  }
  return out;
}

}  // namespace pilotage::kafka
