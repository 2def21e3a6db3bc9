#pragma once
// Synthetic activity events for engine tests and benchmarks, with their
// ground truth worked out by construction (not by the code under test):
// each event happens at 12:00 UTC on a chosen day of 2024, which is the same
// day — hence the same month — in Europe/Paris.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace pilotage::testing {

struct SyntheticOptions {
  std::string bootstrap;
  std::string topic;
  int64_t events = 100000;    // distinct events (resends come on top)
  double resend_share = 0.0;  // share of events sent a second time, later
  int64_t undecodable = 0;    // payloads that are not an Event at all
  uint64_t seed = 1;
  bool progress = false;  // print progress on stderr
};

struct SyntheticTruth {
  // "lot|YYYY-MM|type" -> number of distinct events.
  std::map<std::string, int64_t> counts;
  int64_t distinct = 0;
  int64_t resends = 0;
  int64_t undecodable = 0;
  int64_t sent = 0;  // messages written to the topic
};

// Receives each message in the order it would be sent: key (the lot) and value.
using SyntheticSink = std::function<absl::Status(const std::string& key, const std::string& value)>;

// Hands the messages to `sink` (options.bootstrap and topic are not used), in
// the order ProduceSynthetic sends them; stops at the first error of `sink`.
[[nodiscard]] absl::StatusOr<SyntheticTruth> GenerateSynthetic(const SyntheticOptions& options,
                                                               const SyntheticSink& sink);

// Produces the events (keyed by lot) and waits until Kafka acknowledged all.
[[nodiscard]] absl::StatusOr<SyntheticTruth> ProduceSynthetic(const SyntheticOptions& options);

}  // namespace pilotage::testing
