#pragma once
// The query service's view of the projector's store: RocksDB secondary
// instances (decision 0006, opened through libs/readmodel) of the store
// DIR/current points to, caught up on a timer, reopened when the link is repointed after a rebuild
// (decision 0004); and the answers computed from it (decisions 0014, 0017).
//
// Consistency: two secondaries. Read() runs a computation on the front one
// while holding that instance (not the view) shared; Refresh() catches the
// back one up while holding it exclusively (waiting, on the refresh thread
// only, for computations still reading it), then swaps front and back under
// a mutex held for a few pointer moves. Every read of one computation sees
// the same whole batches, a page's numbers agree, and neither a catch-up nor
// a computation ever holds what a request needs. Between two refreshes that
// changed something the view has one `generation`; what is derived from the
// store (lot read models without their journeys, steering, activity spans)
// is kept per generation and freed off the request path (by the refresh
// thread or the last computation that read it).
//
// Answers: the newest answer computed for each key (URL and token scope) is
// kept (within a bound of bytes, least recently used forgotten first: see
// answer_cache.h) with the view state it was computed on, whatever the
// generation since:
// a request is answered from it at once, with that view's freshness, and
// learns whether it is outdated (the caller recomputes it in the
// background). Only a key never computed on the current store has to be
// computed on the request path.
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
#include "answer_cache.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/readmodel/steering.h"
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

// One instance of the store and the computations reading it.
struct Instance {
  std::unique_ptr<readmodel::ReadStore> store;
  // Shared: a computation reads it; exclusive: Refresh catches it up.
  std::shared_mutex reading;
  // Its secondary directory, and the table files it saw at its last
  // catch-up (or open): when a catch-up shows a new one, the instance is
  // opened again (store::Store::CatchUp says why: the KPI cells would count
  // twice what its memtable replayed before the primary flushed it).
  std::filesystem::path secondary_dir;
  std::vector<std::string> table_files;
  // Its last catch-up or reopen failed: it is opened again, not caught up
  // (nor read: Refresh does not swap it in).
  bool failed = false;
};

// What a view knew when it was current: the freshness an answer computed on
// it shows.
struct ViewState {
  uint64_t generation = 0;
  std::string store;
  std::map<std::string, projection::PartitionProgress> progress;
  // Last catch-up that found this view current (moves while it is current;
  // read and written under the StoreView's mutex).
  absl::Time caught_up_at = absl::InfinitePast();
};

// What is derived from one generation of the view.
class Generation {
 public:
  Generation(std::shared_ptr<ViewState> view, std::shared_ptr<Instance> instance)
      : view_(std::move(view)), instance_(std::move(instance)) {}
  uint64_t number() const { return view_->generation; }
  const std::shared_ptr<ViewState>& view() const { return view_; }

  // The lots with state in the store, sorted.
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> Lots();
  // A lot's read model without its journeys (read once per generation):
  // KPIs, counters, statements and fund usage are read from the KPI cells
  // of store() (readmodel::EvaluateLotCells, ReadActivityCounters,
  // LotSteering::cells), so what is kept per lot does not grow with its
  // journeys.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const readmodel::LotReadModel>> Lot(
      const std::string& lot_id);
  // The span of a lot's activity (readmodel::ReadActivitySpan), read once
  // per generation.
  [[nodiscard]] absl::StatusOr<std::optional<readmodel::ActivitySpan>> ActivitySpan(
      const std::string& lot_id);
  // The store this generation reads, for the readings done per answer (the
  // KPI and funnel cells of a period): valid while the computation that was
  // given this Generation runs.
  const store::Store& store() const { return instance_->store->store(); }
  // A lot's steering read model (penalties, actions, statements), read once
  // per generation.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const readmodel::SteeringReadModel>> Steering(
      const std::string& lot_id);
  // The ingest gateway's refusals that name no lot, by day and code
  // (readmodel::ReadGatewayRefusals of the empty lot), read on each call
  // (the answer cache keeps what is built from them).
  [[nodiscard]] absl::StatusOr<std::map<absl::CivilDay, std::map<std::string, int64_t>>>
  RefusalsWithoutLot() const {
    return readmodel::ReadGatewayRefusals(store(), "");
  }
  // One mutex per key: concurrent computations of the same answer on this
  // generation run once (the others wait, then find it remembered).
  std::shared_ptr<std::mutex> KeyMutex(const std::string& key);
  // Gives back what KeyMutex returned (unlocked): forgotten when nobody else
  // holds it, so that distinct keys never asked again do not pile up.
  void ReleaseKey(const std::string& key, std::shared_ptr<std::mutex> held);

 private:
  const std::shared_ptr<ViewState> view_;
  const std::shared_ptr<Instance> instance_;
  std::mutex mu_;
  std::optional<std::vector<std::string>> lots_;
  std::map<std::string, std::shared_ptr<const readmodel::LotReadModel>> models_;
  std::map<std::string, std::optional<readmodel::ActivitySpan>> spans_;
  std::map<std::string, std::shared_ptr<const readmodel::SteeringReadModel>> steering_;
  std::map<std::string, std::shared_ptr<std::mutex>> computing_;
};

// A remembered answer: its JSON object without the closing brace (freshness
// goes after), the view it was computed on, and the Paris day it was judged
// on ("YYYY-MM-DD": penalty deadlines depend on it).
struct Answer {
  std::string body;
  std::string day;
  std::shared_ptr<ViewState> view;
};

// An answer as served: the remembered one, its view's freshness, and whether
// the view moved since it was computed.
struct Served {
  std::shared_ptr<const Answer> answer;
  Freshness freshness;
  bool outdated = false;
};

struct StoreViewOptions {
  // The projector's data directory (DIR/current names the store).
  std::filesystem::path data_dir;
  // The secondary instance's own directory (its info log). Created.
  std::filesystem::path secondary_dir;
  // Bound of the remembered answers (AnswerCache). Default 64 MiB.
  size_t answer_cache_bytes = size_t{64} << 20;
};

// The remembered answers' size, for metrics.
struct AnswerCacheStats {
  size_t bytes = 0;
  size_t entries = 0;
  uint64_t evictions = 0;
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

  // Runs `read` on one consistent view (the current generation, with its
  // freshness): kUnavailable (with why) when no store is open yet. Holds
  // the instance read, not the view: requests and refreshes go on.
  [[nodiscard]] absl::Status Read(
      const std::function<absl::Status(Generation&, const Freshness&)>& read);

  // The newest answer remembered for `key` on the current store, or
  // nullopt.
  std::optional<Served> Find(const std::string& key) const;
  // Remembers `answer` for `key`, unless one of a later generation is
  // remembered or the store was reopened since it was computed.
  void Remember(const std::string& key, std::shared_ptr<const Answer> answer);

  // Generation number (0 before the first open), for metrics.
  uint64_t generation() const;
  AnswerCacheStats answer_cache() const;

 private:
  absl::Status Open(const readmodel::StoreLocation& where);
  Freshness FreshnessOf(const ViewState& view) const;  // under mu_

  const StoreViewOptions options_;
  // Guards the members below; held only for pointer moves and copies of
  // small maps, never during a catch-up or a computation.
  mutable std::mutex mu_;
  // The instance computations read (front) and the one Refresh catches up
  // (only the refresh thread changes these two).
  std::shared_ptr<Instance> front_;
  std::shared_ptr<Instance> back_;
  std::filesystem::path store_path_;
  std::shared_ptr<Generation> generation_;
  // The first generation of the store open now: older answers are not shown.
  uint64_t first_generation_ = 0;
  uint64_t generation_number_ = 0;
  // Find() marks an answer recently used: mutable.
  mutable AnswerCache answers_;
  std::map<std::string, int64_t> end_offsets_;
  absl::Time end_offsets_at_ = absl::InfinitePast();
  absl::Status last_error_ = absl::UnavailableError("the store has not been opened yet");
};

}  // namespace pilotage::query
