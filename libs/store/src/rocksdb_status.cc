#include "rocksdb_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace pilotage::store {

absl::Status FromRocksDbStatus(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  // Debian builds abseil with its own absl::string_view (not an alias of
  // std::string_view), so views are converted explicitly.
  std::string message = absl::StrCat("rocksdb: ", absl::string_view(context.data(), context.size()),
                                     ": ", status.ToString());
  using Code = rocksdb::Status::Code;
  switch (status.code()) {
    case Code::kNotFound:
      return absl::NotFoundError(message);
    case Code::kCorruption:
      return absl::DataLossError(message);
    case Code::kInvalidArgument:
      return absl::InvalidArgumentError(message);
    case Code::kNotSupported:
      return absl::UnimplementedError(message);
    case Code::kIOError:
      if (status.IsPathNotFound()) return absl::NotFoundError(message);
      if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
      if (status.IsIOFenced()) return absl::FailedPreconditionError(message);
      return absl::UnavailableError(message);
    case Code::kTryAgain:
    case Code::kIncomplete:
      return absl::UnavailableError(message);
    case Code::kBusy:  // a write conflict or lock timeout: retry the whole unit of work
    case Code::kAborted:
    case Code::kMergeInProgress:
      if (status.IsMemoryLimit()) return absl::ResourceExhaustedError(message);
      return absl::AbortedError(message);
    case Code::kTimedOut:
    case Code::kExpired:
      return absl::DeadlineExceededError(message);
    case Code::kShutdownInProgress:
      return absl::CancelledError(message);
    case Code::kCompactionTooLarge:
      return absl::ResourceExhaustedError(message);
    case Code::kColumnFamilyDropped:
      return absl::FailedPreconditionError(message);
    case Code::kOk:
    case Code::kMaxCode:
      break;
  }
  return absl::UnknownError(message);
}

}  // namespace pilotage::store
