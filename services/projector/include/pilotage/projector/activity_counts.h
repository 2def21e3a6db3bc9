#pragma once
// The first projection: how many events of each type each lot reported per
// month (Europe/Paris event time). It proves the engine end to end; the CEP
// read models (journeys, KPIs) are projections of their own.
//
// State: column family activity_counts of libs/readmodel's layout.h,
//   "<lot_id>\0<YYYY-MM>\0<event type>" -> count (8 bytes, little-endian)
// where the event type is the body's field name, e.g. "appointment_held".

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pilotage/projection/projection.h"
#include "pilotage/readmodel/layout.h"

namespace pilotage::projector {

class ActivityCounts : public projection::Projection {
 public:
  static constexpr std::string_view kFamily = readmodel::layout::kActivityCounts;

  // Fails when the Europe/Paris time zone cannot be loaded (Debian's tzdata).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ActivityCounts>> Create();

  std::string_view Name() const override { return readmodel::layout::kActivityCountsProjection; }
  uint32_t Version() const override { return readmodel::layout::kActivityCountsVersion; }
  std::vector<store::ColumnFamilyOptions> StateColumnFamilies() const override;
  // Refuses (kInvalidArgument) an event without occurred_at.
  absl::Status Fold(const v1::Event& event, const projection::Origin& origin) override;
  absl::Status Flush(const store::Store& store, store::WriteBatch& batch) override;
  void Discard() override { delta_.clear(); }

  // Every count in `store`, keyed "lot|month|type", for tools and tests.
  [[nodiscard]] static absl::StatusOr<std::map<std::string, int64_t>> ReadAll(
      const store::Store& store);

 private:
  explicit ActivityCounts(absl::TimeZone paris) : paris_(paris) {}
  absl::TimeZone paris_;
  std::unordered_map<std::string, int64_t> delta_;
  std::string key_;
};

}  // namespace pilotage::projector
