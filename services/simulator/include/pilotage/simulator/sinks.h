#pragma once
// Where pilotage-simulator sends its events (see EventSink in simulator.h).
//
//   DiscardSink  counts nothing, keeps nothing: --dry-run.
//   NdjsonSink   the v1 JSON mapping (proto field names), one event a line.
//   KafkaSink    straight to the activity topic, key = lot id, value = the
//                binary protobuf Event, through pilotage::kafka::Producer.
//                "Fast mode": recorded_at is set by the simulator, emulating
//                the ingest gateway.
//
// Not here yet: the gateway mode, which will POST EventBatch bodies to the
// ingest service with each lot's operator token and let the gateway set
// recorded_at. It will be one more EventSink built next to these.

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "pilotage/simulator/simulator.h"

namespace pilotage::simulator {

class DiscardSink : public EventSink {
 public:
  absl::Status Send(const v1::Event&) override { return absl::OkStatus(); }
  absl::Status Finish() override { return absl::OkStatus(); }
};

// Writes to `out`, which must outlive the sink. Send fails with kUnavailable
// when the stream fails (disk full, closed pipe); Finish flushes.
class NdjsonSink : public EventSink {
 public:
  explicit NdjsonSink(std::ostream* out) : out_(out) {}
  absl::Status Send(const v1::Event& event) override;
  absl::Status Finish() override;

 private:
  std::ostream* out_;
  std::string line_;
};

struct KafkaSinkOptions {
  // "host:port[,host:port]".
  std::string bootstrap;
  // Default: the activity topic of EVENTS.md.
  std::string topic = "pilotage.activity.v1";
  // How long Finish waits for the last acknowledgements. Default: 2 minutes.
  std::chrono::milliseconds flush_timeout{120'000};
};

class KafkaSink : public EventSink {
 public:
  // Checks that the broker answers and the topic exists (kUnavailable,
  // kNotFound with the topic's name) before anything is sent.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaSink>> Create(
      const KafkaSinkOptions& options);
  ~KafkaSink() override;

  // Queues the event; fails only if it cannot be queued (see
  // kafka::Producer::Send). Delivery failures are counted, not returned.
  absl::Status Send(const v1::Event& event) override;
  // Waits for every acknowledgement; kUnavailable saying how many of the
  // messages failed (and the first reason) if any did.
  absl::Status Finish() override;

  // Messages the broker acknowledged, and those that failed, so far.
  int64_t acknowledged() const;
  int64_t failed() const;

  class Impl;

 private:
  explicit KafkaSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::simulator
