#include "pilotage/kafka/kafka.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "errors.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pilotage::kafka {
namespace {

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

int Millis(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// librdkafka's own log lines go through spdlog (its default writes raw lines to
// stderr, which would break JSON-lines logs). Connection failures (facility
// FAIL) also reach LogClientError as errors: here they are debug, not repeated.
void LogClientLine(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  const bool repeated = std::string_view(facility) == "FAIL";
  const auto spd_level = level <= 4 && !repeated   ? spdlog::level::warn
                         : level <= 6 && !repeated ? spdlog::level::info
                                                   : spdlog::level::debug;
  spdlog::log(spd_level, "kafka {}: {} {}", rd_kafka_name(rk), facility, line);
}

absl::StatusOr<ConfHandle> MakeConf(const std::map<std::string, std::string>& settings) {
  ConfHandle conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &LogClientLine);
  char errstr[512];
  // The process's connection settings first (checked when loaded), so that a
  // client's own settings and `extra` win.
  const ClientConfig process = CurrentClientConfig();
  for (const auto& [name, value] : process.settings) {
    if (settings.contains(name)) continue;
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          fmt::format("kafka: setting {} from {}: {}", name, process.origin, errstr));
    }
  }
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(
          fmt::format("kafka: setting {}={}: {}", name, value, errstr));
    }
  }
  return conf;
}

absl::StatusOr<KafkaHandle> MakeClient(rd_kafka_type_t type, ConfHandle conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    return absl::InvalidArgumentError(fmt::format("kafka: creating client: {}", errstr));
  }
  conf.release();  // owned by rk from now on
  return KafkaHandle(rk);
}

void LogClientError(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  spdlog::warn("kafka {}: {} ({})", rd_kafka_name(rk), reason,
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
}

// Topic handles by name, created on first use. Thread-safe. Clear() before
// the client is destroyed.
class TopicCache {
 public:
  rd_kafka_topic_t* Get(rd_kafka_t* rk, std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = topics_.find(name);
    if (it != topics_.end()) return it->second;
    std::string key(name);
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, key.c_str(), nullptr);
    topics_.emplace(std::move(key), rkt);
    return rkt;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
    topics_.clear();
  }

 private:
  std::mutex mu_;
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;
};

using DeliveryReport = void (*)(rd_kafka_t*, const rd_kafka_message_t*, void*);

// A producer client: `settings`, then `extra` (which wins); delivery reports
// go to `on_delivery`, client errors to the log.
absl::StatusOr<KafkaHandle> MakeProducer(std::map<std::string, std::string> settings,
                                         const std::map<std::string, std::string>& extra,
                                         DeliveryReport on_delivery) {
  for (const auto& [k, v] : extra) settings[k] = v;
  auto conf = MakeConf(settings);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), on_delivery);
  rd_kafka_conf_set_error_cb(conf->get(), &LogClientError);
  return MakeClient(RD_KAFKA_PRODUCER, std::move(*conf));
}

}  // namespace

std::string TopicPartition::ToString() const { return fmt::format("{}/{}", topic, partition); }

// ---------------------------------------------------------------------------
// Producer

class Producer::Impl {
 public:
  explicit Impl(const ProducerOptions& options) : options_(options) {}

  ~Impl() {
    if (!rk_) return;
    rd_kafka_flush(rk_.get(), Millis(options_.delivery_timeout));
    // What is still queued fails now, so that every callback is called once.
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    stop_ = true;
    if (poller_.joinable()) poller_.join();
    rd_kafka_poll(rk_.get(), 0);
    topics_.Clear();
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
    auto rk = MakeProducer(settings, options_.extra, &Impl::OnDelivery);
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
  KafkaHandle rk_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
  TopicCache topics_;
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

// ---------------------------------------------------------------------------
// Transactional producer

class TransactionalProducer::Impl {
 public:
  explicit Impl(const TransactionalProducerOptions& options) : options_(options) {}

  ~Impl() {
    if (!rk_) return;
    if (in_transaction_ && !fenced_) {
      absl::Status s = Abort();
      if (!s.ok()) spdlog::warn("{}", s.ToString());
    }
    // Serve the reports of anything left, so that every Slot is freed.
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(rk_.get(), 0);
    topics_.Clear();
  }

  absl::Status Start() {
    // A record must not outlive its transaction in the local queue.
    const auto message_timeout = std::min(options_.timeout, options_.transaction_timeout);
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", options_.bootstrap},
        {"client.id", options_.client_id},
        {"transactional.id", options_.transactional_id},
        {"transaction.timeout.ms", std::to_string(options_.transaction_timeout.count())},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        {"message.timeout.ms", std::to_string(message_timeout.count())},
        {"linger.ms", "5"},
        {"compression.type", "lz4"},
        {"partitioner", "murmur2_random"},
    };
    auto rk = MakeProducer(settings, options_.extra, &Impl::OnDelivery);
    if (!rk.ok()) return rk.status();
    rk_ = std::move(*rk);
    return absl::OkStatus();
  }

  absl::Status Init() {
    return Translate(rd_kafka_init_transactions(rk_.get(), Millis(options_.timeout)),
                     "init transactions");
  }

  absl::Status Begin() {
    absl::Status s = Translate(rd_kafka_begin_transaction(rk_.get()), "begin transaction");
    in_transaction_ = s.ok();
    return s;
  }

  absl::Status Send(std::span<const Record> records) {
    if (!in_transaction_) {
      return absl::FailedPreconditionError(fmt::format(
          "kafka: send with transactional.id {}: no open transaction (BeginTransaction first)",
          options_.transactional_id));
    }
    // Each record's outcome, written by OnDelivery (called inside
    // rd_kafka_poll/flush on this thread). Shared with the callbacks: a
    // record purged by an abort may report after Send returned.
    auto outcomes = std::make_shared<std::vector<absl::Status>>(
        records.size(), absl::UnknownError("not delivered"));
    const auto deadline = Clock::now() + options_.timeout;
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& record = records[i];
      while (true) {
        auto* slot = new Slot{outcomes, i};
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk_.get(), RD_KAFKA_V_RKT(topics_.Get(rk_.get(), record.topic)),
            RD_KAFKA_V_PARTITION(record.partition),
            RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        delete slot;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || Clock::now() >= deadline) {
          absl::Status failed = ProduceError(err, record, i);
          return AbortAfter(failed);
        }
        rd_kafka_poll(rk_.get(), 10);
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    rd_kafka_flush(rk_.get(), std::max(0, Millis(left)));
    for (size_t i = 0; i < records.size(); ++i) {
      const absl::Status& outcome = (*outcomes)[i];
      if (!outcome.ok()) {
        absl::Status failed =
            outcome.code() == absl::StatusCode::kUnknown
                ? absl::UnavailableError(
                      fmt::format("kafka: send to {} with transactional.id {}: record {} of {} not "
                                  "acknowledged after {} ms",
                                  records[i].topic, options_.transactional_id, i, records.size(),
                                  options_.timeout.count()))
                : outcome;
        return AbortAfter(failed);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Commit() {
    const auto deadline = Clock::now() + options_.timeout;
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      rd_kafka_error_t* error = rd_kafka_commit_transaction(rk_.get(), std::max(0, Millis(left)));
      if (error == nullptr) {
        in_transaction_ = false;
        return absl::OkStatus();
      }
      const bool requires_abort = rd_kafka_error_txn_requires_abort(error);
      // Retriable: the commit goes on in the background; calling again
      // resumes it (librdkafka's documented use).
      const bool retry = rd_kafka_error_is_retriable(error) && Clock::now() < deadline;
      absl::Status s = Translate(error, "commit transaction");
      if (retry) continue;
      if (requires_abort) return AbortAfter(s);
      return s;
    }
  }

  absl::Status Abort() {
    absl::Status s = Translate(rd_kafka_abort_transaction(rk_.get(), Millis(options_.timeout)),
                               "abort transaction");
    if (s.ok()) in_transaction_ = false;
    return s;
  }

 private:
  // Translates and destroys `error`; remembers fencing (the producer is
  // unusable from then on).
  absl::Status Translate(rd_kafka_error_t* error, std::string_view context) {
    if (error == nullptr) return absl::OkStatus();
    rd_kafka_resp_err_t fatal = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (rd_kafka_error_is_fatal(error)) {
      char reason[256];
      fatal = rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
    }
    absl::Status s = FromTransactionError(error, fatal, context, options_.transactional_id);
    rd_kafka_error_destroy(error);
    if (IsFenced(s)) fenced_ = true;
    return s;
  }

  absl::Status ProduceError(rd_kafka_resp_err_t err, const Record& record, size_t index) {
    rd_kafka_resp_err_t fatal = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[256];
      fatal = rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
    }
    const std::string context = fmt::format("send record {} to {} with transactional.id {}", index,
                                            record.topic, options_.transactional_id);
    if (fatal != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_error_t* error = rd_kafka_error_new(fatal, "%s", rd_kafka_err2str(fatal));
      return Translate(error, context);
    }
    return FromKafkaError(err, context);
  }

  // Aborts the open transaction after `cause` (unless fenced: the new
  // sender's coordinator has aborted it already) and returns `cause`.
  absl::Status AbortAfter(absl::Status cause) {
    if (!in_transaction_ || fenced_ || IsFenced(cause)) {
      fenced_ = fenced_ || IsFenced(cause);
      return cause;
    }
    if (absl::Status s = Abort(); !s.ok()) {
      return absl::Status(cause.code(), fmt::format("{}; then {}", std::string(cause.message()),
                                                    std::string(s.message())));
    }
    return absl::Status(cause.code(),
                        fmt::format("{} (transaction aborted: nothing of it is visible)",
                                    std::string(cause.message())));
  }

  struct Slot {
    std::shared_ptr<std::vector<absl::Status>> outcomes;
    size_t index;
  };

  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* /*opaque*/) {
    std::unique_ptr<Slot> slot(static_cast<Slot*>(msg->_private));
    if (!slot) return;
    absl::Status& outcome = (*slot->outcomes)[slot->index];
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      outcome = absl::OkStatus();
      return;
    }
    outcome = FromKafkaError(
        msg->err, fmt::format("send to {}/{} in a transaction of {}", rd_kafka_topic_name(msg->rkt),
                              msg->partition, rd_kafka_name(rk)));
  }

  TransactionalProducerOptions options_;
  KafkaHandle rk_;
  bool in_transaction_ = false;
  bool fenced_ = false;
  TopicCache topics_;
};

absl::StatusOr<std::unique_ptr<TransactionalProducer>> TransactionalProducer::Create(
    const TransactionalProducerOptions& options) {
  if (options.bootstrap.empty()) {
    return absl::InvalidArgumentError(
        "kafka: transactional producer: setting bootstrap.servers is empty");
  }
  if (options.transactional_id.empty()) {
    return absl::InvalidArgumentError(
        "kafka: transactional producer: setting transactional.id is empty");
  }
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<TransactionalProducer>(new TransactionalProducer(std::move(impl)));
}

TransactionalProducer::TransactionalProducer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TransactionalProducer::~TransactionalProducer() = default;

absl::Status TransactionalProducer::InitTransactions() { return impl_->Init(); }
absl::Status TransactionalProducer::BeginTransaction() { return impl_->Begin(); }
absl::Status TransactionalProducer::Send(std::span<const Record> records) {
  return impl_->Send(records);
}
absl::Status TransactionalProducer::CommitTransaction() { return impl_->Commit(); }
absl::Status TransactionalProducer::AbortTransaction() { return impl_->Abort(); }

absl::Status TransactionalProducer::SendInTransaction(std::span<const Record> records) {
  if (absl::Status s = BeginTransaction(); !s.ok()) return s;
  if (absl::Status s = Send(records); !s.ok()) return s;  // aborted by Send
  return CommitTransaction();
}

// ---------------------------------------------------------------------------
// Consumer

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

// ---------------------------------------------------------------------------
// Admin

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
    EventHandle event(rd_kafka_queue_poll(queue.get(), Millis(timeout)));
    if (!event) return absl::UnavailableError(fmt::format("kafka: {}: timed out", context));
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(rd_kafka_event_error(event.get()), context);
    }
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
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
    EventHandle event(rd_kafka_queue_poll(queue.get(), Millis(timeout)));
    if (!event) return absl::UnavailableError(fmt::format("kafka: {}: timed out", context));
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(rd_kafka_event_error(event.get()), context);
    }
    size_t count = 0;
    const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(event.get()), &count);
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

absl::StatusOr<std::string> BootstrapFromEnvironment() {
  if (const char* direct = std::getenv("PILOTAGE_KAFKA_BOOTSTRAP"); direct && *direct) {
    return std::string(direct);
  }
  const char* file = std::getenv("PILOTAGE_KAFKA_BOOTSTRAP_FILE");
  if (file == nullptr || *file == '\0') {
    return absl::NotFoundError(
        "kafka: no broker: set PILOTAGE_KAFKA_BOOTSTRAP=host:port, or "
        "PILOTAGE_KAFKA_BOOTSTRAP_FILE to the bootstrap file of `scripts/kafka start`");
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    return absl::NotFoundError(fmt::format(
        "kafka: no broker address in {} (is the broker started? scripts/kafka start)", file));
  }
  return line;
}

}  // namespace pilotage::kafka
