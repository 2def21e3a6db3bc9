#pragma once
// pilotage-projector's metrics (names in docs/operations.md): counters and
// histograms fed by the engine's BatchObserver, per-partition offset gauges
// fed by the batches and by a timer that asks Kafka for end offsets, and the
// progress of a rebuild.
//
// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "pilotage/projection/engine.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace pilotage::projector {

class ProjectorMetrics : public projection::BatchObserver {
 public:
  // Registers the families in `registry`, which must outlive this.
  explicit ProjectorMetrics(prometheus::Registry& registry);

  void OnBatchWritten(const projection::BatchReport& report) override;

  // The next offset stored for a partition (as read from the store at start).
  void SetStoredOffset(const std::string& topic, int32_t partition, int64_t next_offset);
  // The partition's end offset (high watermark) as Kafka last said.
  void SetEndOffset(const std::string& topic, int32_t partition, int64_t end_offset);
  // A PenaltyProposed was refused (dead letter) because its penalty id is
  // already in the ledger with another amount.
  void PenaltyConflict();
  // A rebuild has read `done` of the `total` events it replays.
  void SetRebuildProgress(int64_t done, int64_t total);

  // Online backups are on, every `interval`: registers the backup metrics
  // (absent when backups are off) with the last backup known at start
  // (`last` 0: none yet).
  void EnableBackups(std::chrono::seconds interval, std::chrono::system_clock::time_point last,
                     int64_t last_bytes);
  // A backup was taken (time and size), or one failed.
  void BackupTaken(std::chrono::system_clock::time_point at, int64_t bytes);
  void BackupFailed();

 private:
  struct Partition {
    prometheus::Gauge* stored = nullptr;
    prometheus::Gauge* end = nullptr;
    prometheus::Gauge* lag = nullptr;
    int64_t stored_offset = 0;
    int64_t end_offset = -1;  // unknown until Kafka says
  };
  Partition& PartitionLocked(const std::string& topic, int32_t partition);
  void SetStoredOffsetLocked(const std::string& topic, int32_t partition, int64_t next_offset);
  static void UpdateLagLocked(Partition& p);

  prometheus::Counter& folded_;
  prometheus::Counter& duplicates_;
  prometheus::Counter& dead_letters_;
  prometheus::Counter& penalty_conflicts_;
  prometheus::Family<prometheus::Counter>& conflicting_resends_;
  prometheus::Counter& batches_;
  prometheus::Histogram& batch_events_;
  prometheus::Histogram& batch_write_seconds_;
  prometheus::Family<prometheus::Gauge>& stored_family_;
  prometheus::Family<prometheus::Gauge>& end_family_;
  prometheus::Family<prometheus::Gauge>& lag_family_;
  prometheus::Gauge& rebuild_done_;
  prometheus::Gauge& rebuild_total_;
  prometheus::Gauge& rebuild_ratio_;
  prometheus::Registry& registry_;
  // Null until EnableBackups.
  prometheus::Gauge* backup_interval_ = nullptr;
  prometheus::Gauge* backup_last_time_ = nullptr;
  prometheus::Gauge* backup_last_bytes_ = nullptr;
  prometheus::Counter* backups_ = nullptr;
  prometheus::Counter* backup_failures_ = nullptr;

  std::mutex mu_;
  std::map<std::pair<std::string, int32_t>, Partition> partitions_;
};

}  // namespace pilotage::projector
