#include "pilotage/kafka/consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "client.h"
#include "errors.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pilotage::kafka {

using internal::Clock;
using internal::EventHandle;
using internal::KafkaHandle;
using internal::MakeClient;
using internal::MakeConf;
using internal::Millis;
using internal::PartitionList;
using internal::QueueHandle;

class Consumer::Impl {
 public:
  Impl(const ConsumerOptions& options, RebalanceListener* listener)
      : options_(options), listener_(listener) {}

  ~Impl() { Close(); }

  absl::Status Start() {
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", options_.bootstrap},
        {"group.id", options_.group_id},
        {"client.id", options_.client_id},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        // librdkafka's default, stated: records of open or aborted
        // transactions (the penalty job's, decision 0026) are never folded.
        {"isolation.level", "read_committed"},
        {"enable.partition.eof", "false"},
        {"session.timeout.ms", std::to_string(options_.session_timeout.count())},
        {"max.poll.interval.ms", std::to_string(options_.max_poll_interval.count())},
        // Prefetch (decision 0018): librdkafka stops fetching once the one
        // consumer queue of a subscription holds queued.min.messages
        // (100,000 by default, all partitions together) and fetches again
        // only when the application has drained it, so the application
        // waited on every refill: folds and rebuilds ran at 125-140k
        // events/s with the process mostly asleep. Bound the prefetch by
        // its size instead: 32 MiB, about 500,000 of our events.
        {"queued.min.messages", "1000000"},
        {"queued.max.messages.kbytes", "32768"},
    };
    for (const auto& [k, v] : options_.extra) settings[k] = v;
    auto conf = MakeConf(settings);
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(conf->get(), this);
    rd_kafka_conf_set_rebalance_cb(conf->get(), &Impl::OnRebalance);
    auto rk = MakeClient(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);
    rd_kafka_poll_set_consumer(rk_.get());

    PartitionList topics(
        rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size())));
    for (const auto& t : options_.topics) {
      rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    return FromKafkaError(rd_kafka_subscribe(rk_.get(), topics.get()),
                          fmt::format("subscribe group {}", options_.group_id));
  }

  absl::StatusOr<size_t> Poll(size_t max_messages, std::chrono::milliseconds timeout,
                              const MessageHandler& handler) {
    if (closed_) return absl::FailedPreconditionError("kafka: consumer is closed");
    const auto deadline = Clock::now() + timeout;
    size_t handed = 0;
    while (handed < max_messages) {
      int wait_ms = 0;
      if (handed == 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        wait_ms = std::max(0, Millis(left));
      }
      rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_.get(), wait_ms);
      if (!listener_error_.ok()) {
        if (msg) rd_kafka_message_destroy(msg);
        return listener_error_;
      }
      if (msg == nullptr) {
        if (handed == 0 && Clock::now() < deadline) continue;
        break;
      }
      if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        absl::Status s = FromKafkaError(msg->err, "consume");
        if (msg->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
            msg->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
          // An ACL refused: it does not heal by retrying, and a consumer that
          // carried on would read the other topics and look caught up while
          // one was never read. Say which topic.
          const std::string topic = msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "";
          s = FromKafkaError(msg->err, topic.empty()
                                           ? fmt::format("consume (group {})", options_.group_id)
                                           : fmt::format("consume {}", topic));
          rd_kafka_message_destroy(msg);
          return s;
        }
        rd_kafka_message_destroy(msg);
        char fatal[256];
        if (rd_kafka_fatal_error(rk_.get(), fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          return absl::InternalError(fmt::format("kafka: fatal consumer error: {}", fatal));
        }
        spdlog::warn("{} (retrying)", s.ToString());
        continue;
      }
      Message m;
      m.topic = rd_kafka_topic_name(msg->rkt);
      m.partition = msg->partition;
      m.offset = msg->offset;
      m.key = std::string_view(static_cast<const char*>(msg->key), msg->key_len);
      m.value = std::string_view(static_cast<const char*>(msg->payload), msg->len);
      m.timestamp_ms = rd_kafka_message_timestamp(msg, nullptr);
      handler(m);
      rd_kafka_message_destroy(msg);
      ++handed;
    }
    return handed;
  }

  absl::Status Commit(const std::map<TopicPartition, int64_t>& next_offsets) {
    if (next_offsets.empty()) return absl::OkStatus();
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
    for (const auto& [tp, offset] : next_offsets) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
          offset;
    }
    return FromKafkaError(rd_kafka_commit(rk_.get(), list.get(), /*async=*/1),
                          fmt::format("commit offsets of group {}", options_.group_id));
  }

  std::vector<TopicPartition> Assignment() const {
    return {assignment_.begin(), assignment_.end()};
  }

  absl::StatusOr<int64_t> Position(const TopicPartition& tp) const {
    if (closed_ || !rk_) return absl::FailedPreconditionError("kafka: consumer is closed");
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_t* elem =
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    absl::Status s = FromKafkaError(rd_kafka_position(rk_.get(), list.get()),
                                    fmt::format("position of {}", tp.ToString()));
    if (!s.ok()) return s;
    if (elem->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(elem->err, fmt::format("position of {}", tp.ToString()));
    }
    if (elem->offset < 0) {
      return absl::NotFoundError(
          fmt::format("kafka: position of {}: nothing read yet", tp.ToString()));
    }
    return elem->offset;
  }

  void Close() {
    if (closed_ || !rk_) return;
    closed_ = true;
    // librdkafka before 2.3 aborts in rd_kafka_destroy when a cooperative-
    // sticky member is destroyed between joining and its first assignment
    // (librdkafka issue 4312, Debian 12 ships 2.0.2). Wait, bounded, for that
    // first assignment; messages arriving meanwhile are not handed over, so
    // nothing is lost: their offsets were never stored.
    const auto deadline = Clock::now() + options_.session_timeout;
    while (!ever_assigned_ && listener_error_.ok() && Clock::now() < deadline) {
      if (rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_.get(), 100)) {
        rd_kafka_message_destroy(msg);
      }
    }
    // The close runs in librdkafka's background and this thread serves its
    // queue for a bounded time: with the broker gone, librdkafka 2.0's
    // blocking rd_kafka_consumer_close() waited for the group coordinator for
    // good (seen: 16 minutes after SIGTERM). Offsets live in the caller's
    // store, not in Kafka, so a member that leaves without a goodbye only
    // delays the group's next rebalance by its session timeout (decision 0035).
    QueueHandle queue(rd_kafka_queue_new(rk_.get()));
    if (rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_.get(), queue.get())) {
      spdlog::warn("kafka: closing the consumer of group {}: {}", options_.group_id,
                   rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    } else {
      const auto close_deadline = Clock::now() + options_.close_timeout;
      while (!rd_kafka_consumer_closed(rk_.get()) && Clock::now() < close_deadline) {
        // Served as events, not callbacks: the queue also carries fetched
        // messages and results that no callback serves (librdkafka asserts
        // on those with rd_kafka_queue_poll_callback).
        EventHandle event(rd_kafka_queue_poll(queue.get(), 100));
        if (event && rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
          Rebalance(rk_.get(), rd_kafka_event_error(event.get()),
                    rd_kafka_event_topic_partition_list(event.get()));
        }
        // Anything else is dropped: a message fetched now was never handed
        // over, so its offset was never stored and the next owner reads it.
      }
    }
    queue.reset();
    if (rd_kafka_consumer_closed(rk_.get())) {
      rk_.reset();
      return;
    }
    spdlog::warn(
        "kafka: the consumer of group {} could not leave it within {} ms (broker unreachable?): "
        "closed without leaving; its partitions move to another member after the session "
        "timeout ({} ms)",
        options_.group_id, options_.close_timeout.count(), options_.session_timeout.count());
    rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }

 private:
  static std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartition> out;
    out.reserve(list->cnt);
    for (int i = 0; i < list->cnt; ++i) {
      out.push_back({list->elems[i].topic, list->elems[i].partition});
    }
    return out;
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<Impl*>(opaque)->Rebalance(rk, err, partitions);
  }

  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    std::vector<TopicPartition> tps = ToVector(partitions);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      auto offsets = listener_->OnAssigned(tps);
      if (!offsets.ok()) {
        listener_error_ = offsets.status();
        return;  // Poll returns the error; nothing is consumed.
      }
      for (int i = 0; i < partitions->cnt; ++i) {
        auto it = offsets->find(tps[i]);
        partitions->elems[i].offset = it == offsets->end() ? 0 : it->second;
      }
      absl::Status s;
      if (cooperative) {
        rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, partitions);
        if (e) {
          s = absl::InternalError(fmt::format("kafka: assign: {}", rd_kafka_error_string(e)));
          rd_kafka_error_destroy(e);
        }
      } else {
        s = FromKafkaError(rd_kafka_assign(rk, partitions), "assign");
      }
      if (!s.ok()) {
        listener_error_ = s;
        return;
      }
      assignment_.insert(tps.begin(), tps.end());
      ever_assigned_ = true;
      spdlog::info("kafka: group {} assigned {} partitions", options_.group_id, tps.size());
    } else {
      listener_->OnRevoked(tps);
      if (cooperative) {
        rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, partitions);
        if (e) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, nullptr);
      }
      for (const auto& tp : tps) assignment_.erase(tp);
      spdlog::info("kafka: group {} revoked {} partitions{}", options_.group_id, tps.size(),
                   rd_kafka_assignment_lost(rk) ? " (lost)" : "");
    }
  }

  ConsumerOptions options_;
  RebalanceListener* listener_;
  KafkaHandle rk_;
  std::set<TopicPartition> assignment_;
  bool ever_assigned_ = false;
  absl::Status listener_error_;
  bool closed_ = false;
};

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(const ConsumerOptions& options,
                                                           RebalanceListener* listener) {
  if (options.bootstrap.empty()) {
    return absl::InvalidArgumentError("kafka: consumer: setting bootstrap.servers is empty");
  }
  if (options.group_id.empty()) {
    return absl::InvalidArgumentError("kafka: consumer: setting group.id is empty");
  }
  if (options.topics.empty() || listener == nullptr) {
    return absl::InvalidArgumentError("kafka: consumer: needs topics and a rebalance listener");
  }
  auto impl = std::make_unique<Impl>(options, listener);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Consumer::~Consumer() = default;

absl::StatusOr<size_t> Consumer::Poll(size_t max_messages, std::chrono::milliseconds timeout,
                                      const MessageHandler& handler) {
  return impl_->Poll(max_messages, timeout, handler);
}

absl::Status Consumer::CommitForMonitoring(const std::map<TopicPartition, int64_t>& next_offsets) {
  return impl_->Commit(next_offsets);
}

std::vector<TopicPartition> Consumer::Assignment() const { return impl_->Assignment(); }

absl::StatusOr<int64_t> Consumer::Position(const TopicPartition& tp) const {
  return impl_->Position(tp);
}

void Consumer::Close() { impl_->Close(); }

}  // namespace pilotage::kafka
