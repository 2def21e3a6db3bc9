#include "pilotage/kafka/producer.h"

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client.h"
#include "errors.h"
#include "fmt/format.h"

namespace pilotage::kafka {

using internal::Clock;
using internal::Millis;

class Producer::Impl {
 public:
  explicit Impl(const ProducerOptions& options) : options_(options) {}

  ~Impl() {
    if (!rk_) return;
    rd_kafka_flush(rk_.get(), Millis(options_.delivery_timeout));
    stop_ = true;
    if (poller_.joinable()) poller_.join();
    // What is still queued fails now, so that every callback is called once.
    internal::PurgeAndServeReports(rk_.get(), topics_);
  }

  absl::Status Start() {
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", options_.bootstrap},
        {"client.id", options_.client_id},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"message.timeout.ms", std::to_string(options_.delivery_timeout.count())},
        {"linger.ms", std::to_string(options_.linger_ms)},
        {"compression.type", options_.compression},
        {"queue.buffering.max.messages", std::to_string(options_.max_queued_messages)},
        {"partitioner", "murmur2_random"},
    };
    auto rk = internal::MakeProducer(settings, options_.extra, &Impl::OnDelivery);
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);
    poller_ = std::thread([this] {
      while (!stop_) rd_kafka_poll(rk_.get(), 100);
    });
    return absl::OkStatus();
  }

  absl::Status Send(const Record& record, DeliveryCallback on_delivery) {
    rd_kafka_topic_t* rkt = topics_.Get(rk_.get(), record.topic);
    auto* callback = new DeliveryCallback(std::move(on_delivery));
    const auto deadline = Clock::now() + options_.enqueue_timeout;
    while (true) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_.get(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(record.partition),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(callback), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || Clock::now() >= deadline) {
        delete callback;
        return FromKafkaError(
            err, fmt::format("produce to {}{}", record.topic,
                             err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                                 ? " (local queue full; setting queue.buffering.max.messages=" +
                                       std::to_string(options_.max_queued_messages) + ")"
                                 : ""));
      }
      // Serve delivery reports until there is room again.
      rd_kafka_poll(rk_.get(), 10);
    }
  }

  absl::Status Flush(std::chrono::milliseconds timeout) {
    rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), Millis(timeout));
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
      return absl::UnavailableError(
          fmt::format("kafka: flush: {} messages still undelivered after {} ms",
                      rd_kafka_outq_len(rk_.get()), timeout.count()));
    }
    return FromKafkaError(err, "flush");
  }

 private:
  static void OnDelivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* /*opaque*/) {
    std::unique_ptr<DeliveryCallback> callback(static_cast<DeliveryCallback*>(msg->_private));
    Delivery delivery;
    delivery.partition = msg->partition;
    delivery.offset = msg->offset;
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      delivery.status = FromKafkaError(
          msg->err, fmt::format("produce to {}/{}", rd_kafka_topic_name(msg->rkt), msg->partition));
    }
    if (callback && *callback) (*callback)(delivery);
  }

  ProducerOptions options_;
  internal::KafkaHandle rk_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
  internal::TopicCache topics_;
};

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const ProducerOptions& options) {
  if (options.bootstrap.empty()) {
    return absl::InvalidArgumentError("kafka: producer: setting bootstrap.servers is empty");
  }
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<Producer>(new Producer(std::move(impl)));
}

Producer::Producer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Producer::~Producer() = default;

absl::Status Producer::Send(const Record& record, DeliveryCallback on_delivery) {
  return impl_->Send(record, std::move(on_delivery));
}

std::vector<Delivery> Producer::SendAll(std::span<const Record> records) {
  std::vector<Delivery> results(records.size());
  std::mutex mu;
  std::condition_variable done;
  size_t pending = records.size();
  auto finish = [&](size_t i, Delivery d) {
    std::lock_guard lock(mu);
    results[i] = std::move(d);
    if (--pending == 0) done.notify_all();
  };
  for (size_t i = 0; i < records.size(); ++i) {
    absl::Status s = impl_->Send(records[i], [&finish, i](const Delivery& d) { finish(i, d); });
    if (!s.ok()) finish(i, Delivery{s, records[i].partition, -1});
  }
  std::unique_lock lock(mu);
  done.wait(lock, [&] { return pending == 0; });
  return results;
}

absl::Status Producer::Flush(std::chrono::milliseconds timeout) { return impl_->Flush(timeout); }

}  // namespace pilotage::kafka
