#pragma once
// Does a store hold the whole, current log? The one place that answers it:
// a store's Freshness (open.h: per "topic/partition", the next offset the
// projector will fold) against the log's end offsets, read from Kafka by the
// caller (kafka::Admin::EndOffsets; this library stays Kafka-free).
//
// Readers that decide (the penalty job, `pilotagectl statement --issue`) open
// their store with OpenTrusted and refuse one that is not Complete(); the
// query service's readiness uses CompareWithLog the same way. Decision
// docs/decisions/0028-trusting-a-store.md.
//
// What counts:
//   - missing: a partition of the log that holds events (end offset > 0) and
//     that the store has never folded (no progress recorded for it). Two
//     projectors in one consumer group split the partitions between their
//     stores: each store misses the other's. A partition without any event
//     is not missing (there is nothing to fold).
//   - behind: a partition folded up to next_offset < end offset; it lags by
//     end - next_offset log positions (events, and transaction markers: the
//     projector records the position past a trailing marker, so a store that
//     folded everything is never 1 behind because of one).
// Partitions the store folded but that are not in `end_offsets` (other
// topics) are ignored. The end offsets are those a read_committed reader
// sees (kafka::Watermarks::high).
//
// Thread-safety: values and pure functions; OpenTrusted blocks the calling
// thread while it waits.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pilotage/readmodel/open.h"

namespace pilotage::readmodel {

// The log's end offset per "topic/partition", for every partition of every
// topic the store must fold.
using EndOffsets = std::map<std::string, int64_t>;

// A partition the store folded only in part.
struct PartitionBehind {
  std::string partition;    // "topic/partition"
  int64_t next_offset = 0;  // folded up to (excluded)
  int64_t end_offset = 0;   // the log's end
  int64_t lag() const { return end_offset - next_offset; }
};

// How a store compares with the log. Sorted by partition.
struct Coverage {
  std::vector<std::string> missing;
  std::vector<PartitionBehind> behind;
  // Log partitions compared (those of end_offsets).
  int partitions = 0;

  bool Complete() const { return missing.empty() && behind.empty(); }
  // Sum of lag() over `behind` (missing partitions not counted).
  int64_t EventsBehind() const;
  // One line for messages, in French (screens, what a pilot reads):
  //   "2 partition(s) sur 4 jamais intégrée(s) : a/1, b/1 ; 1 en retard :
  //    a/0 de 3 événement(s) (intégrée jusqu'à 7, fin du journal 10)"
  // "toutes les 4 partitions à jour" when Complete().
  std::string DescribeFrench() const;
  // The same in English (logs, API).
  std::string DescribeEnglish() const;
};

// Compares `freshness` with `end_offsets` (see the top of the file).
Coverage CompareWithLog(const Freshness& freshness, const EndOffsets& end_offsets);
// The same comparison of the progress per "topic/partition" alone (e.g. of
// a view that keeps it without the rest of a Freshness).
Coverage CompareWithLog(const std::map<std::string, projection::PartitionProgress>& progress,
                        const EndOffsets& end_offsets);

// How OpenTrusted waits for a store that is behind.
struct TrustOptions {
  // How long to wait, in all, for the projector to catch up; zero: no wait.
  absl::Duration wait = absl::ZeroDuration();
  // Between two openings.
  absl::Duration poll = absl::Milliseconds(500);
  // Called after each refused opening that will be retried, with its
  // coverage (e.g. to say that the job waits). May be empty.
  std::function<void(const Coverage&)> on_retry;
};

// Opens DIR/current read-only (ReadStore::OpenReadOnly) and compares it with
// `end_offsets`. While it is not Complete() and `options.wait` has not run
// out, reopens a new snapshot every `options.poll`. Returns the first
// complete snapshot. Otherwise kFailedPrecondition, IsStoreNotTrusted, whose
// message names the store and the missing and behind partitions (French,
// DescribeFrench) and says what to do; the opening's own errors as they are.
[[nodiscard]] absl::StatusOr<std::unique_ptr<ReadStore>> OpenTrusted(
    const std::filesystem::path& data_dir, const EndOffsets& end_offsets,
    const TrustOptions& options = {});

// The refusal OpenTrusted returns for `coverage` of the store at `where`.
absl::Status NotTrustedError(const StoreLocation& where, const Coverage& coverage);
// A refusal for another reason the store cannot be trusted (e.g. an awarded
// lot without terms): kFailedPrecondition, IsStoreNotTrusted, `message`.
absl::Status NotTrustedError(std::string message);

// True for the errors above: the store does not hold what a decision needs.
// Programs exit with service::kExitStoreNotTrusted on them.
bool IsStoreNotTrusted(const absl::Status& status);

}  // namespace pilotage::readmodel
