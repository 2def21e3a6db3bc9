#include "pilotage/testing/testing.h"

#include <unistd.h>

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

}  // namespace pilotage::testing
