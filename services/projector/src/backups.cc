#include "backups.h"

#include <algorithm>
#include <ctime>
#include <string>

#include "fmt/chrono.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"
#include "store_files.h"

namespace pilotage::projector {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kPrefix = "backup-";
// "backup-" + "YYYYMMDDTHHMMSSZ"
constexpr size_t kStampSize = 16;

bool IsBackupName(const std::string& name) {
  return name.starts_with(kPrefix) && name.size() >= kPrefix.size() + kStampSize &&
         !name.ends_with(kPartialSuffix) && !name.ends_with(".tmp");
}

}  // namespace

std::vector<fs::path> ListBackups(const fs::path& backup_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(backup_dir, ec)) {
    if (entry.is_directory() && IsBackupName(entry.path().filename().string())) {
      out.push_back(entry.path());
    }
  }
  // Same-second backups are suffixed -2, -3...: order by (stamp, suffix number).
  auto key = [](const fs::path& p) {
    const std::string name = p.filename().string();
    const std::string stamp = name.substr(kPrefix.size(), kStampSize);
    int n = 1;
    if (name.size() > kPrefix.size() + kStampSize + 1) {
      try {
        n = std::stoi(name.substr(kPrefix.size() + kStampSize + 1));
      } catch (const std::exception&) {
      }
    }
    return std::make_pair(stamp, n);
  };
  std::sort(out.begin(), out.end(),
            [&](const fs::path& a, const fs::path& b) { return key(a) < key(b); });
  return out;
}

std::chrono::system_clock::time_point BackupTime(const fs::path& path) {
  const std::string name = path.filename().string();
  if (!IsBackupName(name)) return {};
  std::tm tm{};
  if (strptime(name.c_str() + kPrefix.size(), "%Y%m%dT%H%M%SZ", &tm) == nullptr) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

absl::StatusOr<BackupInfo> TakeBackup(const store::Store& store, const fs::path& backup_dir,
                                      int keep) {
  std::error_code ec;
  fs::create_directories(backup_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("creating backup directory {}: {}", backup_dir.string(), ec.message()));
  }
  if (auto removed = RemovePartials(backup_dir); !removed.ok()) return removed.status();
  const auto now = std::chrono::system_clock::now();
  const std::string stamp =
      fmt::format("{}{:%Y%m%dT%H%M%SZ}", kPrefix, std::chrono::floor<std::chrono::seconds>(now));
  std::string name = stamp;
  for (int n = 2; fs::exists(backup_dir / name, ec); ++n) name = fmt::format("{}-{}", stamp, n);
  const fs::path final_path = fs::absolute(backup_dir / name);
  const fs::path partial = final_path.string() + std::string(kPartialSuffix);
  if (absl::Status s = store.CreateCheckpoint(partial.string()); !s.ok()) return s;
  if (absl::Status s = SyncTree(partial); !s.ok()) return s;
  if (absl::Status s = RenameDurably(partial, final_path); !s.ok()) return s;

  auto backups = ListBackups(backup_dir);
  const size_t kept = static_cast<size_t>(std::max(keep, 1));
  for (size_t i = 0; i + kept < backups.size(); ++i) {
    // Renamed first: a kill while removing leaves a partial, never a
    // truncated directory that looks like a backup.
    const fs::path doomed = backups[i].string() + std::string(kPartialSuffix);
    fs::rename(backups[i], doomed, ec);
    if (!ec) fs::remove_all(doomed, ec);
    if (ec) {
      spdlog::warn("projector: removing old backup {}: {}", backups[i].string(), ec.message());
      ec.clear();
    }
  }
  return BackupInfo{final_path, TreeBytes(final_path), now};
}

}  // namespace pilotage::projector
