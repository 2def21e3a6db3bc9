#include "pilotage/kafka/producer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client.h"
#include "errors.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pilotage::kafka {

using internal::Clock;
using internal::KafkaHandle;
using internal::MakeProducer;
using internal::Millis;
using internal::TopicCache;

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
    internal::PurgeAndServeReports(rk_.get(), topics_);
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

}  // namespace pilotage::kafka
