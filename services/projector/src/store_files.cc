#include "store_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fmt/format.h"

namespace pilotage::projector {
namespace fs = std::filesystem;
namespace {

absl::Status FromErrno(int error, std::string_view what, const fs::path& path) {
  return absl::UnavailableError(fmt::format("{} {}: {}", what, path.string(), strerror(error)));
}

absl::Status FromError(const std::error_code& ec, std::string_view what, const fs::path& path) {
  return absl::UnavailableError(fmt::format("{} {}: {}", what, path.string(), ec.message()));
}

absl::Status SyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return FromErrno(errno, "opening", path);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return FromErrno(error, "fsync of", path);
  return absl::OkStatus();
}

}  // namespace

absl::Status SyncDirectory(const fs::path& dir) { return SyncPath(dir, O_RDONLY | O_DIRECTORY); }

absl::Status SyncTree(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> dirs = {dir};
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const auto status = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_directory(status)) {
      dirs.push_back(it->path());
    } else if (fs::is_regular_file(status)) {
      if (absl::Status s = SyncPath(it->path(), O_RDONLY); !s.ok()) return s;
    }
  }
  if (ec) return FromError(ec, "listing", dir);
  // Children first: a directory's entries are durable once it is synced.
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) {
    if (absl::Status s = SyncDirectory(*d); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status RenameDurably(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return FromError(ec, fmt::format("renaming {} to", from.string()), to);
  if (absl::Status s = SyncDirectory(to.parent_path()); !s.ok()) return s;
  if (from.parent_path() != to.parent_path()) return SyncDirectory(from.parent_path());
  return absl::OkStatus();
}

absl::Status PointLinkDurably(const fs::path& link, const fs::path& target) {
  std::error_code ec;
  const fs::path tmp = link.string() + std::string(kPartialSuffix);
  fs::remove(tmp, ec);
  fs::create_directory_symlink(target, tmp, ec);
  if (ec) return FromError(ec, "creating link", tmp);
  return RenameDurably(tmp, link);
}

absl::Status CopyStoreFiles(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::create_directory(to, ec)) {
    return ec ? FromError(ec, "creating", to)
              : absl::AlreadyExistsError(fmt::format("{} already exists", to.string()));
  }
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    const fs::path target = to / entry.path().filename();
    if (!entry.is_regular_file()) {
      return absl::FailedPreconditionError(
          fmt::format("{} is not a store directory: {} is not a plain file", from.string(),
                      entry.path().string()));
    }
    if (entry.path().extension() == ".sst") {
      fs::create_hard_link(entry.path(), target, ec);
      if (!ec) continue;
      ec.clear();  // another filesystem: copy instead
    }
    fs::copy_file(entry.path(), target, ec);
    if (ec) return FromError(ec, fmt::format("copying {} to", entry.path().string()), target);
  }
  if (ec) return FromError(ec, "listing", from);
  return absl::OkStatus();
}

absl::StatusOr<int> RemovePartials(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  const std::string partial(kPartialSuffix);
  const std::string rocksdb_tmp = partial + ".tmp";
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(partial) || name.ends_with(rocksdb_tmp)) stale.push_back(entry.path());
  }
  if (ec) return FromError(ec, "listing", dir);
  for (const auto& path : stale) {
    fs::remove_all(path, ec);
    if (ec) return FromError(ec, "removing", path);
  }
  if (!stale.empty()) {
    if (absl::Status s = SyncDirectory(dir); !s.ok()) return s;
  }
  return static_cast<int>(stale.size());
}

int64_t TreeBytes(const fs::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += static_cast<int64_t>(size);
    }
  }
  return total;
}

}  // namespace pilotage::projector
