#include "pilotage/projection/dedup_cache.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/coding.h"

namespace pilotage::projection {
namespace {

constexpr int64_t kWeekSeconds = 7 * 86400;

void AssignGroupKey(std::string& key, std::string_view lot_id, int64_t seconds) {
  const int64_t week =
      seconds >= 0 ? seconds / kWeekSeconds : -((-seconds + kWeekSeconds - 1) / kWeekSeconds);
  const uint32_t biased = static_cast<uint32_t>(week + (int64_t{1} << 31));
  key.assign(lot_id);
  key.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(biased >> shift));
}

}  // namespace

std::string DedupCache::GroupKey(std::string_view lot_id, int64_t occurred_at_seconds) {
  std::string key;
  AssignGroupKey(key, lot_id, occurred_at_seconds);
  return key;
}

uint64_t DedupCache::IdHash(std::string_view event_id) {
  return XXH3_64bits(event_id.data(), event_id.size());
}

absl::StatusOr<DedupCache::Entry> DedupCache::Check(std::string_view lot_id,
                                                    int64_t occurred_at_seconds,
                                                    std::string_view event_id) {
  // A reused buffer: this runs once per event.
  thread_local std::string key;
  AssignGroupKey(key, lot_id, occurred_at_seconds);
  if (last_group_ == nullptr || last_key_ != key) {
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      // Every group a batch not yet written added to is in memory (Evict
      // keeps them), so a group read here holds everything folded in it.
      auto stored = store_.Get(kSeenFamily, key);
      if (!stored.ok()) return stored.status();
      ++group_reads_;
      Group loaded;
      if (stored->has_value()) {
        const std::string& bytes = **stored;
        if (bytes.size() % 8 != 0) {
          return absl::DataLossError(
              fmt::format("projector: seen group of {} bytes, not a multiple of 8: rebuild the "
                          "store (pilotage-projector rebuild --into NEW_DIR)",
                          bytes.size()));
        }
        loaded.ids.reserve(bytes.size() / 8);
        for (size_t i = 0; i < bytes.size(); i += 8) {
          loaded.ids.insert(static_cast<uint64_t>(store::ReadFixed64(bytes.data() + i)));
        }
        cached_ids_ += loaded.ids.size();
      }
      it = groups_.emplace(key, std::move(loaded)).first;
    }
    last_key_ = key;
    last_group_ = &*it;
  }
  const uint64_t id = IdHash(event_id);
  return Entry{.seen = last_group_->second.ids.contains(id), .id = id, .group = last_group_};
}

void DedupCache::Add(const Entry& entry) {
  Group& group = entry.group->second;
  if (!group.ids.insert(entry.id).second) return;
  ++cached_ids_;
  if (group.pending.empty()) touched_.push_back(entry.group);
  store::AppendFixed64(group.pending, static_cast<int64_t>(entry.id));
  group.last_batch = batch_number_;
}

void DedupCache::CloseBatch(store::WriteBatch& batch) {
  for (GroupMap::value_type* group : touched_) {
    batch.Append(kSeenFamily, group->first, group->second.pending);
    group->second.pending.clear();
  }
  touched_.clear();
  Evict();
  ++batch_number_;
}

void DedupCache::Evict() {
  if (cached_ids_ <= max_ids_) return;
  std::vector<std::pair<uint64_t, const std::string*>> candidates;
  for (const auto& [key, group] : groups_) {
    if (group.last_batch < batch_number_) candidates.emplace_back(group.last_batch, &key);
  }
  std::sort(candidates.begin(), candidates.end());
  const size_t target = max_ids_ - max_ids_ / 4;
  std::vector<std::string> evicted;
  for (const auto& [last, key] : candidates) {
    if (cached_ids_ <= target) break;
    cached_ids_ -= groups_.at(*key).ids.size();
    evicted.push_back(*key);
  }
  for (const auto& key : evicted) groups_.erase(key);
  last_group_ = nullptr;
  last_key_.clear();
}

}  // namespace pilotage::projection
