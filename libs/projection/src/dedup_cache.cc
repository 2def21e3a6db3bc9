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
constexpr std::string_view kContentSuffix{"\0content", 8};

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

std::string DedupCache::ContentKey(std::string_view group_key) {
  std::string key(group_key);
  key.append(kContentSuffix);
  return key;
}

bool DedupCache::IsContentKey(std::string_view key) { return key.ends_with(kContentSuffix); }

absl::StatusOr<DedupCache::Entry> DedupCache::Check(std::string_view lot_id,
                                                    int64_t occurred_at_seconds,
                                                    std::string_view event_id,
                                                    uint64_t fingerprint) {
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
          loaded.ids.emplace(static_cast<uint64_t>(store::ReadFixed64(bytes.data() + i)), 0);
        }
        cached_ids_ += loaded.ids.size();
        // The fingerprints, of the ids folded since decision 0036.
        auto content = store_.Get(kSeenFamily, ContentKey(key));
        if (!content.ok()) return content.status();
        if (content->has_value()) {
          const std::string& pairs = **content;
          if (pairs.size() % 16 != 0) {
            return absl::DataLossError(fmt::format(
                "projector: seen fingerprints of {} bytes, not a multiple of 16: rebuild the "
                "store (pilotage-projector rebuild --into NEW_DIR)",
                pairs.size()));
          }
          for (size_t i = 0; i < pairs.size(); i += 16) {
            auto it = loaded.ids.find(static_cast<uint64_t>(store::ReadFixed64(pairs.data() + i)));
            if (it != loaded.ids.end()) {
              it->second = static_cast<uint64_t>(store::ReadFixed64(pairs.data() + i + 8));
            }
          }
        }
      }
      it = groups_.emplace(key, std::move(loaded)).first;
    }
    last_key_ = key;
    last_group_ = &*it;
  }
  const uint64_t id = IdHash(event_id);
  Entry entry{.id = id, .fingerprint = fingerprint, .group = last_group_};
  if (auto it = last_group_->second.ids.find(id); it != last_group_->second.ids.end()) {
    entry.seen = true;
    entry.known_fingerprint = it->second;
  }
  return entry;
}

void DedupCache::Add(const Entry& entry) {
  Group& group = entry.group->second;
  if (!group.ids.emplace(entry.id, entry.fingerprint).second) return;
  ++cached_ids_;
  if (group.pending.empty()) touched_.push_back(entry.group);
  store::AppendFixed64(group.pending, static_cast<int64_t>(entry.id));
  if (entry.fingerprint != 0) {
    store::AppendFixed64(group.pending_content, static_cast<int64_t>(entry.id));
    store::AppendFixed64(group.pending_content, static_cast<int64_t>(entry.fingerprint));
  }
  group.last_batch = batch_number_;
}

void DedupCache::CloseBatch(store::WriteBatch& batch) {
  for (GroupMap::value_type* group : touched_) {
    batch.Append(kSeenFamily, group->first, group->second.pending);
    group->second.pending.clear();
    if (!group->second.pending_content.empty()) {
      batch.Append(kSeenFamily, ContentKey(group->first), group->second.pending_content);
      group->second.pending_content.clear();
    }
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
