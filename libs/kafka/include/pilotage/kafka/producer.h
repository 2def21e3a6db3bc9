#pragma once
// pilotage::kafka's producers: Producer (idempotent, acks=all, one outcome
// per record) and TransactionalProducer (records visible all at once or not
// at all, decision 0026). Errors: pilotage/kafka/common.h.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pilotage::kafka {

struct ProducerOptions {
  // "host:port[,host:port]" (librdkafka bootstrap.servers).
  std::string bootstrap;
  std::string client_id = "pilotage";
  // How long a message may wait in the local queue before its send fails
  // with kUnavailable (librdkafka message.timeout.ms). Default 30 s.
  std::chrono::milliseconds delivery_timeout{30000};
  // How long Send() waits for room when the local queue is full before it
  // fails with kUnavailable. Default 30 s.
  std::chrono::milliseconds enqueue_timeout{30000};
  // Batching delay (linger.ms). Default 5 ms: low latency, good batches.
  int linger_ms = 5;
  // Compression codec of produced batches (compression.type).
  std::string compression = "lz4";
  // Local queue bound, in messages (queue.buffering.max.messages).
  int max_queued_messages = 500000;
  // Any other librdkafka setting, applied last (wins over the above).
  std::map<std::string, std::string> extra;
};

struct Record {
  std::string_view topic;
  std::string_view key;
  std::string_view value;
  // -1: partition by key with murmur2, as the Java client does, so that a
  // lot lands on the same partition whoever writes it.
  int32_t partition = -1;
};

struct Delivery {
  // OK once the broker acknowledged the write on all in-sync replicas.
  absl::Status status;
  int32_t partition = -1;
  int64_t offset = -1;
};

// Thread-safe: Send may be called from several threads at once. Delivery
// callbacks run on the producer's internal poll thread (or on a sending thread
// that waits for room in a full queue); they must be quick and thread-safe.
class Producer {
 public:
  using DeliveryCallback = std::function<void(const Delivery&)>;

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Producer>> Create(
      const ProducerOptions& options);
  // Flushes what is queued (bounded by delivery_timeout), then stops.
  ~Producer();

  // Queues one record; `on_delivery` is called exactly once with its outcome.
  // Returns an error (and does not call `on_delivery`) only when the record
  // could not be queued: kUnavailable after enqueue_timeout on a full queue,
  // kInvalidArgument for an oversized message, kNotFound for an unknown topic.
  [[nodiscard]] absl::Status Send(const Record& record, DeliveryCallback on_delivery);

  // Sends every record and waits for all their outcomes; result i belongs to
  // records[i]. Never returns before each outcome is known.
  std::vector<Delivery> SendAll(std::span<const Record> records);

  // Waits until everything queued so far is delivered or failed.
  [[nodiscard]] absl::Status Flush(std::chrono::milliseconds timeout);

  class Impl;

 private:
  explicit Producer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Transactional producer

struct TransactionalProducerOptions {
  // "host:port[,host:port]" (librdkafka bootstrap.servers).
  std::string bootstrap;
  std::string client_id = "pilotage";
  // The sender's stable identity (transactional.id), required. A producer
  // that initialises with an id fences every earlier producer with that id
  // and aborts its open transaction.
  std::string transactional_id;
  // How long the broker lets a transaction stay open before aborting it
  // itself (transaction.timeout.ms), e.g. when its sender died. Default 60 s.
  std::chrono::milliseconds transaction_timeout{60000};
  // Bound of each blocking call: InitTransactions, Send (waiting for room and
  // for the broker's acknowledgements), Commit, Abort. Default 30 s.
  std::chrono::milliseconds timeout{30000};
  // Any other librdkafka setting, applied last.
  std::map<std::string, std::string> extra;
};

// One sender's transactions: InitTransactions once, then for each batch
// BeginTransaction, Send, CommitTransaction (AbortTransaction on error).
// Records sent in a transaction are written to the log at once but handed to
// read_committed consumers only after the commit, all together; an aborted
// transaction's records are never handed over.
//
// Errors, besides those of the header's top:
//   kAborted, IsFenced(status): another producer initialised with the same
//     transactional.id ("another sender with transactional.id X took over").
//     This producer is unusable; nothing of its open transaction will ever be
//     visible. The message names the id.
//   kFailedPrecondition: a call out of order (e.g. Send outside a
//     transaction), or transactions not supported by the broker.
//   kUnavailable: the broker or the transaction coordinator did not answer
//     in time; when Send or CommitTransaction return it, the transaction has
//     been aborted (if it still could be): run the whole batch again.
// Not thread-safe: one thread drives the producer.
class TransactionalProducer {
 public:
  // Creates the client; nothing is sent and the coordinator is not asked yet.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TransactionalProducer>> Create(
      const TransactionalProducerOptions& options);
  // Aborts an open transaction (bounded by `timeout`), unless fenced.
  ~TransactionalProducer();

  // Registers the transactional.id with its coordinator: fences earlier
  // producers with that id and waits until their open transaction is aborted.
  [[nodiscard]] absl::Status InitTransactions();
  [[nodiscard]] absl::Status BeginTransaction();
  // Sends the records in the open transaction and waits until the broker
  // acknowledged each one (written, not yet visible to read_committed
  // readers). On a failed record, aborts the transaction and returns the
  // record's error, naming its topic and index.
  [[nodiscard]] absl::Status Send(std::span<const Record> records);
  // Makes the transaction's records visible, all at once. On an error that
  // requires it, aborts the transaction first.
  [[nodiscard]] absl::Status CommitTransaction();
  [[nodiscard]] absl::Status AbortTransaction();

  // BeginTransaction, Send, CommitTransaction; aborts on error.
  [[nodiscard]] absl::Status SendInTransaction(std::span<const Record> records);

  class Impl;

 private:
  explicit TransactionalProducer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True when `status` says a newer producer with the same transactional.id
// fenced this one (see TransactionalProducer).
bool IsFenced(const absl::Status& status);

}  // namespace pilotage::kafka
