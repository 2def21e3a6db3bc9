#include "pilotage/readmodel/open.h"

#include <algorithm>
#include <cstdlib>

#include <system_error>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "pilotage/projection/projection.h"
#include "pilotage/readmodel/layout.h"

namespace pilotage::readmodel {
namespace fs = std::filesystem;
namespace {

// The cep projection as readers see it: its name, version and families, to
// check a store's tag and open its families (readers never fold).
class CepLayout : public projection::Projection {
 public:
  std::string_view Name() const override { return layout::kCepProjection; }
  uint32_t Version() const override { return layout::kCepVersion; }
  std::vector<store::ColumnFamilyOptions> StateColumnFamilies() const override {
    return layout::CepFamilies();
  }
  absl::Status Fold(const v1::Event&, const projection::Origin&) override {
    return absl::FailedPreconditionError("readers do not fold");
  }
  absl::Status Flush(const store::Store&, store::WriteBatch&) override {
    return absl::FailedPreconditionError("readers do not fold");
  }
  void Discard() override {}
};

}  // namespace

absl::StatusOr<StoreLocation> CurrentStore(const fs::path& data_dir) {
  const fs::path link = data_dir / "current";
  std::error_code ec;
  if (fs::is_symlink(link, ec)) {
    fs::path target = fs::read_symlink(link, ec);
    if (ec) {
      return absl::UnavailableError(
          fmt::format("reading link {}: {}", link.string(), ec.message()));
    }
    StoreLocation out{.data_dir = data_dir,
                      .path = target.is_absolute() ? target : data_dir / target};
    out.name = fs::relative(out.path, data_dir, ec).string();
    if (ec || out.name.empty()) out.name = out.path.filename().string();
    return out;
  }
  if (fs::exists(link, ec)) {
    return absl::FailedPreconditionError(
        fmt::format("{} exists but is not a symlink to a store", link.string()));
  }
  return absl::NotFoundError(
      fmt::format("no store in {} (start `pilotage-projector run` first)", data_dir.string()));
}

ReadStore::ReadStore(StoreLocation location, std::unique_ptr<store::Store> store,
                     absl::Time opened_at)
    : location_(std::move(location)), store_(std::move(store)) {
  freshness_.opened_at = opened_at;
}

absl::StatusOr<std::unique_ptr<ReadStore>> ReadStore::OpenReadOnly(const StoreLocation& where) {
  const absl::Time opened_at = absl::Now();  // the store is seen at least this fresh
  auto store = projection::OpenProjectionStoreReadOnly(where.path.string(), CepLayout());
  if (!store.ok()) return store.status();
  std::unique_ptr<ReadStore> out(new ReadStore(where, std::move(*store), opened_at));
  if (auto s = out->ReadFreshness(opened_at); !s.ok()) return s;
  return out;
}

absl::StatusOr<std::unique_ptr<ReadStore>> ReadStore::OpenReadOnly(const fs::path& data_dir) {
  auto where = CurrentStore(data_dir);
  if (!where.ok()) return where.status();
  return OpenReadOnly(*where);
}

absl::StatusOr<std::unique_ptr<ReadStore>> ReadStore::OpenSecondary(const StoreLocation& where,
                                                                    const fs::path& secondary_dir) {
  std::error_code ec;
  fs::create_directories(secondary_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("creating {}: {}", secondary_dir.string(), ec.message()));
  }
  const absl::Time opened_at = absl::Now();
  const CepLayout cep;
  auto store = store::Store::OpenSecondary(where.path.string(), secondary_dir.string(),
                                           projection::ProjectionStoreOptions(cep));
  if (!store.ok()) return store.status();
  // A store the projector has just created may not record its projection
  // yet: the next catch-up will show it.
  auto tag = (*store)->Get(projection::kMetaFamily, "projection");
  if (!tag.ok()) return tag.status();
  const std::string want = projection::ProjectionTag(cep);
  if (*tag && **tag != want) {
    return absl::FailedPreconditionError(
        fmt::format("{} was written by projection {}, this program reads {}: rebuild it "
                    "(pilotage-projector rebuild)",
                    where.path.string(), **tag, want));
  }
  std::unique_ptr<ReadStore> out(new ReadStore(where, std::move(*store), opened_at));
  if (auto s = out->ReadFreshness(opened_at); !s.ok()) return s;
  return out;
}

absl::Status ReadStore::CatchUp() {
  if (auto s = store_->CatchUp(); !s.ok()) return s;
  return ReadFreshness(absl::Now());
}

absl::Status ReadStore::ReadFreshness(absl::Time at) {
  auto progress = projection::ReadProgress(*store_);
  if (!progress.ok()) return progress.status();
  freshness_.progress = std::move(*progress);
  freshness_.caught_up_at = at;
  return absl::OkStatus();
}

std::vector<v1::SourceOffset> SourceOffsets(const Freshness& freshness) {
  std::vector<v1::SourceOffset> out;
  for (const auto& [key, progress] : freshness.progress) {
    // "topic/partition": a topic name never holds '/'.
    const size_t slash = key.rfind('/');
    v1::SourceOffset o;
    o.set_topic(key.substr(0, slash == std::string::npos ? key.size() : slash));
    if (slash != std::string::npos) o.set_partition(std::atoi(key.c_str() + slash + 1));
    o.set_next_offset(progress.next_offset);
    out.push_back(std::move(o));
  }
  std::sort(out.begin(), out.end(), [](const v1::SourceOffset& a, const v1::SourceOffset& b) {
    return std::make_pair(a.topic(), a.partition()) < std::make_pair(b.topic(), b.partition());
  });
  return out;
}

}  // namespace pilotage::readmodel
