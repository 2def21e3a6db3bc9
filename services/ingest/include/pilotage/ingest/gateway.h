#pragma once
// pilotage-ingest: the operators' HTTP gateway. POST /v1/events takes one
// event or a batch (JSON, NDJSON, protobuf EventBatch), authenticates the
// bearer token, applies the operator's rate limit, validates every event with
// libs/intake, writes the valid ones to pilotage.activity.v1 and answers only
// once Kafka acknowledged each of them (idempotent producer, acks=all).
// Refusals are counted per operator and reason and written, redacted, to
// pilotage.rejected.v1. GET /healthz, GET /metrics (Prometheus text).
//
// Statuses: 200 every event accepted; 207 some accepted, some refused;
// 400 none accepted (bad input); 403 none accepted, a lot or event type the
// operator may not write; 401 missing/unknown/revoked token; 413 body or
// batch over a limit; 415 unknown Content-Type; 429 rate limit (Retry-After);
// 503 Kafka did not acknowledge (Retry-After; the events it did acknowledge
// are still listed as accepted), or refused the gateway's principal (no
// Retry-After: waiting does not mend it; the events' message and the log,
// at error level, say so).
// A POST /v1/events without a known token is answered 401 before its body
// is read. The HTTP layer's own refusals (limits, framing: libs/http) get
// the same JSON error shape, code HTTP_ERROR.
//
// Replay clock (demonstrations and load tests only, never in production):
// with GatewayOptions::replay_clock, a request may carry the header
// `X-Pilotage-Replay-Time` (RFC 3339, e.g. "2024-03-05T09:30:00Z"); the
// gateway then takes it as "now" for that request: recorded_at of its events
// and the clock-skew check. That is how a past year is replayed through the
// operators' real path with the recording times it had. Without the option
// the header is ignored (the gateway never trusts a sender's clock), and the
// option is refused unless the gateway listens on a loopback address. A
// malformed header is a 400 BAD_REPLAY_TIME.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/http/server.h"
#include "pilotage/ingest/config.h"
#include "pilotage/intake/intake.h"
#include "pilotage/topics/topics.h"

namespace pilotage::ingest {

struct GatewayOptions {
  std::string bootstrap;
  std::string host = "127.0.0.1";
  // 0: any free port (see Gateway::port()).
  int port = 8080;
  // HTTP handler threads. Default 16: requests mostly wait for Kafka's
  // acknowledgement, not for the CPU.
  int threads = 16;
  // HTTP I/O threads (asynchronous; slow clients hold none). Default 2.
  int io_threads = 2;
  // What a client may send and for how long (libs/http). The body limit is
  // validation.limits.max_body_bytes, whatever http_limits says.
  http::Limits http_limits;
  // Certificate and key files: HTTPS instead of HTTP (libs/http).
  http::TlsOptions tls;
  std::string activity_topic = pilotage::topics::kActivity;
  std::string rejected_topic = pilotage::topics::kRejected;
  intake::ValidationOptions validation;
  // How long a request waits for Kafka before answering 503. Default 10 s.
  std::chrono::milliseconds delivery_timeout{10000};
  // Retry-After advised with 503, seconds.
  int retry_after_s = 5;
  // See "Replay clock" above. Default off.
  bool replay_clock = false;
};

class Gateway {
 public:
  // Connects the producer (it does not wait for the broker), loads the TLS
  // certificate if any and binds the listening socket. kInvalidArgument for
  // bad options or TLS files, kUnavailable when the port cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Gateway>> Create(GatewayOptions options,
                                                                       GatewayConfig config);
  ~Gateway();

  // The bound port.
  int port() const;
  // Serves until Stop(); returns once every request in flight is answered.
  [[nodiscard]] absl::Status Serve();
  // Thread-safe, idempotent.
  void Stop();
  // Reads the TLS certificate and key again for new connections
  // (http::Server::ReloadTls). Thread-safe.
  [[nodiscard]] absl::Status ReloadTls();

  class Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::ingest
