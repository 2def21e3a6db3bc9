#include "pilotage/testing/testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <map>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>

#include "gtest/gtest.h"
#include "pilotage/kafka/kafka.h"

namespace pilotage::testing {
namespace {

uint64_t RandomId() {
  static std::mt19937_64 rng(std::random_device{}());
  return rng();
}

}  // namespace

TempDir::TempDir() {
  path_ = std::filesystem::path(::testing::TempDir()) /
          ("pilotage-" + std::to_string(::getpid()) + "-" + std::to_string(RandomId()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string UniqueTopic(std::string_view prefix) {
  return "test." + std::string(prefix) + "." + std::to_string(::getpid()) + "." +
         std::to_string(RandomId() % 1000000000);
}

std::string BrokerOrFail() {
  auto bootstrap = kafka::BootstrapFromEnvironment();
  if (!bootstrap.ok()) {
    ADD_FAILURE() << bootstrap.status();
    return "";
  }
  static bool printed = false;
  if (!printed) {
    printed = true;
    std::string version = "unknown";
    if (const char* file = std::getenv("PILOTAGE_KAFKA_BOOTSTRAP_FILE")) {
      std::ifstream in(std::filesystem::path(file).parent_path() / "version");
      std::getline(in, version);
    }
    std::cout << "real Apache Kafka broker " << version << " at " << *bootstrap << std::endl;
  }
  return *bootstrap;
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

int ConnectLoopback(int port, int receive_timeout_s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval failsafe{.tv_sec = receive_timeout_s, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &failsafe, sizeof failsafe);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::vector<std::string> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                   size_t want, int timeout_s) {
  struct FromZero : kafka::RebalanceListener {
    absl::StatusOr<std::map<kafka::TopicPartition, int64_t>> OnAssigned(
        const std::vector<kafka::TopicPartition>&) override {
      return std::map<kafka::TopicPartition, int64_t>{};
    }
    void OnRevoked(const std::vector<kafka::TopicPartition>&) override {}
  } listener;
  std::vector<std::string> values;
  auto consumer = kafka::Consumer::Create(
      {.bootstrap = bootstrap, .group_id = topic + ".reader", .topics = {topic}}, &listener);
  if (!consumer.ok()) {
    ADD_FAILURE() << consumer.status();
    return values;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (values.size() < want && std::chrono::steady_clock::now() < deadline) {
    auto n = (*consumer)->Poll(100, std::chrono::milliseconds(500),
                               [&](const kafka::Message& m) { values.emplace_back(m.value); });
    if (!n.ok()) {
      ADD_FAILURE() << n.status();
      break;
    }
  }
  return values;
}

}  // namespace pilotage::testing
