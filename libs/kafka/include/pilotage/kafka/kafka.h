#pragma once
// pilotage::kafka — the only code in pilotage that talks to librdkafka.
//
// Four small pieces:
//   * Producer: idempotent (acks=all), each send reports its own delivery
//     outcome; a full local queue is handled by polling, never by dropping.
//   * TransactionalProducer: records sent in one Kafka transaction under a
//     stable transactional.id, visible to readers all at once or not at all;
//     a newer producer with the same id fences the older one (decision 0026).
//   * Consumer: joins a consumer group (cooperative-sticky) but starts every
//     partition it is assigned at the offset the caller supplies (from the
//     caller's own store), never at the group's committed offset. Offsets are
//     committed back to Kafka only so that lag shows in Kafka's tools. It
//     reads committed records only (isolation.level=read_committed): records
//     of an open or aborted transaction are never handed over.
//   * Admin: topic creation and end offsets, for tools, tests and benchmarks.
//
// Errors are absl::Status with retry advice in the code:
//   kUnavailable      broker down, timed out, queue full: retry later;
//   kNotFound         unknown topic or partition;
//   kInvalidArgument  bad setting or oversized message: never retry;
//   kInternal         fatal client error (e.g. idempotence broken): recreate;
//   kAborted          with IsFenced(): another sender with the same
//                     transactional.id took over (TransactionalProducer);
//   kPermissionDenied authentication failed, or the broker's ACLs do not let
//                     this principal do it (names the topic, group or id).
// Messages name the topic, partition and setting involved.

#include <chrono>
#include <cstdint>
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

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const TopicPartition&) const = default;
  std::string ToString() const;  // "topic/partition"
};

// A message as the consumer hands it over. The views are valid only during
// the callback that receives it; copy what must outlive it.
struct Message {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  // Broker or producer timestamp, milliseconds since the epoch (-1 if none).
  int64_t timestamp_ms = -1;
};

// ---------------------------------------------------------------------------
// Producer

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

// ---------------------------------------------------------------------------
// Consumer

// Told of partition assignment changes. Called on the thread that calls
// Consumer::Poll, inside Poll.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Newly assigned partitions: return, for each, the offset to start at (the
  // next offset to read; 0 replays the partition from its start). A partition
  // left out of the result starts at 0. An error stops the consumer: Poll
  // returns it.
  [[nodiscard]] virtual absl::StatusOr<std::map<TopicPartition, int64_t>> OnAssigned(
      const std::vector<TopicPartition>& partitions) = 0;
  // Partitions about to be taken away (or already lost): the last chance to
  // make their state durable. Messages of these partitions are not handed
  // over after this call.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

struct ConsumerOptions {
  std::string bootstrap;
  std::string group_id;
  std::vector<std::string> topics;
  std::string client_id = "pilotage";
  // Group session timeout: how long before a silent member's partitions move.
  std::chrono::milliseconds session_timeout{10000};
  // Poll interval bound: a member that does not call Poll for this long leaves.
  std::chrono::milliseconds max_poll_interval{300000};
  // Any other librdkafka setting, applied last.
  std::map<std::string, std::string> extra;
};

// Memory: besides what the handler keeps, a consumer holds up to 32 MiB of
// prefetched messages (queued.max.messages.kbytes; decision 0018), plus one
// fetch response in flight.
// Not thread-safe: one thread polls. Close() (or the destructor) leaves the
// group cleanly, calling OnRevoked for what it held.
class Consumer {
 public:
  using MessageHandler = std::function<void(const Message&)>;

  // `listener` must outlive the consumer.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Consumer>> Create(
      const ConsumerOptions& options, RebalanceListener* listener);
  ~Consumer();

  // Hands over up to `max_messages` messages, waiting at most `timeout` for
  // the first one; then takes only what is already there. Returns how many
  // were handed over. Transient broker errors are logged and retried by the
  // client; a fatal client error or a listener error is returned.
  [[nodiscard]] absl::StatusOr<size_t> Poll(size_t max_messages, std::chrono::milliseconds timeout,
                                            const MessageHandler& handler);

  // Commits next offsets to the group, asynchronously, for lag monitoring only.
  [[nodiscard]] absl::Status CommitForMonitoring(
      const std::map<TopicPartition, int64_t>& next_offsets);

  // The partitions currently assigned to this member.
  std::vector<TopicPartition> Assignment() const;

  // The next offset this consumer will read in an assigned partition, as the
  // client knows it: past the last message handed over, and past transaction
  // markers (control records, never handed over) that follow it. So a
  // partition whose last record is a commit marker is read to its end when
  // Position == the high watermark, though the last message handed over is
  // one before. kNotFound if not assigned or nothing was read yet.
  [[nodiscard]] absl::StatusOr<int64_t> Position(const TopicPartition& tp) const;

  // Leaves the group (OnRevoked for what it held). Idempotent.
  void Close();

  class Impl;

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Admin

struct Watermarks {
  int64_t low = 0;
  // The end offset as a read_committed reader sees it: the next offset to be
  // written, or, while a transaction is open, its first offset (the last
  // stable offset). Transaction markers count.
  int64_t high = 0;
};

// Thread-safe.
class Admin {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Admin>> Create(std::string bootstrap);
  ~Admin();

  // Creates a topic; kAlreadyExists if it exists. `configs`: topic settings
  // such as {"retention.ms", "-1"}.
  [[nodiscard]] absl::Status CreateTopic(
      std::string_view topic, int partitions,
      const std::map<std::string, std::string>& configs = {},
      std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

  // Number of partitions of a topic; kNotFound when it does not exist.
  [[nodiscard]] absl::StatusOr<int> PartitionCount(
      std::string_view topic, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  // The value of one topic setting as the broker applies it, e.g.
  // TopicConfig("pilotage.activity.v1", "retention.ms") == "-1".
  [[nodiscard]] absl::StatusOr<std::string> TopicConfig(
      std::string_view topic, std::string_view name,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  [[nodiscard]] absl::StatusOr<Watermarks> QueryWatermarks(
      const TopicPartition& tp,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  // The end offset (Watermarks::high) of every partition of `topics`, keyed
  // "topic/partition" (TopicPartition::ToString), as readmodel::EndOffsets
  // wants it. `timeout` bounds each broker call. kNotFound naming the topic
  // when one does not exist.
  [[nodiscard]] absl::StatusOr<std::map<std::string, int64_t>> EndOffsets(
      const std::vector<std::string>& topics,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  class Impl;

 private:
  explicit Admin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------
// Connection settings of the process (authentication, encryption)

// librdkafka settings every client of the process uses to reach the broker:
// `security.protocol`, `sasl.*`, `ssl.*`, `enable.ssl.certificate.verification`
// (docs/operations.md, "Kafka principals and ACLs"; decision 0032). Applied to
// every Producer, TransactionalProducer, Consumer and Admin created after
// InstallClientConfig, before the client's own settings and its `extra`
// (which may override them, e.g. a test acting as two principals).
struct ClientConfig {
  std::map<std::string, std::string> settings;
  // Where the settings came from ("FILE"), for messages; empty when none.
  std::string origin;
  // The SASL username (`sasl.username`) the broker authenticates this
  // process as; empty without SASL.
  std::string Principal() const;
};

// Parses `key=value` lines (`#` comments and blank lines skipped; spaces
// around key and value trimmed). kInvalidArgument naming "ORIGIN:LINE" and
// what is wrong for: a line without '=', an empty key or value, a key given
// twice, a key that is not a connection setting (see ClientConfig), a value
// librdkafka refuses (its value quoted only for names, protocols and
// paths, never for a secret), `sasl.mechanism` and its other name
// `sasl.mechanisms` both given, or SASL without both `sasl.username` and
// `sasl.password`.
[[nodiscard]] absl::StatusOr<ClientConfig> ParseClientConfig(std::string_view text,
                                                             std::string_view origin);
// Reads and parses FILE; kNotFound when it does not exist, kFailedPrecondition
// when it cannot be read, kInvalidArgument when it is not a regular file.
[[nodiscard]] absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path);

// Loads FILE (`--kafka-config`, env PILOTAGE_KAFKA_CONFIG) and makes it the
// process's ClientConfig; an empty path keeps the current one (none: the
// broker's PLAINTEXT listener). Call once at start-up, before any client is
// created; thread-safe, but clients created earlier keep what they had.
[[nodiscard]] absl::Status InstallClientConfig(const std::string& path);
// Replaces the process's ClientConfig (tests; InstallClientConfig uses it).
void SetClientConfig(ClientConfig config);
// A copy of the process's ClientConfig (empty settings when none).
ClientConfig CurrentClientConfig();

// The help text of `--kafka-config`, shared by every program.
inline constexpr char kClientConfigHelp[] =
    "librdkafka connection settings, key=value lines (security.protocol, sasl.*, ssl.*), "
    "used by every Kafka client of this program (docs/operations.md, \"Kafka principals and "
    "ACLs\")";

// The broker address for tests and tools: $PILOTAGE_KAFKA_BOOTSTRAP, else the
// first line of the file named by $PILOTAGE_KAFKA_BOOTSTRAP_FILE (written by
// scripts/kafka start). kNotFound with a hint when neither is set.
[[nodiscard]] absl::StatusOr<std::string> BootstrapFromEnvironment();

}  // namespace pilotage::kafka
