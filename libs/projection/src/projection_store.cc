#include "pilotage/projection/projection_store.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "fmt/format.h"
#include "pilotage/projection/dedup_cache.h"
#include "pilotage/store/coding.h"

namespace pilotage::projection {
namespace {

// The projection's tag is right; the engine's layout must be too.
absl::Status CheckLayout(const store::Store& store) {
  auto layout = store.Get(kMetaFamily, "layout");
  if (!layout.ok()) return layout.status();
  const std::string found = layout->value_or("1");
  if (found != kEngineLayout) {
    return absl::FailedPreconditionError(
        fmt::format("store {} has engine layout {}, this program writes layout {} (dedup ids "
                    "grouped by lot and week): rebuild it (pilotage-projector rebuild --into "
                    "NEW_DIR)",
                    store.path(), found, kEngineLayout));
  }
  return absl::OkStatus();
}

absl::Status CheckTag(const store::Store& store, const Projection& projection, bool may_write,
                      store::Store* writable) {
  const std::string want = ProjectionTag(projection);
  auto tag = store.Get(kMetaFamily, "projection");
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) {
    if (!may_write) {
      return absl::FailedPreconditionError(fmt::format(
          "store {} records no projection: it was never written by a projector", store.path()));
    }
    store::WriteBatch batch = writable->NewWriteBatch();
    batch.Put(kMetaFamily, "projection", want);
    batch.Put(kMetaFamily, "layout", kEngineLayout);
    return writable->Write(batch);
  }
  if (absl::Status s = CheckLayout(store); !s.ok()) return s;
  if (**tag != want) {
    return absl::FailedPreconditionError(
        fmt::format("store {} was written by projection {}, this program folds {}: rebuild it "
                    "(pilotage-projector rebuild --into NEW_DIR)",
                    store.path(), **tag, want));
  }
  return absl::OkStatus();
}

// Refuses, before anything is opened for writing or with the projection's
// column families, a store that another projection or version wrote.
absl::Status CheckExistingStore(std::string_view path, const Projection& projection) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec)) {
    return absl::OkStatus();  // no store yet
  }
  auto meta =
      store::Store::OpenReadOnly(path, {.column_families = {{.name = std::string(kMetaFamily)}}});
  if (!meta.ok()) {
    if (meta.status().code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError(
          fmt::format("{} is a RocksDB store but not a projection store (no '{}' column family)",
                      path, kMetaFamily));
    }
    return meta.status();
  }
  auto tag = (*meta)->Get(kMetaFamily, "projection");
  if (!tag.ok()) return tag.status();
  if (tag->has_value() && **tag != ProjectionTag(projection)) {
    return absl::FailedPreconditionError(
        fmt::format("store {} was written by projection {}, this program folds {}: rebuild it "
                    "(pilotage-projector rebuild --into NEW_DIR)",
                    path, **tag, ProjectionTag(projection)));
  }
  if (tag->has_value()) return CheckLayout(**meta);
  return absl::OkStatus();
}

}  // namespace

std::string ProjectionTag(const Projection& projection) {
  return fmt::format("{}:{}", projection.Name(), projection.Version());
}

store::StoreOptions ProjectionStoreOptions(const Projection& projection, store::StoreOptions base) {
  base.column_families.clear();
  base.column_families.push_back({.name = std::string(kMetaFamily)});
  base.column_families.push_back({.name = std::string(kSeenFamily)});
  base.column_families.push_back({.name = std::string(kProgressFamily)});
  for (auto& cf : projection.StateColumnFamilies()) base.column_families.push_back(cf);
  return base;
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenProjectionStore(std::string_view path,
                                                                  const Projection& projection,
                                                                  store::StoreOptions base) {
  if (absl::Status s = CheckExistingStore(path, projection); !s.ok()) return s;
  auto store = store::Store::Open(path, ProjectionStoreOptions(projection, std::move(base)));
  if (!store.ok()) return store.status();
  if (absl::Status s = CheckTag(**store, projection, true, store->get()); !s.ok()) return s;
  return store;
}

absl::StatusOr<std::unique_ptr<store::Store>> OpenProjectionStoreReadOnly(
    std::string_view path, const Projection& projection, store::StoreOptions base) {
  if (absl::Status s = CheckExistingStore(path, projection); !s.ok()) return s;
  auto store =
      store::Store::OpenReadOnly(path, ProjectionStoreOptions(projection, std::move(base)));
  if (!store.ok()) return store.status();
  if (absl::Status s = CheckTag(**store, projection, false, nullptr); !s.ok()) return s;
  return store;
}

std::string EncodeProgress(const PartitionProgress& p) {
  std::string out;
  out.reserve(32);
  store::AppendFixed64(out, p.next_offset);
  store::AppendFixed64(out, p.folded);
  store::AppendFixed64(out, p.duplicates);
  store::AppendFixed64(out, p.dead_letters);
  return out;
}

absl::StatusOr<PartitionProgress> DecodeProgress(std::string_view bytes) {
  if (bytes.size() != 32) {
    return absl::DataLossError(
        fmt::format("progress record of {} bytes, expected 32", bytes.size()));
  }
  return PartitionProgress{store::ReadFixed64(bytes.data()), store::ReadFixed64(bytes.data() + 8),
                           store::ReadFixed64(bytes.data() + 16),
                           store::ReadFixed64(bytes.data() + 24)};
}

absl::StatusOr<std::map<std::string, PartitionProgress>> ReadProgress(const store::Store& store) {
  std::map<std::string, PartitionProgress> out;
  absl::Status decode_error;
  absl::Status s =
      store.ForEach(kProgressFamily, "", [&](std::string_view key, std::string_view value) {
        auto p = DecodeProgress(value);
        if (!p.ok()) {
          decode_error = p.status();
          return false;
        }
        out.emplace(std::string(key), *p);
        return true;
      });
  if (!s.ok()) return s;
  if (!decode_error.ok()) return decode_error;
  return out;
}

absl::StatusOr<std::string> StateDigest(const store::Store& store, const Projection& projection) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  auto feed = [&](std::string_view bytes) {
    std::string len;
    store::AppendFixed64(len, static_cast<int64_t>(bytes.size()));
    EVP_DigestUpdate(ctx.get(), len.data(), len.size());
    EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size());
  };
  std::vector<std::string> families = {std::string(kSeenFamily)};
  for (const auto& cf : projection.StateColumnFamilies()) families.push_back(cf.name);
  auto snapshot = store.GetSnapshot();
  for (const auto& family : families) {
    feed(family);
    absl::Status s =
        store.ForEach(*snapshot, family, "", [&](std::string_view k, std::string_view v) {
          if (family == kSeenFamily) {
            feed(k);
            // The same ids (and (id, fingerprint) pairs) whatever order they
            // were folded in.
            // Records of one or two 8-byte numbers, sorted as numbers.
            const size_t width = DedupCache::IsContentKey(k) ? 16 : 8;
            std::vector<std::pair<uint64_t, uint64_t>> records;
            for (size_t i = 0; i + width <= v.size(); i += width) {
              records.emplace_back(
                  static_cast<uint64_t>(store::ReadFixed64(v.data() + i)),
                  width == 16 ? static_cast<uint64_t>(store::ReadFixed64(v.data() + i + 8)) : 0);
            }
            std::sort(records.begin(), records.end());
            std::string sorted;
            for (const auto& [first, second] : records) {
              store::AppendFixed64(sorted, static_cast<int64_t>(first));
              if (width == 16) store::AppendFixed64(sorted, static_cast<int64_t>(second));
            }
            feed(sorted);
          } else if (auto form = projection.DigestForm(family, v)) {
            feed(k);
            feed(*form);
          }
          return true;
        });
    if (!s.ok()) return s;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace pilotage::projection
