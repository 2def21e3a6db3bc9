#pragma once
// Metrics of every pilotage program, one way: prometheus-cpp families in a
// Registry, exposed in Prometheus's text format over HTTP.
//
// Naming: `pilotage_<program>_<what>_<base unit>`, `_total` for counters,
// seconds for durations; labels have bounded values only (topic, partition,
// operator, outcome, and the lot for business gauges (16 lots) — never an
// event id, a beneficiary or a token).
//
// A program either serves its registry on a port of its own (MetricsServer,
// as pilotage-projector does) or, when it already has an HTTP server, answers
// GET /metrics itself with Serialize() (as pilotage-ingest does).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace pilotage::metrics {

struct MetricsServerOptions {
  // Address to listen on. Loopback by default: expose it wider on purpose.
  std::string address = "127.0.0.1";
  // TCP port; 0 picks a free one (see MetricsServer::port()).
  int port = 0;
  // Threads answering scrapes.
  size_t threads = 2;
};

// Serves a Registry at GET /metrics until destroyed.
//
// Thread-safety: the registry and its families may be used from any thread
// (prometheus-cpp's metrics are thread-safe); Start and the destructor from
// one.
class MetricsServer {
 public:
  // Listens at once. kUnavailable if the address or port cannot be bound
  // (port taken: pick another), kInvalidArgument for a bad address.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::shared_ptr<prometheus::Registry> registry);
  ~MetricsServer();

  // The port actually bound (useful with port 0).
  int port() const { return port_; }
  // "address:port", for logs.
  std::string endpoint() const;

  class Impl;

 private:
  MetricsServer(std::unique_ptr<Impl> impl, std::string address, int port);
  std::unique_ptr<Impl> impl_;
  std::string address_;
  int port_;
};

// The registry in Prometheus's text exposition format (version 0.0.4), for a
// program that answers GET /metrics on its own HTTP server.
std::string Serialize(prometheus::Registry& registry);

// The Content-Type of Serialize()'s text.
inline constexpr const char* kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// `count` bucket bounds start, start*factor, start*factor^2, ... (histograms
// of sizes and durations spanning orders of magnitude).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

}  // namespace pilotage::metrics
