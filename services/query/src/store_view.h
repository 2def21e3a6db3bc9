#pragma once
// The query service's view of the projector's store: RocksDB secondary
// instances (decision 0006) of the store DIR/current points to, caught up on
// a timer, reopened when the link is repointed after a rebuild (decision
// 0004).
//
// Consistency: two secondaries. Requests read the front one inside Read(),
// which holds the view shared; Refresh() catches the back one up with no
// lock (a catch-up replays what the projector wrote: long under load), then,
// if it moved, swaps front and back while holding the view exclusively
// (waiting for requests in flight). Every read of one request sees the same
// whole batches, a page's numbers agree, and catch-ups never stall requests.
// Between two refreshes that changed something the view has one
// `generation`; whatever is derived from the store (lot read models,
// answers) is cached per generation and dropped when it moves on.
//
// Thread-safety: every method may be called from any thread.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/cep.h"
#include "pilotage/projector/steering.h"
#include "pilotage/store/store.h"

namespace pilotage::query {

// How far the view is behind the event log, and since when.
struct Freshness {
  // The store served, relative to the data directory ("stores/initial").
  std::string store;
  // Per "topic/partition": the next offset the projector will fold.
  std::map<std::string, projection::PartitionProgress> progress;
  // Per "topic/partition": Kafka's end offset, as last asked (empty when
  // the service has no broker address or the broker did not answer).
  std::map<std::string, int64_t> end_offsets;
  absl::Time end_offsets_at = absl::InfinitePast();
  // Last successful catch-up of the secondary.
  absl::Time caught_up_at = absl::InfinitePast();
  // Sum over partitions of max(0, end - stored): events in the log the view
  // does not show yet. nullopt when end offsets are unknown.
  std::optional<int64_t> LagEvents() const;
};

// An answer of an earlier generation, with what its view knew.
struct StaleAnswer {
  std::string body;
  std::map<std::string, projection::PartitionProgress> progress;
  absl::Time caught_up_at;
};
using StaleAnswers = std::map<std::string, StaleAnswer>;

// What is derived from one generation of the view.
class Generation {
 public:
  Generation(uint64_t number, const store::Store* store) : number_(number), store_(store) {}
  uint64_t number() const { return number_; }

  // The lots with state in the store, sorted.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Lots();
  // A lot's read model (read once per generation).
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const projector::LotReadModel>> Lot(
      const std::string& lot_id);
  // A lot's steering read model (penalties, actions, statements), read once
  // per generation.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const projector::SteeringReadModel>> Steering(
      const std::string& lot_id);
  // Memoised answers of this generation, by key.
  std::optional<std::string> Cached(const std::string& key);
  void Remember(const std::string& key, std::string answer);
  // One mutex per key: concurrent requests for the same answer compute it
  // once (the others wait, then find it cached).
  std::shared_ptr<std::mutex> KeyMutex(const std::string& key);
  // True the first time it is called for `key`: the caller schedules its
  // computation.
  bool StartRefresh(const std::string& key);
  // Every answer computed in this generation.
  std::map<std::string, std::string> Answers();

 private:
  const uint64_t number_;
  const store::Store* const store_;
  std::mutex mu_;
  std::optional<std::vector<std::string>> lots_;
  std::map<std::string, std::shared_ptr<const projector::LotReadModel>> models_;
  std::map<std::string, std::shared_ptr<const projector::SteeringReadModel>> steering_;
  std::map<std::string, std::string> answers_;
  std::map<std::string, std::shared_ptr<std::mutex>> computing_;
  std::set<std::string> refreshing_;
};

struct StoreViewOptions {
  // The projector's data directory (DIR/current names the store).
  std::filesystem::path data_dir;
  // The secondary instance's own directory (its info log). Created.
  std::filesystem::path secondary_dir;
};

class StoreView {
 public:
  explicit StoreView(StoreViewOptions options);
  ~StoreView();

  // Opens the store if it is not open yet (or DIR/current moved), catches
  // up, and starts a new generation when the stored offsets changed.
  // kNotFound while the projector has not created its store yet.
  [[nodiscard]] absl::Status Refresh();

  // Records Kafka's end offsets (from the service's broker poller).
  void SetEndOffsets(std::map<std::string, int64_t> end_offsets, absl::Time at);

  // Runs `read` on one consistent view: kUnavailable (with why) when no
  // store is open yet.
  // `stale` holds the latest answer of earlier generations for each key
  // (those of the generation before, and those it had carried on).
  [[nodiscard]] absl::Status Read(
      const std::function<absl::Status(Generation&, const Freshness&, const StaleAnswers&)>& read);

  // Generation number (0 before the first open), for metrics.
  uint64_t generation() const;

 private:
  absl::Status Open(const std::filesystem::path& store_path);

  const StoreViewOptions options_;
  std::unique_ptr<projection::Projection> cep_;
  mutable std::shared_mutex mu_;  // exclusive: Refresh's catch-up; shared: Read
  // The instance requests read (front) and the one Refresh catches up.
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Store> back_;
  std::filesystem::path store_path_;
  std::shared_ptr<Generation> generation_;
  StaleAnswers stale_;
  // Moves generation_ on: its answers become stale answers.
  void NextGeneration();
  uint64_t generation_number_ = 0;
  Freshness freshness_;
  absl::Status last_error_ = absl::UnavailableError("the store has not been opened yet");
};

}  // namespace pilotage::query
