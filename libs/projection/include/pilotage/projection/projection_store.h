#pragma once
// The store a projection engine writes: the projection's state column
// families plus the engine's own bookkeeping, all in one RocksDB database.
//
//   meta      "projection" -> "<name>:<version>" of the projection that wrote it
//   seen      XXH3-128 of "<lot_id>\0<event_id>" (16 bytes) -> "" for every
//             event folded (dedup)
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
// state families and the seen ids, in key order; progress (offsets and
// counters) is left out so that two stores folding the same events agree however they
// were batched, interrupted or resumed.
[[nodiscard]] absl::StatusOr<std::string> StateDigest(const store::Store& store,
                                                      const Projection& projection);

}  // namespace pilotage::projection
