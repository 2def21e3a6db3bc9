#include "pilotage/metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "pilotage/testing/status.h"
#include "prometheus/counter.h"

namespace pilotage::metrics {
namespace {

// GET http://127.0.0.1:port/path, the whole response (HTTP/1.0: the server
// closes the connection when done).
std::string Get(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      ssize_t n;
      while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, n);
    }
  }
  ::close(fd);
  return response;
}

TEST(MetricsServer, ServesTheRegistryOnAFreeLoopbackPort) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter()
                     .Name("pilotage_test_things_total")
                     .Help("things counted by the test")
                     .Register(*registry);
  family.Add({{"topic", "t"}}).Increment(3);
  auto server = MetricsServer::Start({.port = 0}, registry);
  ASSERT_OK(server);
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->endpoint(), fmt::format("127.0.0.1:{}", (*server)->port()));
  const std::string body = Get((*server)->port(), "/metrics");
  EXPECT_NE(body.find("pilotage_test_things_total{topic=\"t\"} 3"), std::string::npos) << body;
}

TEST(MetricsServer, APortAlreadyTakenIsUnavailable) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto first = MetricsServer::Start({.port = 0}, registry);
  ASSERT_OK(first);
  auto second = MetricsServer::Start({.port = (*first)->port()}, registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status().ToString();
}

TEST(Serialize, WritesTheTextFormat) {
  prometheus::Registry registry;
  prometheus::BuildCounter().Name("pilotage_test_total").Help("h").Register(registry).Add({});
  EXPECT_NE(Serialize(registry).find("# TYPE pilotage_test_total counter"), std::string::npos);
}

TEST(ExponentialBuckets, MultipliesFromTheStart) {
  EXPECT_EQ(ExponentialBuckets(1, 10, 4), (std::vector<double>{1, 10, 100, 1000}));
  EXPECT_TRUE(ExponentialBuckets(1, 2, 0).empty());
}

}  // namespace
}  // namespace pilotage::metrics
