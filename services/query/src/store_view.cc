#include "store_view.h"

#include <system_error>

#include "fmt/format.h"
#include "pilotage/projector/projector.h"
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
    auto lots = projector::ListLots(*store_);
    if (!lots.ok()) return lots.status();
    lots_ = std::move(*lots);
  }
  return *lots_;
}

absl::StatusOr<std::shared_ptr<const projector::LotReadModel>> Generation::Lot(
    const std::string& lot_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = models_.find(lot_id); it != models_.end()) return it->second;
  }
  // Read outside the lock: two requests may read the same lot once each.
  auto model = projector::ReadLot(*store_, lot_id);
  if (!model.ok()) return model.status();
  auto shared = std::make_shared<const projector::LotReadModel>(std::move(*model));
  std::lock_guard lock(mu_);
  return models_.emplace(lot_id, std::move(shared)).first->second;
}

absl::StatusOr<std::shared_ptr<const projector::SteeringReadModel>> Generation::Steering(
    const std::string& lot_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = steering_.find(lot_id); it != steering_.end()) return it->second;
  }
  auto model = projector::ReadSteering(*store_, lot_id);
  if (!model.ok()) return model.status();
  auto shared = std::make_shared<const projector::SteeringReadModel>(std::move(*model));
  std::lock_guard lock(mu_);
  return steering_.emplace(lot_id, std::move(shared)).first->second;
}

std::optional<std::string> Generation::Cached(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = answers_.find(key); it != answers_.end()) return it->second;
  return std::nullopt;
}

void Generation::Remember(const std::string& key, std::string answer) {
  std::lock_guard lock(mu_);
  answers_.emplace(key, std::move(answer));
}

std::shared_ptr<std::mutex> Generation::KeyMutex(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& m = computing_[key];
  if (!m) m = std::make_shared<std::mutex>();
  return m;
}

bool Generation::StartRefresh(const std::string& key) {
  std::lock_guard lock(mu_);
  return refreshing_.insert(key).second;
}

std::map<std::string, std::string> Generation::Answers() {
  std::lock_guard lock(mu_);
  return answers_;
}

StoreView::StoreView(StoreViewOptions options) : options_(std::move(options)) {}
StoreView::~StoreView() = default;

absl::Status StoreView::Open(const fs::path& store_path) {
  if (!cep_) {
    auto cep = projector::MakeProjection("cep");
    if (!cep.ok()) return cep.status();
    cep_ = std::move(*cep);
  }
  // Two secondaries of the same store: requests read the front one while
  // Refresh catches the back one up without any lock, then swaps them.
  std::unique_ptr<store::Store> pair[2];
  std::error_code ec;
  for (int i = 0; i < 2; ++i) {
    const fs::path dir = options_.secondary_dir / (i == 0 ? "a" : "b");
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(fmt::format("creating {}: {}", dir.string(), ec.message()));
    }
    auto store = store::Store::OpenSecondary(store_path.string(), dir.string(),
                                             projection::ProjectionStoreOptions(*cep_));
    if (!store.ok()) return store.status();
    auto tag = (*store)->Get(projection::kMetaFamily, "projection");
    if (!tag.ok()) return tag.status();
    const std::string want = projection::ProjectionTag(*cep_);
    if (*tag && **tag != want) {
      return absl::FailedPreconditionError(
          fmt::format("{} was written by projection {}, the query service reads {}: rebuild it "
                      "(pilotage-projector rebuild)",
                      store_path.string(), **tag, want));
    }
    pair[i] = std::move(*store);
  }
  // The first view's freshness is the offsets stored with it, from the
  // start: an answer computed before the first Refresh must not show an
  // empty progress (no lag, no dead letters).
  auto progress = projection::ReadProgress(*pair[0]);
  if (!progress.ok()) return progress.status();
  std::unique_lock lock(mu_);
  store_ = std::move(pair[0]);
  back_ = std::move(pair[1]);
  store_path_ = store_path;
  freshness_.store = fs::relative(store_path, options_.data_dir, ec).string();
  if (ec || freshness_.store.empty()) freshness_.store = store_path.filename().string();
  freshness_.progress = std::move(*progress);
  stale_.clear();  // another store: nothing of the old one is shown
  generation_ = std::make_shared<Generation>(++generation_number_, store_.get());
  return absl::OkStatus();
}

absl::Status StoreView::Refresh() {
  auto path = projector::CurrentStore(options_.data_dir, /*create=*/false);
  if (!path.ok()) {
    std::unique_lock lock(mu_);
    last_error_ = absl::UnavailableError(std::string(path.status().message()));
    return path.status();
  }
  bool need_open;
  {
    std::shared_lock lock(mu_);
    need_open = !store_ || fs::weakly_canonical(*path) != fs::weakly_canonical(store_path_);
  }
  if (need_open) {
    if (store_)
      spdlog::info("query: {} was repointed to {}, switching", options_.data_dir.string(),
                   path->string());
    if (auto s = Open(*path); !s.ok()) {
      std::unique_lock lock(mu_);
      last_error_ = absl::UnavailableError(std::string(s.message()));
      return s;
    }
  }
  // Only this thread touches the back instance: no lock while it catches up
  // (which takes long while the projector writes a lot).
  if (auto s = back_->CatchUp(); !s.ok()) {
    std::unique_lock lock(mu_);
    last_error_ = s;
    return s;
  }
  auto progress = projection::ReadProgress(*back_);
  if (!progress.ok()) return progress.status();
  bool changed;
  {
    std::shared_lock lock(mu_);
    changed = progress->size() != freshness_.progress.size();
    if (!changed) {
      for (const auto& [key, p] : *progress) {
        auto it = freshness_.progress.find(key);
        if (it == freshness_.progress.end() || it->second.next_offset != p.next_offset) {
          changed = true;
          break;
        }
      }
    }
  }
  std::unique_lock lock(mu_);
  last_error_ = absl::OkStatus();
  if (changed) {
    std::swap(store_, back_);
    NextGeneration();
    freshness_.progress = std::move(*progress);
  }
  freshness_.caught_up_at = absl::Now();
  return absl::OkStatus();
}

void StoreView::NextGeneration() {
  for (auto& [key, body] : generation_->Answers()) {
    stale_[key] = StaleAnswer{.body = std::move(body),
                              .progress = freshness_.progress,
                              .caught_up_at = freshness_.caught_up_at};
  }
  generation_ = std::make_shared<Generation>(++generation_number_, store_.get());
}

void StoreView::SetEndOffsets(std::map<std::string, int64_t> end_offsets, absl::Time at) {
  std::unique_lock lock(mu_);
  freshness_.end_offsets = std::move(end_offsets);
  freshness_.end_offsets_at = at;
}

absl::Status StoreView::Read(
    const std::function<absl::Status(Generation&, const Freshness&, const StaleAnswers&)>& read) {
  std::shared_lock lock(mu_);
  if (!store_ || !generation_)
    return last_error_.ok() ? absl::UnavailableError("no store") : last_error_;
  // Copied so that SetEndOffsets (exclusive) is never needed during a read.
  const Freshness freshness = freshness_;
  return read(*generation_, freshness, stale_);
}

uint64_t StoreView::generation() const {
  std::shared_lock lock(mu_);
  return generation_number_;
}

}  // namespace pilotage::query
