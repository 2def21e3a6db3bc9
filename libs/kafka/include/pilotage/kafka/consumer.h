#pragma once
// pilotage::kafka's consumer: a member of a consumer group that starts each
// partition it is assigned at the offset its caller stored, reads committed
// records only, and closes within a bound (decision 0035). Errors:
// pilotage/kafka/common.h.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/kafka/common.h"

namespace pilotage::kafka {

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

// Told of partition assignment changes. Called on the thread that calls
// Consumer::Poll or Consumer::Close, inside them.
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
  // Bound of Close() (and of the destructor) once the first assignment is
  // known: how long it waits to leave the group cleanly before closing
  // without leaving, e.g. when the broker is down. Default 10 s.
  std::chrono::milliseconds close_timeout{10000};
  // Any other librdkafka setting, applied last.
  std::map<std::string, std::string> extra;
};

// Memory: besides what the handler keeps, a consumer holds up to 32 MiB of
// prefetched messages (queued.max.messages.kbytes; decision 0018), plus one
// fetch response in flight.
// Not thread-safe: one thread polls. Close() (or the destructor) leaves the
// group cleanly, calling OnRevoked for what it held, within a bound (Close).
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
  // client; a fatal client error or a listener error is returned, and so is
  // the broker's ACLs refusing this principal a topic or the group
  // (kPermissionDenied naming the topic, or the group when librdkafka names
  // no topic).
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

  // Leaves the group (OnRevoked for what it held, on this thread) and
  // destroys the client. Idempotent. Bounded: it first waits at most
  // session_timeout for a pending first assignment, then at most
  // close_timeout to leave; past that (broker or group coordinator
  // unreachable) it closes without leaving, logs a warning, and the group
  // moves this member's partitions after session_timeout. Close commits no
  // offset itself: they stay where the caller stored them.
  void Close();

  class Impl;

 private:
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::kafka
