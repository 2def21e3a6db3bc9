#pragma once
// pilotage::kafka's admin client: topic creation, partition counts, topic
// settings and end offsets, for tools, tests and benchmarks. Errors:
// pilotage/kafka/common.h.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/kafka/common.h"

namespace pilotage::kafka {

struct Watermarks {
  int64_t low = 0;
  // The end offset as a read_committed reader sees it: the next offset to be
  // written, or, while a transaction is open, its first offset (the last
  // stable offset). Transaction markers count.
  int64_t high = 0;
};

// Thread-safe.
class Admin {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Admin>> Create(std::string bootstrap);
  ~Admin();

  // Creates a topic; kAlreadyExists if it exists. `configs`: topic settings
  // such as {"retention.ms", "-1"}.
  [[nodiscard]] absl::Status CreateTopic(
      std::string_view topic, int partitions,
      const std::map<std::string, std::string>& configs = {},
      std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));

  // Number of partitions of a topic; kNotFound when it does not exist.
  [[nodiscard]] absl::StatusOr<int> PartitionCount(
      std::string_view topic, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  // The value of one topic setting as the broker applies it, e.g.
  // TopicConfig("pilotage.activity.v1", "retention.ms") == "-1".
  [[nodiscard]] absl::StatusOr<std::string> TopicConfig(
      std::string_view topic, std::string_view name,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  [[nodiscard]] absl::StatusOr<Watermarks> QueryWatermarks(
      const TopicPartition& tp,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  // The end offset (Watermarks::high) of every partition of `topics`, keyed
  // "topic/partition" (TopicPartition::ToString), as readmodel::EndOffsets
  // wants it. `timeout` bounds each broker call. kNotFound naming the topic
  // when one does not exist.
  [[nodiscard]] absl::StatusOr<std::map<std::string, int64_t>> EndOffsets(
      const std::vector<std::string>& topics,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  class Impl;

 private:
  explicit Admin(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pilotage::kafka
