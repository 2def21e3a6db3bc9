#pragma once
// pilotage::kafka's vocabulary shared by its clients: a partition of a topic,
// and how every client reports errors.
//
// Errors are absl::Status with retry advice in the code:
//   kUnavailable      broker down, timed out, queue full: retry later;
//   kNotFound         unknown topic or partition;
//   kInvalidArgument  bad setting or oversized message: never retry;
//   kInternal         fatal client error (e.g. idempotence broken): recreate;
//   kAborted          with IsFenced(): another sender with the same
//                     transactional.id took over (TransactionalProducer);
//   kPermissionDenied authentication failed, or the broker's ACLs do not let
//                     this principal do it (names the topic, group or id).
// Messages name the topic, partition and setting involved.

#include <compare>
#include <cstdint>
#include <string>

namespace pilotage::kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const TopicPartition&) const = default;
  std::string ToString() const;  // "topic/partition"
};

}  // namespace pilotage::kafka
