// The query service's view of a store the test writes as the projector
// would (a primary in this process), read through the view's RocksDB
// secondaries: a KPI cell added before the primary flushed is counted once,
// even when opening a secondary again failed at the first attempt, and a
// failed catch-up is not served.
#include "store_view.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/store/coding.h"
#include "pilotage/store/store.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::query {
namespace {

namespace fs = std::filesystem;
namespace layout = readmodel::layout;

constexpr char kCell[] = "LOT-A\0cell";  // any key: the family adds what is written under it

// A store in the cep projection's layout under DIR/data/stores/initial,
// DIR/data/current pointing to it, written by a primary held here.
class Primary {
 public:
  Primary() {
    fs::create_directories(data() / "stores");
    fs::create_directory_symlink("stores/initial", data() / "current");
    store::StoreOptions options;
    for (auto f : {projection::kMetaFamily, projection::kSeenFamily, projection::kProgressFamily}) {
      options.column_families.push_back({.name = std::string(f)});
    }
    for (auto& f : layout::CepFamilies()) options.column_families.push_back(f);
    auto store = store::Store::Open((data() / "stores" / "initial").string(), options);
    EXPECT_OK(store);
    store_ = std::move(*store);
    auto batch = store_->NewWriteBatch();
    batch.Put(projection::kMetaFamily, "projection", "cep:6");
    batch.Put(projection::kMetaFamily, "layout", projection::kEngineLayout);
    EXPECT_OK(store_->Write(batch));
  }

  // Adds `delta` to the cell and records `next_offset`, in one batch.
  void Add(int64_t delta, int64_t next_offset) {
    auto batch = store_->NewWriteBatch();
    batch.Add(layout::kKpiCells, std::string_view(kCell, sizeof kCell - 1), delta);
    batch.Put(projection::kProgressFamily, "activity/0",
              projection::EncodeProgress({.next_offset = next_offset, .folded = next_offset}));
    ASSERT_OK(store_->Write(batch));
  }

  // Records `next_offset` alone (events that changed no cell).
  void Progress(int64_t next_offset) {
    auto batch = store_->NewWriteBatch();
    batch.Put(projection::kProgressFamily, "activity/0",
              projection::EncodeProgress({.next_offset = next_offset, .folded = next_offset}));
    ASSERT_OK(store_->Write(batch));
  }

  // Flushes what the write-ahead log holds to a table file (a checkpoint
  // flushes first).
  void Flush() { ASSERT_OK(store_->CreateCheckpoint((dir_.path() / "checkpoint").string())); }

  fs::path data() const { return dir_.path() / "data"; }
  fs::path root() const { return dir_.path(); }

 private:
  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

// The cell as the view's current generation reads it.
std::optional<int64_t> CellSeen(StoreView& view) {
  std::optional<int64_t> seen;
  EXPECT_OK(view.Read([&seen](Generation& generation, const Freshness&) -> absl::Status {
    auto got = generation.store().Get(layout::kKpiCells, std::string_view(kCell, sizeof kCell - 1));
    if (!got.ok()) return got.status();
    if (*got) seen = store::ReadFixed64((*got)->data());
    return absl::OkStatus();
  }));
  return seen;
}

TEST(StoreView, ACellAddedBeforeAFlushIsCountedOnceEvenAfterAFailedReopen) {
  Primary primary;
  primary.Add(5, 1);
  const fs::path secondaries = primary.root() / "secondaries";
  StoreView view({.data_dir = primary.data(), .secondary_dir = secondaries});
  ASSERT_OK(view.Refresh());  // opens a and b, both replay 5 from the log
  EXPECT_EQ(CellSeen(view), 5);
  primary.Add(2, 2);
  ASSERT_OK(view.Refresh());  // b caught up: 7, in front
  EXPECT_EQ(CellSeen(view), 7);

  // The primary flushes what a replayed; a cannot be opened again (its
  // directory is a file now): the refresh fails and b stays in front.
  primary.Flush();
  fs::remove_all(secondaries / "a");
  std::ofstream(secondaries / "a") << "not a directory";
  EXPECT_FALSE(view.Refresh().ok());
  EXPECT_EQ(CellSeen(view), 7);

  // Once it can be, a is opened again: still 7, where the instance that
  // replayed 5 before the flush would show 5 + 7. Only the offsets move: a
  // new cell would start a new memtable in a, and RocksDB would drop the
  // replayed one at that catch-up, hiding the double count.
  fs::remove(secondaries / "a");
  primary.Progress(3);
  ASSERT_OK(view.Refresh());
  EXPECT_EQ(CellSeen(view), 7);
}

// A catch-up that fails (here the primary's CURRENT names a MANIFEST that
// does not exist, as for an instant when the primary starts a new one) is
// not served: the previous view is, and the next refresh opens that
// secondary again.
TEST(StoreView, AFailedCatchUpKeepsThePreviousViewServed) {
  Primary primary;
  primary.Add(5, 1);
  StoreView view({.data_dir = primary.data(), .secondary_dir = primary.root() / "secondaries"});
  ASSERT_OK(view.Refresh());
  EXPECT_EQ(CellSeen(view), 5);
  primary.Add(2, 2);
  const fs::path current = primary.data() / "stores" / "initial" / "CURRENT";
  std::string names;
  std::getline(std::ifstream(current), names);
  std::ofstream(current, std::ios::trunc) << "MANIFEST-999999\n";

  const absl::Status failed = view.Refresh();
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("catch up"), absl::string_view::npos) << failed;
  EXPECT_EQ(CellSeen(view), 5);

  std::ofstream(current, std::ios::trunc) << names << "\n";
  ASSERT_OK(view.Refresh());
  EXPECT_EQ(CellSeen(view), 7);
}

}  // namespace
}  // namespace pilotage::query
