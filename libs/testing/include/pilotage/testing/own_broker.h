#pragma once
// A Kafka broker of one test's own (scripts/kafka in a directory of the
// test), for tests that stop and restart it while the broker of the shared
// ctest fixture stays up for the others.

#include <filesystem>
#include <string>

namespace pilotage::testing {

// Not thread-safe. Start and Stop fail the calling test (ADD_FAILURE) when
// scripts/kafka fails; check ::testing::Test::HasFailure() or running().
class OwnBroker {
 public:
  // `script`: scripts/kafka of the source tree; `dir`: the broker's data,
  // logs and pid, kept across a Stop and Start.
  OwnBroker(std::filesystem::path script, std::filesystem::path dir);
  // Stops the broker if it runs.
  ~OwnBroker();
  OwnBroker(const OwnBroker&) = delete;
  OwnBroker& operator=(const OwnBroker&) = delete;

  // Starts the broker; `fresh` wipes its directory first. The first start
  // learns its address; a later one must come back on the same address
  // (scripts/kafka keeps the ports when free): a failure otherwise.
  void Start(bool fresh = false);
  // Stops it (scripts/kafka stop: a clean shutdown).
  void Stop();

  // "127.0.0.1:PORT" once started; empty before.
  const std::string& bootstrap() const { return bootstrap_; }
  bool running() const { return running_; }

 private:
  std::filesystem::path script_, dir_;
  std::string bootstrap_;
  bool running_ = false;
};

}  // namespace pilotage::testing
