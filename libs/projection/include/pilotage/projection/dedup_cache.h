#pragma once
// The dedup memory of a projection store (decision 0015): which event ids
// were already folded, so that a resent event is skipped whenever it comes,
// and with what content (decision 0036), so that a resend of an id with other
// content is told apart from a plain resend.
//
// Ids are grouped by lot and week of occurred_at (a resend is the same event:
// same lot, id and occurred_at, so it lands in the same group). In the store,
// a group is one value of the seen family, under GroupKey(); it holds IdHash()
// of every id folded in it, 8 bytes each, grown by one append per batch.
// Beside it, under ContentKey() of the group key, the pairs (IdHash, content
// fingerprint), 16 bytes each, of the ids folded with a known fingerprint
// (stores written before decision 0036 have none: their ids' content is
// unknown, and a resend of them is never judged a conflict).
// In memory, the cache keeps some groups as hash maps (id -> fingerprint):
//
//   * Check() reads a group from the store the first time one of its events
//     comes (two Gets: ids and fingerprints), and says whether the event's id is in it or was
//     Add()ed to the open batch, so a resend inside one batch is caught too.
//   * CloseBatch() appends, per group the open batch added to, the ids it
//     added, to the caller's WriteBatch; the caller writes that WriteBatch
//     before the next CloseBatch (and before a cache built on the same store
//     afterwards reads it).
//   * Bound: once it holds more than `max_ids` ids, CloseBatch forgets the
//     groups least recently added to until it holds at most 3/4 of
//     `max_ids`, never a group of the batch it closes. A forgotten group is
//     read again from the store when an event of its comes, so it still holds
//     every id folded in it. The groups of the batch just closed may alone
//     exceed the bound until the next CloseBatch.
//
// Thread-safety: one thread at a time. The store must outlive the cache; it
// is only read (Get on the seen family).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "pilotage/store/store.h"

namespace pilotage::projection {

class DedupCache {
 private:
  struct Group {
    // Stored or added in the open batch, with their content fingerprint
    // (0: unknown).
    absl::flat_hash_map<uint64_t, uint64_t> ids;
    std::string pending;          // ids the open batch added, encoded
    std::string pending_content;  // their (id, fingerprint) pairs, encoded
    uint64_t last_batch = 0;      // the last batch that added some
  };
  using GroupMap = absl::node_hash_map<std::string, Group>;

 public:
  // What Check found; pass it to Add once the event is folded. Valid until the
  // next CloseBatch.
  struct Entry {
    bool seen = false;  // the id was folded already: the event is a resend
    uint64_t id = 0;
    uint64_t fingerprint = 0;        // the checked event's content (0: unknown)
    uint64_t known_fingerprint = 0;  // when seen: the folded copy's (0: unknown)
    GroupMap::value_type* group = nullptr;

    // A resend whose content differs from the copy folded, both known.
    bool conflicting() const {
      return seen && fingerprint != 0 && known_fingerprint != 0 && fingerprint != known_fingerprint;
    }
  };

  // `store` holds the seen family (kSeenFamily); `max_ids` is the bound.
  DedupCache(const store::Store& store, size_t max_ids) : store_(store), max_ids_(max_ids) {}
  DedupCache(const DedupCache&) = delete;
  DedupCache& operator=(const DedupCache&) = delete;

  // The seen key of (lot, week of occurred_at): lot_id, '\0', then the week
  // number (7-day weeks since 1970-01-01T00:00Z, rounded down) + 2^31 as 4
  // bytes big-endian.
  static std::string GroupKey(std::string_view lot_id, int64_t occurred_at_seconds);
  // The XXH3-64 of an event id, as stored.
  static uint64_t IdHash(std::string_view event_id);
  // The seen key of the fingerprints of the group `group_key`: the group key,
  // a NUL, then "content" (no group key of a lot id without NUL is one).
  static std::string ContentKey(std::string_view group_key);
  // Whether `key` of the seen family is a ContentKey.
  static bool IsContentKey(std::string_view key);

  // Whether the event (`event_id` of `lot_id`, occurred at
  // `occurred_at_seconds`) was folded already, and with which fingerprint;
  // `fingerprint` is the event's content fingerprint (ContentFingerprint in
  // batch_fold.h; 0: unknown, never a conflict), recorded by Add. Errors: the
  // store's read error; kDataLoss when the stored group is not a whole number
  // of 8-byte ids or its fingerprints of 16-byte pairs (the message says to
  // rebuild). After an error the cache must not be used.
  [[nodiscard]] absl::StatusOr<Entry> Check(std::string_view lot_id, int64_t occurred_at_seconds,
                                            std::string_view event_id, uint64_t fingerprint = 0);

  // Records the event Check returned `entry` for (not seen) as folded in the
  // open batch.
  void Add(const Entry& entry);

  // Closes the open batch: one Append per group it added to (two when some
  // fingerprints are known), into `batch`;
  // then applies the bound. The next batch opens.
  void CloseBatch(store::WriteBatch& batch);

  // Ids and groups held in memory.
  size_t cached_ids() const { return cached_ids_; }
  size_t cached_groups() const { return groups_.size(); }
  // Groups read from the store since construction (misses).
  int64_t group_reads() const { return group_reads_; }

 private:
  void Evict();

  const store::Store& store_;
  size_t max_ids_;
  GroupMap groups_;  // node map: Entry's pointers stay valid until eviction
  size_t cached_ids_ = 0;
  std::vector<GroupMap::value_type*> touched_;  // groups the open batch added to
  uint64_t batch_number_ = 1;                   // the open batch
  int64_t group_reads_ = 0;
  // The group of the previous Check: consecutive events often share it.
  std::string last_key_;
  GroupMap::value_type* last_group_ = nullptr;
};

}  // namespace pilotage::projection
