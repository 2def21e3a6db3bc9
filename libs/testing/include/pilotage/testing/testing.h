#pragma once
// Helpers for pilotage's own tests: temporary directories, unique topic
// names and the local broker's address. Linked by tests only.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pilotage::testing {

// A fresh directory under the test's temporary area, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A topic name no other test uses: "test.<prefix>.<pid>.<random>".
std::string UniqueTopic(std::string_view prefix);

// The local broker's address (see kafka::BootstrapFromEnvironment); fails
// the calling test with a clear message when there is none. Also prints the
// broker's Kafka version once, from the `version` file beside the bootstrap
// file, so that the integration log shows which broker ran.
std::string BrokerOrFail();

// A loopback TCP port free at the time of the call (-1 if none).
int FreePort();

// A TCP socket connected to 127.0.0.1:`port` (the caller closes it), or -1.
// Reads on it fail after `receive_timeout_s` seconds, so that a server that
// never answers fails the test instead of hanging it.
int ConnectLoopback(int port, int receive_timeout_s = 30);

// The values of the first `want` messages of `topic`, read from offset 0 in a
// consumer group of their own; fewer if `timeout_s` passes first (the caller
// asserts the count). Fails the calling test on a consumer error.
std::vector<std::string> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                   size_t want, int timeout_s = 60);

}  // namespace pilotage::testing
