#include "pilotage/metrics/metrics.h"

#include <exception>
#include <utility>

#include "fmt/format.h"
#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace pilotage::metrics {

class MetricsServer::Impl {
 public:
  Impl(std::unique_ptr<prometheus::Exposer> exposer, std::shared_ptr<prometheus::Registry> registry)
      : exposer_(std::move(exposer)), registry_(std::move(registry)) {
    exposer_->RegisterCollectable(registry_);
  }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
};

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, std::shared_ptr<prometheus::Registry> registry) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("metrics: empty listen address");
  }
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(fmt::format("metrics: bad port {}", options.port));
  }
  // civetweb wants IPv6 addresses in brackets.
  const std::string host = options.address.find(':') != std::string::npos
                               ? fmt::format("[{}]", options.address)
                               : options.address;
  const std::string bind = fmt::format("{}:{}", host, options.port);
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(bind, options.threads);
  } catch (const std::exception& e) {
    // civetweb says only "null context when constructing CivetServer".
    return absl::UnavailableError(fmt::format(
        "metrics: cannot listen on {} (port taken or address not local): {}", bind, e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  const int port = ports.empty() ? options.port : ports.front();
  return std::unique_ptr<MetricsServer>(new MetricsServer(
      std::make_unique<Impl>(std::move(exposer), std::move(registry)), options.address, port));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl, std::string address, int port)
    : impl_(std::move(impl)), address_(std::move(address)), port_(port) {}

MetricsServer::~MetricsServer() = default;

std::string MetricsServer::endpoint() const { return fmt::format("{}:{}", address_, port_); }

std::string Serialize(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> bounds;
  bounds.reserve(count > 0 ? count : 0);
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

}  // namespace pilotage::metrics
