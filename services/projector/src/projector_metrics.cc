#include "projector_metrics.h"

#include <algorithm>
#include <chrono>

#include "pilotage/metrics/metrics.h"

namespace pilotage::projector {
namespace {

prometheus::Counter& NewCounter(prometheus::Registry& registry, const std::string& name,
                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Gauge& NewGauge(prometheus::Registry& registry, const std::string& name,
                            const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

ProjectorMetrics::ProjectorMetrics(prometheus::Registry& registry)
    : folded_(NewCounter(registry, "pilotage_projector_events_folded_total",
                         "Events folded into the read models (durably written)")),
      duplicates_(NewCounter(registry, "pilotage_projector_events_duplicate_total",
                             "Events skipped because their id was already folded for the lot")),
      dead_letters_(NewCounter(registry, "pilotage_projector_events_dead_lettered_total",
                               "Events written to the dead-letter topic instead of folded")),
      penalty_conflicts_(
          NewCounter(registry, "pilotage_projector_penalty_conflicts_total",
                     "PenaltyProposed refused (dead-lettered): their penalty id is already in "
                     "the ledger with another amount (a decision re-priced)")),
      conflicting_resends_(
          prometheus::BuildCounter()
              .Name("pilotage_projector_conflicting_resends_total")
              .Help("Events dead-lettered because their id was already folded for the lot with "
                    "other content (a conflicting resend), by lot")
              .Register(registry)),
      batches_(NewCounter(registry, "pilotage_projector_batches_total",
                          "Atomic batches written to the store")),
      batch_events_(prometheus::BuildHistogram()
                        .Name("pilotage_projector_batch_events")
                        .Help("Events per atomic batch")
                        .Register(registry)
                        .Add({}, metrics::ExponentialBuckets(1, 4, 9))),
      batch_write_seconds_(prometheus::BuildHistogram()
                               .Name("pilotage_projector_batch_write_duration_seconds")
                               .Help("Time to write one atomic batch to the store")
                               .Register(registry)
                               .Add({}, metrics::ExponentialBuckets(0.0005, 2.5, 12))),
      stored_family_(prometheus::BuildGauge()
                         .Name("pilotage_projector_stored_offset")
                         .Help("Next offset to fold, as stored with the read models")
                         .Register(registry)),
      end_family_(prometheus::BuildGauge()
                      .Name("pilotage_projector_end_offset")
                      .Help("End offset (high watermark) of the partition in Kafka, refreshed "
                            "on a timer")
                      .Register(registry)),
      lag_family_(prometheus::BuildGauge()
                      .Name("pilotage_projector_lag")
                      .Help("Events in Kafka not yet folded: end offset - stored offset")
                      .Register(registry)),
      rebuild_done_(NewGauge(registry, "pilotage_projector_rebuild_events",
                             "Events the running rebuild has replayed")),
      rebuild_total_(NewGauge(registry, "pilotage_projector_rebuild_target_events",
                              "Events the running rebuild replays in all")),
      rebuild_ratio_(NewGauge(registry, "pilotage_projector_rebuild_progress_ratio",
                              "Share of the running rebuild done, 0 to 1")),
      registry_(registry) {}

void ProjectorMetrics::EnableBackups(std::chrono::seconds interval,
                                     std::chrono::system_clock::time_point last,
                                     int64_t last_bytes) {
  std::lock_guard lock(mu_);
  if (backup_interval_ == nullptr) {
    backup_interval_ = &NewGauge(registry_, "pilotage_projector_backup_interval_seconds",
                                 "How often the projector takes an online backup");
    backup_last_time_ = &NewGauge(registry_, "pilotage_projector_last_backup_timestamp_seconds",
                                  "When the newest complete backup was taken (Unix time; the "
                                  "projector's start when there is none yet)");
    backup_last_bytes_ =
        &NewGauge(registry_, "pilotage_projector_last_backup_bytes",
                  "Size of the newest backup's files (hard links counted in full)");
    backups_ = &NewCounter(registry_, "pilotage_projector_backups_total",
                           "Online backups taken by this process");
    backup_failures_ = &NewCounter(registry_, "pilotage_projector_backup_failures_total",
                                   "Online backups that failed in this process");
  }
  backup_interval_->Set(static_cast<double>(interval.count()));
  backup_last_time_->Set(std::chrono::duration<double>(last.time_since_epoch()).count());
  backup_last_bytes_->Set(static_cast<double>(last_bytes));
}

void ProjectorMetrics::BackupTaken(std::chrono::system_clock::time_point at, int64_t bytes) {
  std::lock_guard lock(mu_);
  if (backup_interval_ == nullptr) return;
  backup_last_time_->Set(std::chrono::duration<double>(at.time_since_epoch()).count());
  backup_last_bytes_->Set(static_cast<double>(bytes));
  backups_->Increment();
}

void ProjectorMetrics::BackupFailed() {
  std::lock_guard lock(mu_);
  if (backup_failures_ != nullptr) backup_failures_->Increment();
}

void ProjectorMetrics::PenaltyConflict() { penalty_conflicts_.Increment(); }

void ProjectorMetrics::OnBatchWritten(const projection::BatchReport& report) {
  folded_.Increment(static_cast<double>(report.folded));
  duplicates_.Increment(static_cast<double>(report.duplicates));
  dead_letters_.Increment(static_cast<double>(report.dead_letters));
  batches_.Increment();
  batch_events_.Observe(static_cast<double>(report.events));
  batch_write_seconds_.Observe(std::chrono::duration<double>(report.write_time).count());
  for (const auto& [lot, n] : report.conflicting_resends) {
    conflicting_resends_.Add({{"lot", lot}}).Increment(static_cast<double>(n));
  }
  std::lock_guard lock(mu_);
  for (const auto& [tp, next] : report.next_offsets) {
    SetStoredOffsetLocked(tp.first, tp.second, next);
  }
}

void ProjectorMetrics::SetStoredOffset(const std::string& topic, int32_t partition,
                                       int64_t next_offset) {
  std::lock_guard lock(mu_);
  SetStoredOffsetLocked(topic, partition, next_offset);
}

void ProjectorMetrics::SetStoredOffsetLocked(const std::string& topic, int32_t partition,
                                             int64_t next_offset) {
  Partition& p = PartitionLocked(topic, partition);
  p.stored_offset = next_offset;
  p.stored->Set(static_cast<double>(next_offset));
  UpdateLagLocked(p);
}

void ProjectorMetrics::SetEndOffset(const std::string& topic, int32_t partition,
                                    int64_t end_offset) {
  std::lock_guard lock(mu_);
  Partition& p = PartitionLocked(topic, partition);
  p.end_offset = end_offset;
  p.end->Set(static_cast<double>(end_offset));
  UpdateLagLocked(p);
}

void ProjectorMetrics::SetRebuildProgress(int64_t done, int64_t total) {
  rebuild_done_.Set(static_cast<double>(done));
  rebuild_total_.Set(static_cast<double>(total));
  rebuild_ratio_.Set(total > 0 ? std::min(1.0, static_cast<double>(done) / total) : 1.0);
}

ProjectorMetrics::Partition& ProjectorMetrics::PartitionLocked(const std::string& topic,
                                                               int32_t partition) {
  auto [it, inserted] = partitions_.try_emplace({topic, partition});
  if (inserted) {
    const prometheus::Labels labels{{"topic", topic}, {"partition", std::to_string(partition)}};
    it->second.stored = &stored_family_.Add(labels);
    it->second.end = &end_family_.Add(labels);
    it->second.lag = &lag_family_.Add(labels);
  }
  return it->second;
}

void ProjectorMetrics::UpdateLagLocked(Partition& p) {
  // Computed once Kafka said where the end is.
  if (p.end_offset < 0) return;
  p.lag->Set(static_cast<double>(std::max<int64_t>(0, p.end_offset - p.stored_offset)));
}

}  // namespace pilotage::projector
