#pragma once
// Kafka's end offsets of the topics the projector folds, asked on a thread
// of their own at a fixed interval (the projector's lag, /readyz, the
// coverage check of decisions).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pilotage/kafka/kafka.h"

namespace pilotage::query {

// Reads the end offsets of every partition of `topics` (keyed
// "topic/partition") every `interval` and hands each answer to `sink`, on
// the poller's thread; an unanswered request is logged at debug level and
// skipped. The thread owns the admin client and its copy of the topics.
//
// The destructor stops the thread and joins it. librdkafka 2.0.2 (Debian 12)
// can stay in rd_kafka_query_watermark_offsets long past its timeout
// (confluentinc/librdkafka#2588, fixed in 2.3.0): the destructor waits 5 s
// at most for a request in flight, and only then leaves the thread behind
// (detached, with a warning) so that the service still stops. `sink` is
// called under a mutex the destructor takes to clear it: once the
// destructor returned, `sink` is never called again.
class EndOffsetsPoller {
 public:
  using Sink = std::function<void(std::map<std::string, int64_t>)>;
  EndOffsetsPoller(std::unique_ptr<kafka::Admin> admin, std::vector<std::string> topics,
                   std::chrono::milliseconds interval, Sink sink);
  ~EndOffsetsPoller();
  EndOffsetsPoller(const EndOffsetsPoller&) = delete;
  EndOffsetsPoller& operator=(const EndOffsetsPoller&) = delete;

 private:
  // Shared with the thread: it outlives the poller if the thread is left
  // behind.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    bool finished = false;
    Sink sink;
  };
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace pilotage::query
