#include "rocksdb_status.h"

#include <gtest/gtest.h>

#include <string>

#include <rocksdb/io_status.h>

namespace pilotage::store {
namespace {

struct Case {
  std::string name;
  rocksdb::Status status;
  absl::StatusCode expected;
};

TEST(FromRocksDbStatus, MapsEachRocksDbCodeToItsRetryAdvice) {
  const Case cases[] = {
      {"ok", rocksdb::Status::OK(), absl::StatusCode::kOk},
      {"not found", rocksdb::Status::NotFound("x"), absl::StatusCode::kNotFound},
      {"path not found", rocksdb::Status::PathNotFound("x"), absl::StatusCode::kNotFound},
      {"corruption", rocksdb::Status::Corruption("x"), absl::StatusCode::kDataLoss},
      {"invalid argument", rocksdb::Status::InvalidArgument("x"),
       absl::StatusCode::kInvalidArgument},
      {"not supported", rocksdb::Status::NotSupported("x"), absl::StatusCode::kUnimplemented},
      {"io error", rocksdb::Status::IOError("x"), absl::StatusCode::kUnavailable},
      {"no space", rocksdb::Status::NoSpace("x"), absl::StatusCode::kResourceExhausted},
      {"io fenced", rocksdb::IOStatus::IOFenced("x"), absl::StatusCode::kFailedPrecondition},
      {"busy", rocksdb::Status::Busy("x"), absl::StatusCode::kAborted},
      {"try again", rocksdb::Status::TryAgain("x"), absl::StatusCode::kUnavailable},
      {"incomplete", rocksdb::Status::Incomplete("x"), absl::StatusCode::kUnavailable},
      {"aborted", rocksdb::Status::Aborted("x"), absl::StatusCode::kAborted},
      {"memory limit", rocksdb::Status::MemoryLimit("x"), absl::StatusCode::kResourceExhausted},
      {"timed out", rocksdb::Status::TimedOut("x"), absl::StatusCode::kDeadlineExceeded},
      {"expired", rocksdb::Status::Expired("x"), absl::StatusCode::kDeadlineExceeded},
      {"shutdown", rocksdb::Status::ShutdownInProgress("x"), absl::StatusCode::kCancelled},
      {"compaction too large", rocksdb::Status::CompactionTooLarge("x"),
       absl::StatusCode::kResourceExhausted},
      {"column family dropped", rocksdb::Status::ColumnFamilyDropped("x"),
       absl::StatusCode::kFailedPrecondition},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FromRocksDbStatus(c.status, "get from /data/x").code(), c.expected)
        << c.status.ToString();
  }
}

TEST(FromRocksDbStatus, MessageCarriesContextAndRocksDbText) {
  absl::Status status = FromRocksDbStatus(rocksdb::Status::Corruption("bad block checksum"),
                                          "get from /data/x, column family 'journeys'");
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("/data/x"), std::string::npos) << status;
  EXPECT_NE(status.message().find("'journeys'"), std::string::npos) << status;
  EXPECT_NE(status.message().find("bad block checksum"), std::string::npos) << status;
}

}  // namespace
}  // namespace pilotage::store
