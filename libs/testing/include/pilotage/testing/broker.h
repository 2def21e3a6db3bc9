#pragma once
// The integration tests' clients of the real broker and their common steps:
// connect (admin, producer, topics), produce events, run the real
// pilotage-projector until it has folded everything written so far.
// Each function fails the calling test with ASSERT on a problem; call it
// under ASSERT_NO_FATAL_FAILURE to stop the test there.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pilotage/kafka/kafka.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::testing {

struct BrokerClients {
  std::string bootstrap;  // BrokerOrFail()
  std::unique_ptr<kafka::Admin> admin;
  std::unique_ptr<kafka::Producer> producer;  // only when asked for
};

// Fills `clients` (the broker's address, an admin and, with `producer`, a
// producer with acks=all) and creates each of `topics` with one partition.
void ConnectBroker(BrokerClients& clients, const std::vector<std::string>& topics,
                   bool producer = true);

// Produces `events` to `topic`, keyed by lot, in this order, and waits for
// every acknowledgement. `partition` -1 partitions by key.
void ProduceEvents(kafka::Producer& producer, const std::string& topic,
                   const std::vector<v1::Event>& events, int32_t partition = -1);

// One run of pilotage-projector that folds what `topics` (comma-separated)
// hold and exits (`run --until-caught-up`, logs at warn).
struct ProjectorCatchUp {
  std::string bootstrap;
  std::filesystem::path data;
  std::string topics;
  std::string dead_letter_topic;
  std::string group;
  std::filesystem::path log;  // the projector's stderr; its tail is shown on failure
};

// Runs `binary` as described above and asserts it exited 0.
void RunProjectorUntilCaughtUp(const std::string& binary, const ProjectorCatchUp& run);

}  // namespace pilotage::testing
