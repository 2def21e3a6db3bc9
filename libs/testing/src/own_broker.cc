#include "pilotage/testing/own_broker.h"

#include <sstream>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/testing/process.h"

namespace pilotage::testing {
namespace {

RunResult Kafka(const std::filesystem::path& script, const std::filesystem::path& dir,
                const std::string& command, bool fresh = false) {
  std::vector<std::string> args = {script.string(), command};
  if (fresh) args.push_back("--fresh");
  args.insert(args.end(), {"--dir", dir.string()});
  return RunProgram("bash", args, /*with_stderr=*/true);
}

}  // namespace

OwnBroker::OwnBroker(std::filesystem::path script, std::filesystem::path dir)
    : script_(std::move(script)), dir_(std::move(dir)) {}

OwnBroker::~OwnBroker() {
  if (running_) Kafka(script_, dir_, "stop");
}

void OwnBroker::Start(bool fresh) {
  const RunResult start = Kafka(script_, dir_, "start", fresh);
  running_ = start.code == 0;
  if (!running_) {
    ADD_FAILURE() << "scripts/kafka start: " << start.output;
    return;
  }
  const auto pos = start.output.rfind("bootstrap=");
  if (pos == std::string::npos) {
    ADD_FAILURE() << "scripts/kafka start printed no bootstrap=: " << start.output;
    return;
  }
  std::string address;
  std::istringstream(start.output.substr(pos + 10)) >> address;
  if (!bootstrap_.empty() && address != bootstrap_) {
    ADD_FAILURE() << "the broker came back on " << address << ", not " << bootstrap_;
  }
  bootstrap_ = address;
}

void OwnBroker::Stop() {
  const RunResult stop = Kafka(script_, dir_, "stop");
  running_ = false;
  if (stop.code != 0) ADD_FAILURE() << "scripts/kafka stop: " << stop.output;
}

}  // namespace pilotage::testing
