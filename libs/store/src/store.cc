#include "pilotage/store/store.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "pilotage/store/coding.h"
#include "rocksdb_status.h"

namespace pilotage::store {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

// Debian builds abseil with ABSL_OPTION_USE_STD_STRING_VIEW=0: absl::string_view
// is its own type, and StrCat and hash-map lookups do not take std::string_view.
absl::string_view ToAbsl(std::string_view bytes) { return {bytes.data(), bytes.size()}; }

std::string_view ToView(const rocksdb::Slice& bytes) { return {bytes.data(), bytes.size()}; }

std::string Context(std::string_view action, std::string_view path,
                    std::string_view column_family) {
  return absl::StrCat(ToAbsl(action), " ", ToAbsl(path), ", column family '", ToAbsl(column_family),
                      "'");
}

// The smallest key greater than every key starting with `prefix`, or "" if
// there is none (the prefix is all 0xff bytes).
std::string PrefixSuccessor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) bound.pop_back();
  if (!bound.empty())
    bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  return bound;
}

absl::Status Validate(const StoreOptions& options) {
  if (options.bloom_bits_per_key < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: bloom_bits_per_key must be >= 0, got ", options.bloom_bits_per_key));
  }
  absl::flat_hash_set<std::string_view> seen;
  for (const ColumnFamilyOptions& column : options.column_families) {
    if (column.name.empty()) {
      return absl::InvalidArgumentError("store: a column family name is empty");
    }
    if (!seen.insert(column.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("store: column family '", column.name, "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

// Refuses a path that is, or lies below, something other than a directory,
// with a clearer message than RocksDB's ("While mkdir if missing: ...").
absl::Status CheckIsDirectoryIfExists(const std::filesystem::path& path) {
  // libstdc++ reports a path below a regular file (ENOTDIR) as not found, so
  // the nearest existing ancestor is checked as well.
  for (std::filesystem::path current = path; !current.empty();) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(current, error);
    if (status.type() == std::filesystem::file_type::not_found) {
      std::filesystem::path parent = current.parent_path();
      if (parent == current) break;
      current = std::move(parent);
      continue;
    }
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("store: cannot inspect ", current.string(), ": ", error.message()));
    }
    if (status.type() != std::filesystem::file_type::directory) {
      return absl::FailedPreconditionError(absl::StrCat(
          "store: ", path.string(),
          current == path ? " exists and is not a directory"
                          : absl::StrCat(" lies below ", current.string(), ", not a directory")));
    }
    break;
  }
  return absl::OkStatus();
}

// The attempts of a read-only or secondary open, and of a secondary's
// catch-up, before giving up on a store that the writer changed during each
// (see OpenWithMode). An attempt takes a few milliseconds; the projector
// edits its MANIFEST only at a flush (a backup flushes) or a compaction, so
// an attempt nearly always succeeds at once. A writer flushing back to back
// (faster than an open completes) makes every attempt lose, as a writer can
// starve any such check: 100 attempts, about half a second, then
// kUnavailable rather than spinning.
constexpr int kAttemptsBesideTheWriter = 100;

// How far the store's MANIFEST goes: the name CURRENT gives and its size.
// The writer only appends to a MANIFEST, or starts a new one and renames
// CURRENT over the old: any change of the store's version changes this.
struct ManifestPosition {
  std::string current;
  std::uintmax_t manifest_bytes = 0;

  bool operator==(const ManifestPosition&) const = default;
};

// std::nullopt if the store has no CURRENT or its MANIFEST cannot be read.
std::optional<ManifestPosition> ReadManifestPosition(const std::filesystem::path& store) {
  std::ifstream in(store / "CURRENT");
  ManifestPosition position;
  if (!std::getline(in, position.current) || position.current.empty()) return std::nullopt;
  std::error_code error;
  position.manifest_bytes = std::filesystem::file_size(store / position.current, error);
  if (error) return std::nullopt;
  return position;
}

// Lists the column families on disk; an empty list if there is no store.
absl::StatusOr<std::vector<std::string>> ListColumnFamilies(const std::string& path, bool* exists) {
  std::vector<std::string> names;
  rocksdb::Status status = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  *exists = status.ok();
  if (status.IsPathNotFound() || status.IsNotFound()) return names;
  if (!status.ok()) {
    return FromRocksDbStatus(status, absl::StrCat("list column families of ", path));
  }
  return names;
}

}  // namespace

struct Store::Impl {
  struct Column {
    rocksdb::ColumnFamilyHandle* handle;
    std::size_t fixed_prefix_bytes;
    MergeKind merge;
  };

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    if (db == nullptr) return;
    for (auto& [name, column] : columns) {
      db->DestroyColumnFamilyHandle(column.handle).PermitUncheckedError();
    }
    // Close reports only errors of background work already done; the data is
    // in the write-ahead log either way.
    db->Close().PermitUncheckedError();
  }

  const Column* Find(std::string_view column_family) const {
    auto it = columns.find(ToAbsl(column_family));
    return it == columns.end() ? nullptr : &it->second;
  }

  absl::Status UnknownColumnFamily(std::string_view column_family) const {
    return absl::InvalidArgumentError(
        absl::StrCat("store: ", path, " has no column family '", ToAbsl(column_family), "'"));
  }

  absl::StatusOr<std::optional<std::string>> Get(const rocksdb::Snapshot* snapshot,
                                                 std::string_view column_family,
                                                 std::string_view key) const;
  absl::Status ForEach(const rocksdb::Snapshot* snapshot, std::string_view column_family,
                       std::string_view prefix, Visitor visit) const;

  std::string path;
  bool read_only = false;
  bool secondary = false;
  rocksdb::WriteOptions write_options;
  std::unique_ptr<rocksdb::DB> db;
  absl::flat_hash_map<std::string, Column> columns;
};

class Snapshot {
 public:
  Snapshot(std::shared_ptr<Store::Impl> impl, const rocksdb::Snapshot* snapshot)
      : impl_(std::move(impl)), snapshot_(snapshot) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  ~Snapshot() {
    if (snapshot_ != nullptr) impl_->db->ReleaseSnapshot(snapshot_);
  }

 private:
  friend class Store;
  std::shared_ptr<Store::Impl> impl_;
  const rocksdb::Snapshot* snapshot_;
};

struct WriteBatch::Rep {
  std::shared_ptr<Store::Impl> impl;
  rocksdb::WriteBatch batch;
  absl::Status status;
};

namespace {

// WriteBatch::Append: a value is the concatenation of its operands, in
// write order. Associative, so RocksDB may combine operands early.
class AppendOperator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    if (existing_value != nullptr) {
      new_value->reserve(existing_value->size() + value.size());
      new_value->assign(existing_value->data(), existing_value->size());
    }
    new_value->append(value.data(), value.size());
    return true;
  }
  const char* Name() const override { return "pilotage.Append"; }
};

// MergeKind::kAddFixed64: the sum of 8-byte little-endian integers. Being
// associative, RocksDB also combines deltas with it before any value is
// known (partial merges in the memtable and in compactions).
class AddFixed64Operator : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    // Another size is not one of our values: RocksDB then reports corruption.
    if (value.size() != 8 || (existing_value != nullptr && existing_value->size() != 8)) {
      return false;
    }
    uint64_t sum = static_cast<uint64_t>(ReadFixed64(value.data()));
    if (existing_value != nullptr)
      sum += static_cast<uint64_t>(ReadFixed64(existing_value->data()));
    new_value->clear();
    AppendFixed64(*new_value, static_cast<int64_t>(sum));
    return true;
  }
  const char* Name() const override { return "pilotage.AddFixed64"; }
};

rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const StoreOptions& options,
                                                     const std::shared_ptr<rocksdb::Cache>& cache,
                                                     const ColumnFamilyOptions& family) {
  rocksdb::BlockBasedTableOptions table;
  if (cache != nullptr) {
    table.block_cache = cache;
  } else {
    table.no_block_cache = true;
  }
  if (options.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  if (cache != nullptr) {
    // Index and filter blocks live in the block cache, within its capacity,
    // instead of beside it for every table file: memory stays bounded as the
    // store grows. Level 0's stay pinned (they are read on every lookup).
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
  }
  rocksdb::ColumnFamilyOptions column;
  column.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  column.write_buffer_size = options.write_buffer_bytes;
  static const auto append = std::make_shared<AppendOperator>();
  static const auto add = std::make_shared<AddFixed64Operator>();
  column.merge_operator = family.merge == MergeKind::kAddFixed64
                              ? std::shared_ptr<rocksdb::MergeOperator>(add)
                              : std::shared_ptr<rocksdb::MergeOperator>(append);
  if (family.fixed_prefix_bytes > 0) {
    column.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(family.fixed_prefix_bytes));
  }
  if (family.memtable_bloom) {
    column.memtable_whole_key_filtering = true;
    column.memtable_prefix_bloom_size_ratio = 0.1;
  }
  return column;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> Store::Impl::Get(const rocksdb::Snapshot* snapshot,
                                                            std::string_view column_family,
                                                            std::string_view key) const {
  const Column* column = Find(column_family);
  if (column == nullptr) return UnknownColumnFamily(column_family);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  std::string value;
  rocksdb::Status status = db->Get(read_options, column->handle, ToSlice(key), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) return FromRocksDbStatus(status, Context("get from", path, column_family));
  return std::optional<std::string>(std::move(value));
}

absl::Status Store::Impl::ForEach(const rocksdb::Snapshot* snapshot, std::string_view column_family,
                                  std::string_view prefix, Visitor visit) const {
  const Column* column = Find(column_family);
  if (column == nullptr) return UnknownColumnFamily(column_family);
  rocksdb::ReadOptions read_options;
  read_options.snapshot = snapshot;
  const std::string upper = PrefixSuccessor(prefix);
  rocksdb::Slice upper_slice(upper);
  if (!upper.empty()) read_options.iterate_upper_bound = &upper_slice;
  // With a prefix extractor RocksDB may skip keys outside the seek key's
  // extracted prefix; that is safe only when our prefix covers it.
  if (column->fixed_prefix_bytes > 0 && prefix.size() >= column->fixed_prefix_bytes) {
    read_options.prefix_same_as_start = true;
  } else {
    read_options.total_order_seek = true;
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, column->handle));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    const std::string_view key = ToView(it->key());
    // Needed when there is no upper bound (a prefix of 0xff bytes).
    if (!key.starts_with(prefix)) break;
    if (!visit(key, ToView(it->value()))) break;
  }
  return FromRocksDbStatus(it->status(), Context("iterate over", path, column_family));
}

// WriteBatch

WriteBatch::WriteBatch(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
WriteBatch::WriteBatch(WriteBatch&& other) noexcept = default;
WriteBatch& WriteBatch::operator=(WriteBatch&& other) noexcept = default;
WriteBatch::~WriteBatch() = default;

void WriteBatch::Put(std::string_view column_family, std::string_view key, std::string_view value) {
  if (!rep_->status.ok()) return;
  const Store::Impl::Column* column = rep_->impl->Find(column_family);
  if (column == nullptr) {
    rep_->status = rep_->impl->UnknownColumnFamily(column_family);
    return;
  }
  rocksdb::Status status = rep_->batch.Put(column->handle, ToSlice(key), ToSlice(value));
  if (!status.ok()) {
    rep_->status =
        FromRocksDbStatus(status, Context("put into batch for", rep_->impl->path, column_family));
  }
}

void WriteBatch::Delete(std::string_view column_family, std::string_view key) {
  if (!rep_->status.ok()) return;
  const Store::Impl::Column* column = rep_->impl->Find(column_family);
  if (column == nullptr) {
    rep_->status = rep_->impl->UnknownColumnFamily(column_family);
    return;
  }
  rocksdb::Status status = rep_->batch.Delete(column->handle, ToSlice(key));
  if (!status.ok()) {
    rep_->status =
        FromRocksDbStatus(status, Context("delete in batch for", rep_->impl->path, column_family));
  }
}

void WriteBatch::Append(std::string_view column_family, std::string_view key,
                        std::string_view bytes) {
  if (!rep_->status.ok()) return;
  const Store::Impl::Column* column = rep_->impl->Find(column_family);
  if (column == nullptr) {
    rep_->status = rep_->impl->UnknownColumnFamily(column_family);
    return;
  }
  if (column->merge != MergeKind::kAppend) {
    rep_->status = absl::FailedPreconditionError(
        "store: append to column family '" + std::string(column_family) + "' of " +
        rep_->impl->path + ", which adds integers (MergeKind::kAddFixed64)");
    return;
  }
  rocksdb::Status status = rep_->batch.Merge(column->handle, ToSlice(key), ToSlice(bytes));
  if (!status.ok()) {
    rep_->status =
        FromRocksDbStatus(status, Context("append in batch for", rep_->impl->path, column_family));
  }
}

void WriteBatch::Add(std::string_view column_family, std::string_view key, int64_t delta) {
  if (!rep_->status.ok()) return;
  const Store::Impl::Column* column = rep_->impl->Find(column_family);
  if (column == nullptr) {
    rep_->status = rep_->impl->UnknownColumnFamily(column_family);
    return;
  }
  if (column->merge != MergeKind::kAddFixed64) {
    rep_->status = absl::FailedPreconditionError(
        "store: add to column family '" + std::string(column_family) + "' of " + rep_->impl->path +
        ", which is not opened with MergeKind::kAddFixed64");
    return;
  }
  char bytes[8];
  const auto u = static_cast<uint64_t>(delta);
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((u >> (8 * i)) & 0xff);
  rocksdb::Status status =
      rep_->batch.Merge(column->handle, ToSlice(key), rocksdb::Slice(bytes, sizeof(bytes)));
  if (!status.ok()) {
    rep_->status =
        FromRocksDbStatus(status, Context("add in batch for", rep_->impl->path, column_family));
  }
}

void WriteBatch::Clear() {
  rep_->batch.Clear();
  rep_->status = absl::OkStatus();
}

std::size_t WriteBatch::Count() const { return rep_->batch.Count(); }

std::size_t WriteBatch::ApproximateBytes() const { return rep_->batch.GetDataSize(); }

absl::Status WriteBatch::status() const { return rep_->status; }

// Store

Store::Store(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::string_view path,
                                                   const StoreOptions& options) {
  return OpenWithMode(path, options, /*read_only=*/false, /*secondary_dir=*/"");
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenReadOnly(std::string_view path,
                                                           const StoreOptions& options) {
  return OpenWithMode(path, options, /*read_only=*/true, /*secondary_dir=*/"");
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenSecondary(std::string_view path,
                                                            std::string_view secondary_dir,
                                                            const StoreOptions& options) {
  if (secondary_dir.empty()) {
    return absl::InvalidArgumentError("store: a secondary needs a directory of its own");
  }
  return OpenWithMode(path, options, /*read_only=*/true, secondary_dir);
}

absl::Status Store::CatchUp() {
  if (!impl_->secondary) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: ", impl_->path, " is not open as a secondary"));
  }
  // A catch-up reads the new end of the MANIFEST, then lists and replays the
  // write-ahead logs, as an open does (see OpenWithMode), and RocksDB takes a
  // log deleted in between as nothing to replay: a flush finishing meanwhile
  // can leave the secondary without a log's batches whose table file it has
  // not read yet. The next catch-up reads that table file's edit; catch up
  // again until one saw the MANIFEST stay still.
  const std::filesystem::path fs_path(impl_->path);
  for (int attempt = 1; attempt <= kAttemptsBesideTheWriter; ++attempt) {
    const std::optional<ManifestPosition> before = ReadManifestPosition(fs_path);
    absl::Status caught_up = FromRocksDbStatus(impl_->db->TryCatchUpWithPrimary(),
                                               absl::StrCat("catch up with primary ", impl_->path));
    if (ReadManifestPosition(fs_path) == before) return caught_up;
  }
  return absl::UnavailableError(absl::StrCat("store: catch up with primary ", impl_->path,
                                             ": the writer changed the store during each of ",
                                             kAttemptsBesideTheWriter, " attempts; try again"));
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenWithMode(std::string_view path_view,
                                                           const StoreOptions& options,
                                                           bool read_only,
                                                           std::string_view secondary_dir) {
  const std::filesystem::path fs_path(path_view);
  if (absl::Status valid = Validate(options); !valid.ok()) return valid;
  if (absl::Status directory = CheckIsDirectoryIfExists(fs_path); !directory.ok()) {
    return directory;
  }
  if (!read_only) return OpenAttempt(path_view, options, read_only, secondary_dir);

  // A read-only or secondary open reads the MANIFEST, then opens the table files and
  // replays the write-ahead logs it names, holding no lock: a writer that
  // flushes or compacts meanwhile deletes files of the version read (the open
  // fails: "No such file") or a log that one column family still needed (the
  // open succeeds with half of a batch: RocksDB takes a log deleted before
  // it is read as nothing to replay). The writer deletes a file only after
  // appending the edit that retires it to the MANIFEST (or writing a new
  // MANIFEST and CURRENT), so an attempt during which CURRENT and the
  // MANIFEST's size did not move read the latest version, and every file it
  // names outlived the open. Otherwise try again: an attempt loses only to a
  // flush or compaction finishing within its few milliseconds.
  absl::Status last;
  for (int attempt = 1; attempt <= kAttemptsBesideTheWriter; ++attempt) {
    const std::optional<ManifestPosition> before = ReadManifestPosition(fs_path);
    absl::StatusOr<std::unique_ptr<Store>> store =
        OpenAttempt(path_view, options, read_only, secondary_dir);
    if (ReadManifestPosition(fs_path) == before) return store;
    last = store.ok() ? absl::OkStatus() : store.status();
  }
  return absl::UnavailableError(
      absl::StrCat("store: open ", secondary_dir.empty() ? "read-only " : "as a secondary ",
                   fs_path.string(), ": the writer changed the store during each of ",
                   kAttemptsBesideTheWriter, " attempts; try again",
                   last.ok() ? "" : absl::StrCat(" (last error: ", last.ToString(), ")")));
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenAttempt(std::string_view path_view,
                                                          const StoreOptions& options,
                                                          bool read_only,
                                                          std::string_view secondary_dir) {
  const std::filesystem::path fs_path(path_view);
  const std::string path = fs_path.string();

  bool exists = false;
  absl::StatusOr<std::vector<std::string>> on_disk = ListColumnFamilies(path, &exists);
  if (!on_disk.ok()) return on_disk.status();
  if (!exists && (read_only || !options.create_if_missing)) {
    return absl::NotFoundError(absl::StrCat("store: no store at ", path));
  }
  if (!exists) {
    std::error_code error;
    std::filesystem::create_directories(fs_path, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("store: cannot create directory ", path, ": ", error.message()));
    }
  }

  std::shared_ptr<rocksdb::Cache> cache;
  if (options.block_cache_bytes > 0) cache = rocksdb::NewLRUCache(options.block_cache_bytes);

  // Every column family on disk must be opened, listed or not; the listed
  // ones get their own options.
  absl::flat_hash_map<std::string, ColumnFamilyOptions> families;
  for (const std::string& name : *on_disk) families.emplace(name, ColumnFamilyOptions{name});
  families.emplace(rocksdb::kDefaultColumnFamilyName,
                   ColumnFamilyOptions{rocksdb::kDefaultColumnFamilyName});
  for (const ColumnFamilyOptions& column : options.column_families) {
    if (read_only && !families.contains(column.name)) {
      return absl::NotFoundError(absl::StrCat("store: ", path, " has no column family '",
                                              column.name, "' (open it for writing first)"));
    }
    families[column.name] = column;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.reserve(families.size());
  for (const auto& [name, family] : families) {
    descriptors.emplace_back(name, MakeColumnFamilyOptions(options, cache, family));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = true;
  if (options.total_write_buffer_bytes > 0 && !read_only) {
    db_options.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(options.total_write_buffer_bytes);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  const bool secondary = !secondary_dir.empty();
  // Every table file is opened during the open (RocksDB requires it of
  // secondaries): on Linux a file the writer unlinks later stays readable
  // through its descriptor, so reads never meet a vanished file.
  if (read_only) db_options.max_open_files = -1;
  rocksdb::Status status =
      secondary   ? rocksdb::DB::OpenAsSecondary(db_options, path, std::string(secondary_dir),
                                                 descriptors, &handles, &raw_db)
      : read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &handles, &raw_db)
                  : rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw_db);
  if (!status.ok()) {
    return FromRocksDbStatus(status, absl::StrCat(read_only ? "open read-only " : "open ", path));
  }

  auto impl = std::make_shared<Impl>();
  impl->path = path;
  impl->read_only = read_only;
  impl->secondary = secondary;
  impl->write_options.sync = options.sync;
  impl->db.reset(raw_db);
  for (std::size_t i = 0; i < handles.size(); ++i) {
    impl->columns.emplace(descriptors[i].name,
                          Impl::Column{handles[i], families[descriptors[i].name].fixed_prefix_bytes,
                                       families[descriptors[i].name].merge});
  }
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const std::string& Store::path() const { return impl_->path; }

std::vector<std::string> Store::TableFiles() const {
  std::vector<rocksdb::LiveFileMetaData> files;
  impl_->db->GetLiveFilesMetaData(&files);
  std::vector<std::string> names;
  names.reserve(files.size());
  for (const auto& f : files) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  return names;
}

bool Store::read_only() const { return impl_->read_only; }

std::vector<std::string> Store::ColumnFamilies() const {
  std::vector<std::string> names;
  names.reserve(impl_->columns.size());
  for (const auto& [name, column] : impl_->columns) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::optional<std::string>> Store::Get(std::string_view column_family,
                                                      std::string_view key) const {
  return impl_->Get(nullptr, column_family, key);
}

absl::StatusOr<std::optional<std::string>> Store::Get(const Snapshot& snapshot,
                                                      std::string_view column_family,
                                                      std::string_view key) const {
  if (snapshot.impl_ != impl_) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: get from ", impl_->path, " with a snapshot of another store"));
  }
  return impl_->Get(snapshot.snapshot_, column_family, key);
}

absl::Status Store::ForEach(std::string_view column_family, std::string_view prefix,
                            Visitor visit) const {
  return impl_->ForEach(nullptr, column_family, prefix, visit);
}

absl::Status Store::ForEach(const Snapshot& snapshot, std::string_view column_family,
                            std::string_view prefix, Visitor visit) const {
  if (snapshot.impl_ != impl_) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: iterate over ", impl_->path, " with a snapshot of another store"));
  }
  return impl_->ForEach(snapshot.snapshot_, column_family, prefix, visit);
}

WriteBatch Store::NewWriteBatch() const {
  auto rep = std::make_unique<WriteBatch::Rep>();
  rep->impl = impl_;
  return WriteBatch(std::move(rep));
}

absl::Status Store::Write(WriteBatch& batch) {
  if (batch.rep_->impl != impl_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "store: write to ", impl_->path, " of a batch made for ", batch.rep_->impl->path));
  }
  if (!batch.rep_->status.ok()) return batch.rep_->status;
  if (impl_->read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: ", impl_->path, " is open read-only; cannot write"));
  }
  rocksdb::Status status = impl_->db->Write(impl_->write_options, &batch.rep_->batch);
  return FromRocksDbStatus(
      status, absl::StrCat("write batch of ", batch.Count(), " updates to ", impl_->path));
}

absl::StatusOr<std::vector<std::optional<std::string>>> Store::MultiGet(
    std::string_view column_family, const std::vector<std::string_view>& keys, bool sorted) const {
  const Impl::Column* column = impl_->Find(column_family);
  if (column == nullptr) return impl_->UnknownColumnFamily(column_family);
  std::vector<rocksdb::Slice> slices;
  slices.reserve(keys.size());
  for (const std::string_view key : keys) slices.push_back(ToSlice(key));
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  impl_->db->MultiGet(rocksdb::ReadOptions(), column->handle, keys.size(), slices.data(),
                      values.data(), statuses.data(), sorted);
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) {
      return FromRocksDbStatus(statuses[i], Context("multi-get from", impl_->path, column_family));
    }
    out[i].emplace(values[i].data(), values[i].size());
  }
  return out;
}

std::shared_ptr<const Snapshot> Store::GetSnapshot() const {
  // RocksDB secondaries have no snapshots (reads through one are "not
  // supported"); their view moves only at CatchUp (see store.h).
  if (impl_->secondary) return std::make_shared<const Snapshot>(impl_, nullptr);
  return std::make_shared<const Snapshot>(impl_, impl_->db->GetSnapshot());
}

absl::Status Store::Flush() {
  if (impl_->read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: ", impl_->path, " is open read-only: nothing of its own to flush"));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  handles.reserve(impl_->columns.size());
  for (const auto& [name, column] : impl_->columns) handles.push_back(column.handle);
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocksDbStatus(impl_->db->Flush(options, handles), absl::StrCat("flush ", impl_->path));
}

absl::Status Store::CreateCheckpoint(std::string_view dir) const {
  std::string target(dir);
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::symlink_status(target, error))) {
    return absl::AlreadyExistsError(
        absl::StrCat("store: checkpoint of ", impl_->path, ": ", target, " already exists"));
  }
  const std::string context = absl::StrCat("checkpoint ", impl_->path, " into ", target);
  rocksdb::Checkpoint* raw_checkpoint = nullptr;
  rocksdb::Status status = rocksdb::Checkpoint::Create(impl_->db.get(), &raw_checkpoint);
  if (!status.ok()) return FromRocksDbStatus(status, context);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw_checkpoint);
  return FromRocksDbStatus(checkpoint->CreateCheckpoint(target), context);
}

}  // namespace pilotage::store
