#pragma once
// The store a projection engine writes: the projection's state column
// families plus the engine's own bookkeeping, all in one RocksDB database.
//
//   meta      "projection" -> "<name>:<version>" of the projection that wrote it
//             "layout" -> kEngineLayout, the layout of seen and progress
//   seen      "<lot_id>\0" + week of occurred_at (4 bytes, big-endian, biased
//             by 2^31; weeks of 7 days since 1970-01-01T00:00Z) -> the
//             XXH3-64 of the event_id of every event of that lot and week
//             folded, 8 bytes each (little-endian), in fold order; grown by
//             appends (dedup, decision 0015)
//             the same key + "\0content" -> (that XXH3-64, the content
//             fingerprint of the event folded), 16 bytes each, in fold order;
//             absent in stores written before decision 0036 (the content of
//             their ids is unknown: a resend of them is never a conflict)
//   progress  "<topic>/<partition>" -> PartitionProgress: the next offset to
//             read and cumulative counters
//
// Progress, seen ids and state change together, in one atomic batch: the
// store is always the fold of an exact prefix of each partition.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "pilotage/projection/projection.h"
#include "pilotage/store/store.h"

namespace pilotage::projection {

inline constexpr std::string_view kMetaFamily = "meta";
inline constexpr std::string_view kSeenFamily = "seen";
inline constexpr std::string_view kProgressFamily = "progress";

// The layout of the engine's own families. 1 (no "layout" key): one seen key
// per event. 2: seen ids grouped by lot and week. A store of another layout
// is refused with a message that says to rebuild it.
inline constexpr std::string_view kEngineLayout = "2";

// Cumulative counters of one partition, as stored.
struct PartitionProgress {
  int64_t next_offset = 0;
  int64_t folded = 0;
  int64_t duplicates = 0;
  int64_t dead_letters = 0;
};

// Every column family a store of `projection` holds.
store::StoreOptions ProjectionStoreOptions(const Projection& projection,
                                           store::StoreOptions base = {});

// Opens (creating if missing) the store of `projection` at `path`. A store
// written by another projection or version is kFailedPrecondition, with a
// message that says to rebuild it.
[[nodiscard]] absl::StatusOr<std::unique_ptr<store::Store>> OpenProjectionStore(
    std::string_view path, const Projection& projection, store::StoreOptions base = {});

// Same check, read-only, for readers beside a running projector.
[[nodiscard]] absl::StatusOr<std::unique_ptr<store::Store>> OpenProjectionStoreReadOnly(
    std::string_view path, const Projection& projection, store::StoreOptions base = {});

// "<name>:<version>" as recorded in meta.
std::string ProjectionTag(const Projection& projection);

// Per partition ("topic/partition") progress recorded in `store`.
[[nodiscard]] absl::StatusOr<std::map<std::string, PartitionProgress>> ReadProgress(
    const store::Store& store);

std::string EncodeProgress(const PartitionProgress& progress);
[[nodiscard]] absl::StatusOr<PartitionProgress> DecodeProgress(std::string_view bytes);

// A stable SHA-256 (hex) over every (family, key, value) of the projection's
// state families and the seen ids, in key order (each seen group's ids
// sorted, so that the order in which they were folded does not matter; other values in the
// projection's DigestForm, entries it maps to nullopt left out); progress (offsets and
// counters) is left out so that two stores folding the same events agree however they
// were batched, interrupted or resumed.
[[nodiscard]] absl::StatusOr<std::string> StateDigest(const store::Store& store,
                                                      const Projection& projection);

}  // namespace pilotage::projection
