#pragma once
// Translation of rocksdb::Status into absl::Status, done once, here.

#include <string_view>

#include <rocksdb/status.h>

#include "absl/status/status.h"

namespace pilotage::store {

// `context` says what was being done and where: "get from /var/lib/x,
// column family 'journeys'". OK stays OK; a NotFound is kNotFound, so callers
// for which a missing key is not an error must test IsNotFound() first.
absl::Status FromRocksDbStatus(const rocksdb::Status& status, std::string_view context);

}  // namespace pilotage::store
