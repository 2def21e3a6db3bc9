#pragma once
// The embedded key-value store that holds every read model: a RocksDB database
// with named column families, atomic multi-column-family batches, snapshots
// and checkpoints. No RocksDB type appears here; only libs/store includes
// RocksDB (see README.md).
//
// Keys and values are arbitrary byte strings. Keys are ordered bytewise (as
// unsigned bytes), which is the order ForEach visits them in.
//
// Every fallible call returns absl::Status or absl::StatusOr. Codes follow
// abseil's retry advice:
//   kInvalidArgument    bad input (unknown column family, bad options): never retry.
//   kNotFound           the store or a column family it needs does not exist.
//   kAlreadyExists      a checkpoint directory is already there.
//   kFailedPrecondition fix the state first (path is a file, store is read-only).
//   kUnavailable        I/O error or the store is locked by another process:
//                       retry later.
//   kAborted            a conflict: retry at a higher level.
//   kResourceExhausted  out of disk space.
//   kDataLoss           corruption: rebuild the read model from the event log.
// Messages name the store's path and, when there is one, the column family.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pilotage::store {

// How the merge writes to one column family (WriteBatch::Append or
// WriteBatch::Add) combine with its values.
enum class MergeKind {
  // WriteBatch::Append: the bytes are concatenated.
  kAppend,
  // WriteBatch::Add: values are 8-byte little-endian signed integers
  // (coding.h) and the deltas are summed, wrapping on overflow. A value of
  // another size makes reading that key fail (kDataLoss).
  kAddFixed64,
};

// How one column family is opened.
struct ColumnFamilyOptions {
  // The column family's name. Must be non-empty and unique within
  // StoreOptions::column_families. "default" always exists and may be listed
  // here only to give it a prefix length.
  std::string name;

  // If non-zero, the first `fixed_prefix_bytes` bytes of each key form its
  // prefix: bloom filters then also index prefixes, so ForEach with a prefix
  // at least this long skips files that hold none of it. Keys shorter than
  // this are still stored and visited. Choose the length of the fixed-size
  // part every key starts with (e.g. an 8-byte lot id). Unit: bytes.
  // Default: 0, no prefix.
  std::size_t fixed_prefix_bytes = 0;

  // If true, the memtable keeps a whole-key bloom filter, so that looking up
  // a key that is absent (the common case of a dedup check) skips the
  // memtable search. Costs about 10% of write_buffer_bytes in memory.
  // Default: false.
  bool memtable_bloom = false;

  // How merge writes combine (see MergeKind). Every open of a store must give
  // a column family the same kind: the kind is not recorded on disk, and a
  // reader opening it with another one reads wrong values. Default: kAppend.
  MergeKind merge = MergeKind::kAppend;
};

// Options for Store::Open and Store::OpenReadOnly. Every field has a usable
// default; a default-constructed StoreOptions opens (or creates) a store with
// only the "default" column family.
struct StoreOptions {
  // Column families to open besides "default". Open creates those missing.
  // Column families that exist on disk but are not listed here are opened
  // too, with default settings (see Store::ColumnFamilies).
  // Default: empty.
  std::vector<ColumnFamilyOptions> column_families;

  // Open creates the store directory (and its parents) if it does not exist.
  // If false, opening a missing store is kNotFound. Ignored by OpenReadOnly.
  // Default: true.
  bool create_if_missing = true;

  // If true, every Write is fsync'ed before it returns: a machine crash
  // loses nothing acknowledged. If false, the write-ahead log is written but
  // not fsync'ed: a process crash loses nothing, a machine crash may lose the
  // last writes. The write-ahead log is always on.
  // Default: false.
  bool sync = false;

  // Capacity of the block cache shared by all column families, for
  // uncompressed data blocks read from disk and the table files' index and
  // filter blocks (so that memory does not grow with the store's size).
  // 0 disables the cache (index and filters are then held beside it).
  // Unit: bytes. Default: 64 MiB.
  std::size_t block_cache_bytes = std::size_t{64} << 20;

  // Bits per key of the bloom filters that let a Get of a missing key skip
  // reading data blocks. 10 gives about 1% false positives; 0 disables
  // filters. Default: 10.
  int bloom_bits_per_key = 10;

  // Size of each column family's in-memory write buffer (memtable) before it
  // is flushed to disk. Larger means fewer, bigger files and more memory.
  // Unit: bytes, per column family. Default: 64 MiB.
  std::size_t write_buffer_bytes = std::size_t{64} << 20;

  // Cap on the memory of every column family's write buffers together
  // (RocksDB's WriteBufferManager): past it, the write buffers are flushed
  // to disk, so that a store with many column families does not hold
  // write_buffer_bytes (and a second buffer being flushed) for each. 0: no
  // cap beyond write_buffer_bytes per column family. Unit: bytes.
  // Default: 64 MiB.
  std::size_t total_write_buffer_bytes = std::size_t{64} << 20;
};

// A consistent, read-only view of a Store at the instant it was taken: writes
// made after it are not visible through it. Obtained from Store::GetSnapshot
// and passed to the Get and ForEach overloads of the same Store. Opaque.
//
// Releasing the last std::shared_ptr releases the snapshot (old versions it
// pins become reclaimable, so do not keep snapshots longer than needed). A
// snapshot keeps its database open, so it may safely outlive the Store; the
// database closes when both are gone.
//
// Thread-safe: immutable, may be shared between threads.
class Snapshot;

class Store;

// A set of updates applied atomically by Store::Write: after a crash or to
// any reader, either all of them are visible or none is, across column
// families. Obtained from Store::NewWriteBatch and written to that Store.
//
// Put and Delete do not fail on the spot: the first error they meet (an
// unknown column family, a key or value of 4 GiB or more) is kept, later
// updates are ignored, and Store::Write returns that error without writing
// anything.
//
// Like the Snapshot, a batch keeps its database open and may outlive the
// Store. Not thread-safe: one thread builds a batch at a time. Movable; a
// moved-from batch may only be destroyed or assigned to.
class WriteBatch {
 public:
  WriteBatch(WriteBatch&& other) noexcept;
  WriteBatch& operator=(WriteBatch&& other) noexcept;
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;
  ~WriteBatch();

  // Sets `key` to `value` in column family `column_family`. The bytes are
  // copied into the batch; the views need not outlive the call.
  void Put(std::string_view column_family, std::string_view key, std::string_view value);

  // Removes `key` from `column_family` (a no-op for a missing key).
  void Delete(std::string_view column_family, std::string_view key);

  // Appends `bytes` to the value of `key` in `column_family` (a missing key
  // counts as an empty value): once written, Get returns the concatenation of
  // the value put last and every append since, in write order. An append
  // costs the store the size of `bytes`, not of the whole value: use it for
  // values that only grow (e.g. sets of ids written a few at a time). Any
  // column family opened with MergeKind::kAppend (the default) accepts
  // appends; in another, the batch keeps kFailedPrecondition.
  void Append(std::string_view column_family, std::string_view key, std::string_view bytes);

  // Adds `delta` to the integer stored under `key` in `column_family`, which
  // must be opened with MergeKind::kAddFixed64 (else the batch keeps
  // kFailedPrecondition); a missing key counts as 0. Nothing is read: once
  // written, Get and ForEach return the sum as 8 bytes (EncodeFixed64) of
  // the value put last and every delta since. A sum back to 0 stays stored
  // as 0 (Delete removes a key).
  void Add(std::string_view column_family, std::string_view key, int64_t delta);

  // Empties the batch and clears a kept error, keeping its memory for reuse.
  void Clear();

  // Number of Put, Delete, Append and Add calls recorded since creation or
  // Clear.
  [[nodiscard]] std::size_t Count() const;

  // Approximate size of the batch in bytes: keys, values and framing.
  [[nodiscard]] std::size_t ApproximateBytes() const;

  // The first error met by Put or Delete, or OK.
  [[nodiscard]] absl::Status status() const;

 private:
  friend class Store;
  struct Rep;
  explicit WriteBatch(std::unique_ptr<Rep> rep);

  std::unique_ptr<Rep> rep_;
};

// An open store. Obtained from Open or OpenReadOnly; destroying it closes the
// database once no Snapshot or WriteBatch of it remains.
//
// Thread-safe: every method may be called concurrently from any number of
// threads, reads and writes alike (writes are serialised internally).
class Store {
 public:
  // Called by ForEach with each key and value; returns true to continue and
  // false to stop. The views are valid only during the call.
  using Visitor = absl::FunctionRef<bool(std::string_view key, std::string_view value)>;

  // Opens the store in directory `path` for reading and writing, creating it
  // if missing and options.create_if_missing, and creating the listed column
  // families it lacks. Only one process may have a store open for writing.
  //
  // Errors: kInvalidArgument for bad options (empty or duplicate column family
  // names, negative bloom_bits_per_key); kFailedPrecondition if `path` exists
  // and is not a directory; kNotFound if the store is missing and
  // !create_if_missing; kUnavailable if another process has it open or on an
  // I/O error; kDataLoss if it is corrupt.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(std::string_view path,
                                                                   const StoreOptions& options);

  // Opens an existing store in directory `path` for reading only: Write
  // returns kFailedPrecondition. Needs no lock, so it works while a writer has
  // the store open, flushing and compacting, but sees the store as it was on
  // disk when opened; later writes are not visible. What it sees is a state
  // the writer committed: whole batches, every column family as of the same
  // batch. All existing column families are opened, and every table file with
  // them, so reads keep working after the writer deletes files (Linux keeps an
  // unlinked open file readable).
  //
  // An open that a writer's flush or compaction overlapped (RocksDB's
  // read-only open then fails on a deleted file, or replays a log one column
  // family needed after the writer deleted it) is detected and retried: up to
  // 100 attempts, each a few milliseconds.
  //
  // Errors: as Open, and kNotFound if the store or a column family listed in
  // options does not exist; kUnavailable if the writer changed the store
  // during each of the 100 attempts (try again later).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> OpenReadOnly(
      std::string_view path, const StoreOptions& options);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // The directory this store was opened in.
  [[nodiscard]] const std::string& path() const;

  // Opens the store at `path`, which another process keeps writing, as a
  // RocksDB secondary instance: a read-only follower that sees the primary's
  // writes when CatchUp() is called, whole batches at a time, never half of
  // one. `secondary_dir` is a directory of the follower's own (its info log);
  // created if missing. The columns families must exist (kNotFound otherwise).
  // Writes are refused as with OpenReadOnly.
  //
  // An open that a writer's flush or compaction overlapped is detected and
  // made again, as OpenReadOnly's (RocksDB's secondary open then replays no
  // log that the writer deleted meanwhile: half of a batch). Errors: as
  // OpenReadOnly, and kUnavailable if the writer changed the store during
  // each of the 100 attempts (try again later).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> OpenSecondary(
      std::string_view path, std::string_view secondary_dir, const StoreOptions& options);

  // For a secondary: applies what the primary wrote since the last call (or
  // the open). Reads running at the same time see the data before or after a
  // batch, never in between; a reader that needs several reads to agree
  // takes a Snapshot or keeps CatchUp() from running meanwhile.
  // kFailedPrecondition on a store not opened with OpenSecondary.
  //
  // A catch-up that a writer's flush or compaction overlapped (RocksDB may
  // then have skipped a log the writer deleted) is made again, up to 100
  // times, until one saw the store's MANIFEST stay still; kUnavailable if
  // none did. After a failed CatchUp, open a new secondary rather than read
  // this one or catch it up again.
  //
  // RocksDB (7.8) keeps in a secondary's memtable what it replayed from a
  // write-ahead log even after the primary flushed that log to a table file:
  // once the secondary sees that file (a later CatchUp), a Put replayed
  // before may shadow a newer value, and an Add is counted twice (its delta
  // is in the memtable and in the table). A follower that must stay exact
  // compares TableFiles() after each CatchUp and, when a new name appears,
  // opens a new secondary instead of reading this one (a new one has
  // replayed only the logs not flushed yet).
  [[nodiscard]] absl::Status CatchUp();

  // The names of the table files of the store's current version, every
  // column family, sorted. A name not seen before means the store (or, for
  // a secondary, its primary, as of the last CatchUp) flushed or compacted:
  // a flushed file may be compacted away before a secondary catches up, but
  // the compaction's output is new too.
  [[nodiscard]] std::vector<std::string> TableFiles() const;

  // True if opened with OpenReadOnly.
  [[nodiscard]] bool read_only() const;

  // Names of the open column families, "default" included, sorted.
  [[nodiscard]] std::vector<std::string> ColumnFamilies() const;

  // The value of `key` in `column_family`: std::nullopt if the key is missing
  // (an empty value is a present key). The first overload reads the latest
  // committed state, the second the state of `snapshot`.
  //
  // Errors: kInvalidArgument for an unknown column family or a snapshot of
  // another Store; kUnavailable on I/O error; kDataLoss on corruption.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(std::string_view column_family,
                                                               std::string_view key) const;
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Get(const Snapshot& snapshot,
                                                               std::string_view column_family,
                                                               std::string_view key) const;

  // The values of `keys` in `column_family`, in the order of `keys`:
  // std::nullopt for a missing key, as Get. One batched lookup (RocksDB's
  // MultiGet) for all of them, cheaper than a Get per key: the memtables and
  // table files are searched once for the whole set. `sorted` says the keys
  // are in ascending bytewise order (RocksDB then does not sort a copy);
  // giving unsorted keys with `sorted` true is a caller error (keys may be
  // reported missing). Reads the latest committed state, the same for every
  // key.
  //
  // Errors: as Get, naming the first key that failed; no values then.
  [[nodiscard]] absl::StatusOr<std::vector<std::optional<std::string>>> MultiGet(
      std::string_view column_family, const std::vector<std::string_view>& keys,
      bool sorted = false) const;

  // Calls `visit` for each key of `column_family` that starts with `prefix`
  // (every key if `prefix` is empty), in ascending key order, until `visit`
  // returns false. The first overload sees the state at the moment it starts
  // (later writes do not appear midway); the second sees `snapshot`. `visit`
  // must not write to this Store expecting to see its own writes.
  //
  // Errors: as Get. Keys visited before an I/O error or corruption was met
  // have been passed to `visit`.
  [[nodiscard]] absl::Status ForEach(std::string_view column_family, std::string_view prefix,
                                     Visitor visit) const;
  [[nodiscard]] absl::Status ForEach(const Snapshot& snapshot, std::string_view column_family,
                                     std::string_view prefix, Visitor visit) const;

  // An empty batch for this Store.
  [[nodiscard]] WriteBatch NewWriteBatch() const;

  // Applies `batch` atomically, durably per StoreOptions::sync. The batch is
  // left as it is; Clear it to reuse it.
  //
  // Errors: the batch's own error (see WriteBatch::status), nothing written;
  // kInvalidArgument for a batch of another Store; kFailedPrecondition on a
  // read-only Store; kUnavailable on I/O error; kResourceExhausted if the
  // disk is full. On error nothing of the batch is visible.
  [[nodiscard]] absl::Status Write(WriteBatch& batch);

  // Writes every column family's memtable to table files and waits until
  // they are installed. Until then what a writer wrote since the last flush
  // lives in memtables and in the write-ahead log, and every OpenReadOnly and
  // OpenSecondary replays that log into memtables of its own: up to the
  // write buffers' size (StoreOptions::total_write_buffer_bytes) of CPU and
  // memory per open. A writer that pauses or stops (a rebuild done, a
  // projector stopping) flushes so that its readers open cheaply.
  //
  // Errors: kFailedPrecondition on a read-only or secondary Store;
  // kUnavailable on I/O error; kResourceExhausted if the disk is full.
  [[nodiscard]] absl::Status Flush();

  // A snapshot of the latest committed state, for consistent reads across
  // several Get and ForEach calls while writers go on.
  //
  // On a secondary (OpenSecondary) RocksDB has no snapshots: the snapshot is
  // the secondary's current view, which moves only when CatchUp() runs. Reads
  // through it agree as long as the caller keeps CatchUp() from running
  // meanwhile (the query service holds its view's lock for that).
  [[nodiscard]] std::shared_ptr<const Snapshot> GetSnapshot() const;

  // Writes a consistent copy of the store into the new directory `dir`,
  // openable with Open or OpenReadOnly: table files are hard-linked when
  // `dir` is on the same filesystem (cheap), copied otherwise. Memtables are
  // flushed first. The parent of `dir` must exist.
  //
  // Errors: kAlreadyExists if `dir` exists; kNotFound if its parent does
  // not; kUnavailable on I/O error.
  [[nodiscard]] absl::Status CreateCheckpoint(std::string_view dir) const;

 private:
  friend class Snapshot;
  friend class WriteBatch;
  struct Impl;
  explicit Store(std::shared_ptr<Impl> impl);
  static absl::StatusOr<std::unique_ptr<Store>> OpenWithMode(std::string_view path,
                                                             const StoreOptions& options,
                                                             bool read_only,
                                                             std::string_view secondary_dir);
  // One open, without OpenWithMode's retries of read-only opens.
  static absl::StatusOr<std::unique_ptr<Store>> OpenAttempt(std::string_view path,
                                                            const StoreOptions& options,
                                                            bool read_only,
                                                            std::string_view secondary_dir);

  std::shared_ptr<Impl> impl_;
};

}  // namespace pilotage::store
