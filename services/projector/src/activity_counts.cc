#include "pilotage/projector/activity_counts.h"

#include <algorithm>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/store/coding.h"

namespace pilotage::projector {
namespace {}  // namespace

absl::StatusOr<std::unique_ptr<ActivityCounts>> ActivityCounts::Create() {
  absl::StatusOr<absl::TimeZone> paris = domain::ParisTimeZone();
  if (!paris.ok()) return paris.status();
  return std::unique_ptr<ActivityCounts>(new ActivityCounts(*paris));
}

std::vector<store::ColumnFamilyOptions> ActivityCounts::StateColumnFamilies() const {
  return readmodel::layout::ActivityCountsFamilies();
}

absl::Status ActivityCounts::Fold(const v1::Event& event, const projection::Origin&) {
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("event has no occurred_at");
  const absl::Time at = absl::FromUnixSeconds(event.occurred_at().seconds());
  const absl::CivilMonth month = absl::ToCivilMonth(at, paris_);
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(event.body_case());
  readmodel::layout::ActivityCountKey(key_, event.lot_id(), month, field->name());
  ++delta_[key_];
  return absl::OkStatus();
}

absl::Status ActivityCounts::Flush(const store::Store& store, store::WriteBatch& batch) {
  for (const auto& [key, delta] : delta_) {
    auto current = store.Get(kFamily, key);
    if (!current.ok()) return current.status();
    int64_t value = 0;
    if (current->has_value()) {
      auto decoded = store::DecodeFixed64(**current, "activity count");
      if (!decoded.ok()) return decoded.status();
      value = *decoded;
    }
    batch.Put(kFamily, key, store::EncodeFixed64(value + delta));
  }
  delta_.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int64_t>> ActivityCounts::ReadAll(const store::Store& store) {
  std::map<std::string, int64_t> out;
  absl::Status bad;
  absl::Status s = store.ForEach(kFamily, "", [&](std::string_view key, std::string_view value) {
    auto count = store::DecodeFixed64(value, "activity count");
    if (!count.ok()) {
      bad = count.status();
      return false;
    }
    std::string readable(key);
    std::replace(readable.begin(), readable.end(), '\0', '|');
    out[readable] = *count;
    return true;
  });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return out;
}

}  // namespace pilotage::projector
