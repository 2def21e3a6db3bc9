#include "store_view.h"

#include <algorithm>
#include <system_error>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pilotage::query {

namespace fs = std::filesystem;

std::optional<int64_t> Freshness::LagEvents() const {
  if (end_offsets.empty()) return std::nullopt;
  int64_t lag = 0;
  for (const auto& [key, end] : end_offsets) {
    int64_t stored = 0;
    if (auto it = progress.find(key); it != progress.end()) stored = it->second.next_offset;
    lag += std::max<int64_t>(0, end - stored);
  }
  return lag;
}

absl::StatusOr<std::vector<std::string>> Generation::Lots() {
  std::lock_guard lock(mu_);
  if (!lots_) {
    auto lots = readmodel::ListLots(store());
    if (!lots.ok()) return lots.status();
    lots_ = std::move(*lots);
  }
  return *lots_;
}

absl::StatusOr<std::shared_ptr<const readmodel::LotReadModel>> Generation::Lot(
    const std::string& lot_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = models_.find(lot_id); it != models_.end()) return it->second;
  }
  // Read outside the lock: two computations may read the same lot once each.
  auto model = readmodel::ReadLot(store(), lot_id, {.journeys = false});
  if (!model.ok()) return model.status();
  auto shared = std::make_shared<const readmodel::LotReadModel>(std::move(*model));
  std::lock_guard lock(mu_);
  return models_.emplace(lot_id, std::move(shared)).first->second;
}

absl::StatusOr<std::optional<readmodel::ActivitySpan>> Generation::ActivitySpan(
    const std::string& lot_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = spans_.find(lot_id); it != spans_.end()) return it->second;
  }
  auto span = readmodel::ReadActivitySpan(store(), lot_id);
  if (!span.ok()) return span.status();
  std::lock_guard lock(mu_);
  return spans_.emplace(lot_id, *span).first->second;
}

absl::StatusOr<std::shared_ptr<const readmodel::SteeringReadModel>> Generation::Steering(
    const std::string& lot_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = steering_.find(lot_id); it != steering_.end()) return it->second;
  }
  auto model = readmodel::ReadSteering(store(), lot_id);
  if (!model.ok()) return model.status();
  auto shared = std::make_shared<const readmodel::SteeringReadModel>(std::move(*model));
  std::lock_guard lock(mu_);
  return steering_.emplace(lot_id, std::move(shared)).first->second;
}

std::shared_ptr<std::mutex> Generation::KeyMutex(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& m = computing_[key];
  if (!m) m = std::make_shared<std::mutex>();
  return m;
}

void Generation::ReleaseKey(const std::string& key, std::shared_ptr<std::mutex> held) {
  std::lock_guard lock(mu_);
  auto it = computing_.find(key);
  // Copies are only made under mu_: two owners (the map and `held`) means
  // nobody else waits on it.
  if (it != computing_.end() && it->second == held && held.use_count() == 2) {
    computing_.erase(it);
  }
}

StoreView::StoreView(StoreViewOptions options)
    : options_(std::move(options)), answers_(options_.answer_cache_bytes) {}
StoreView::~StoreView() = default;

absl::Status StoreView::Open(const readmodel::StoreLocation& where) {
  // Two secondaries of the same store: computations read the front one
  // while Refresh catches the back one up, then swaps them.
  std::shared_ptr<Instance> pair[2];
  for (int i = 0; i < 2; ++i) {
    pair[i] = std::make_shared<Instance>();
    pair[i]->secondary_dir = options_.secondary_dir / (i == 0 ? "a" : "b");
    auto store = readmodel::ReadStore::OpenSecondary(where, pair[i]->secondary_dir);
    if (!store.ok()) return store.status();
    pair[i]->store = std::move(*store);
    pair[i]->table_files = pair[i]->store->store().TableFiles();
  }
  // The first view's freshness is the offsets stored with it, from the
  // start: an answer computed before the first catch-up must not show an
  // empty progress (no lag, no dead letters) nor an unknown catch-up time
  // (opening a secondary reads the store as it is then, like a catch-up).
  const readmodel::Freshness& opened = pair[0]->store->freshness();
  auto state = std::make_shared<ViewState>();
  state->caught_up_at = opened.opened_at;
  state->store = where.name;
  state->progress = opened.progress;
  // What the old store's view held is freed after the lock, on this thread.
  std::shared_ptr<Generation> old;
  AnswerCache old_answers(0);
  std::shared_ptr<Instance> old_front, old_back;
  std::lock_guard lock(mu_);
  old_front = std::exchange(front_, std::move(pair[0]));
  old_back = std::exchange(back_, std::move(pair[1]));
  store_path_ = where.path;
  state->generation = ++generation_number_;
  first_generation_ = state->generation;
  old = std::exchange(generation_, std::make_shared<Generation>(std::move(state), front_));
  old_answers = answers_.TakeAll();  // another store: nothing of the old one is shown
  return absl::OkStatus();
}

absl::Status StoreView::Refresh() {
  auto where = readmodel::CurrentStore(options_.data_dir);
  if (!where.ok()) {
    std::lock_guard lock(mu_);
    last_error_ = absl::UnavailableError(std::string(where.status().message()));
    return where.status();
  }
  bool need_open;
  {
    std::lock_guard lock(mu_);
    need_open = !front_ || fs::weakly_canonical(where->path) != fs::weakly_canonical(store_path_);
  }
  if (need_open) {
    if (front_)
      spdlog::info("query: {} was repointed to {}, switching", options_.data_dir.string(),
                   where->path.string());
    if (auto s = Open(*where); !s.ok()) {
      std::lock_guard lock(mu_);
      last_error_ = absl::UnavailableError(std::string(s.message()));
      return s;
    }
  }
  // Only this thread swaps front and back: back_ is stable here. It is
  // caught up once the computations of an earlier generation that still
  // read it are done (this thread waits for them, requests do not).
  std::map<std::string, projection::PartitionProgress> progress;
  {
    std::unique_lock catching_up(back_->reading);
    absl::Status s;
    // After a failed catch-up or reopen the instance is not caught up again
    // but opened again: what a failed catch-up left is not trusted.
    bool reopen = back_->failed;
    if (!reopen) {
      s = back_->store->CatchUp();
      // A new table file: the primary flushed (or compacted what it
      // flushed) since this instance last looked, so what its memtable
      // replayed may now also be in a table (counted twice in the KPI
      // cells): a new secondary replaces it.
      if (s.ok()) {
        const std::vector<std::string> files = back_->store->store().TableFiles();
        reopen = !std::includes(back_->table_files.begin(), back_->table_files.end(), files.begin(),
                                files.end());
      }
    }
    if (s.ok() && reopen) {
      auto reopened = readmodel::ReadStore::OpenSecondary(*where, back_->secondary_dir);
      if (reopened.ok()) {
        back_->store = std::move(*reopened);
        back_->table_files = back_->store->store().TableFiles();
      }
      s = reopened.status();
    }
    // Not swapped in after a failure (the front one keeps being served), and
    // opened again at the next refresh.
    back_->failed = !s.ok();
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      last_error_ = s;
      return s;
    }
    progress = back_->store->freshness().progress;
  }
  std::shared_ptr<Generation> old;  // freed after the lock, on this thread
  std::lock_guard lock(mu_);
  last_error_ = absl::OkStatus();
  const ViewState& current = *generation_->view();
  bool changed = progress.size() != current.progress.size();
  for (const auto& [key, p] : progress) {
    if (changed) break;
    auto it = current.progress.find(key);
    changed = it == current.progress.end() || it->second.next_offset != p.next_offset;
  }
  const absl::Time now = absl::Now();
  if (changed) {
    std::swap(front_, back_);
    auto state = std::make_shared<ViewState>(ViewState{.generation = ++generation_number_,
                                                       .store = current.store,
                                                       .progress = std::move(progress),
                                                       .caught_up_at = now});
    old = std::exchange(generation_, std::make_shared<Generation>(std::move(state), front_));
  } else {
    generation_->view()->caught_up_at = now;
  }
  return absl::OkStatus();
}

void StoreView::SetEndOffsets(std::map<std::string, int64_t> end_offsets, absl::Time at) {
  std::lock_guard lock(mu_);
  end_offsets_.swap(end_offsets);
  end_offsets_at_ = at;
}

Freshness StoreView::FreshnessOf(const ViewState& view) const {
  return Freshness{.store = view.store,
                   .progress = view.progress,
                   .end_offsets = end_offsets_,
                   .end_offsets_at = end_offsets_at_,
                   .caught_up_at = view.caught_up_at};
}

absl::Status StoreView::Read(
    const std::function<absl::Status(Generation&, const Freshness&)>& read) {
  std::shared_ptr<Generation> generation;
  std::shared_lock<std::shared_mutex> reading;
  Freshness freshness;
  {
    std::lock_guard lock(mu_);
    if (!front_ || !generation_)
      return last_error_.ok() ? absl::UnavailableError("no store") : last_error_;
    // Taken under mu_: the front cannot be swapped out and caught up before
    // this computation holds it (Refresh only ever holds the back).
    reading = std::shared_lock(front_->reading);
    generation = generation_;
    freshness = FreshnessOf(*generation->view());
  }
  absl::Status status = read(*generation, freshness);
  reading.unlock();
  return status;
}

std::optional<Served> StoreView::Find(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto answer = answers_.Get(key);
  if (!answer) return std::nullopt;
  Freshness freshness = FreshnessOf(*answer->view);
  const bool outdated = answer->view->generation != generation_number_;
  return Served{
      .answer = std::move(answer), .freshness = std::move(freshness), .outdated = outdated};
}

void StoreView::Remember(const std::string& key, std::shared_ptr<const Answer> answer) {
  const uint64_t generation = answer->view->generation;
  std::lock_guard lock(mu_);
  if (generation < first_generation_) return;
  if (auto slot = answers_.Peek(key); slot && slot->view->generation > generation) return;
  // The answers replaced or evicted are freed here, under the lock: they are
  // strings, and the view state they share is small.
  answers_.Put(key, std::move(answer));
}

AnswerCacheStats StoreView::answer_cache() const {
  std::lock_guard lock(mu_);
  return {
      .bytes = answers_.bytes(), .entries = answers_.entries(), .evictions = answers_.evictions()};
}

uint64_t StoreView::generation() const {
  std::lock_guard lock(mu_);
  return generation_number_;
}

}  // namespace pilotage::query
