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
//   GatewaySink  the operators' real path: POSTs protobuf EventBatch bodies
//                to pilotage-ingest with each operator's bearer token; the
//                gateway validates and sets recorded_at. With replay_clock,
//                each request carries X-Pilotage-Replay-Time (the gateway
//                must run with --replay-clock) so that a past year keeps the
//                recording times the simulator chose, late reporting included.

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "pilotage/simulator/simulator.h"
#include "pilotage/topics/topics.h"

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
  // Default: the activity topic (docs/events.md).
  std::string topic = pilotage::topics::kActivity;
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

struct GatewaySinkOptions {
  // "http://127.0.0.1:8080".
  std::string url;
  // The bearer token of an operator: "{operator}" is replaced by its id.
  // Required (scripts/demo-tokens makes one for a local demonstration).
  std::string token_template;
  bool replay_clock = false;
  // Events per request (the gateway's default limit is 1000).
  int batch_events = 500;
  // Gives up after this many answers 429/503 in a row for one batch.
  int max_retries = 30;
};

// Buffers each operator's events and POSTs them as one EventBatch when the
// buffer is full or, with replay_clock, when the Europe/Paris day of
// recorded_at changes (so that every event of a request is recorded on its
// own day, and the replay time is the latest recorded_at of the request).
// 429 and 503 are retried after Retry-After; refused events (200/207/400
// answers) are counted by reason, not fatal; 401/403/413/415 and transport
// errors stop the run with the gateway's message.
class GatewaySink : public EventSink {
 public:
  // Checks GET /healthz first (kUnavailable naming the URL).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GatewaySink>> Create(
      const GatewaySinkOptions& options);
  ~GatewaySink() override;

  absl::Status Send(const v1::Event& event) override;
  // Sends what is buffered.
  absl::Status Finish() override;

  int64_t accepted() const;
  int64_t refused() const;
  int64_t requests() const;
  // "FUTURE_TIMESTAMP: 3, PERSONAL_DATA: 1" (sorted), empty when none.
  std::string RefusalsByReason() const;

  class Impl;

 private:
  explicit GatewaySink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::simulator
