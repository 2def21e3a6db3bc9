#include "pilotage/readmodel/coverage.h"

#include <thread>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/time/clock.h"
#include "fmt/format.h"

namespace pilotage::readmodel {
namespace {

// Marks the refusals of this file, so that programs can give them their own
// exit code whatever words the message uses.
constexpr char kNotTrustedPayload[] = "pilotage.readmodel/store-not-trusted";

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

int64_t Coverage::EventsBehind() const {
  int64_t total = 0;
  for (const auto& b : behind) total += b.lag();
  return total;
}

std::string Coverage::DescribeFrench() const {
  if (Complete()) return fmt::format("toutes les {} partitions à jour", partitions);
  std::vector<std::string> parts;
  if (!missing.empty()) {
    parts.push_back(fmt::format("{} partition(s) sur {} jamais intégrée(s) : {}", missing.size(),
                                partitions, Join(missing)));
  }
  if (!behind.empty()) {
    std::vector<std::string> each;
    for (const auto& b : behind) {
      each.push_back(fmt::format("{} de {} événement(s) (intégrée jusqu'à {}, fin du journal {})",
                                 b.partition, b.lag(), b.next_offset, b.end_offset));
    }
    parts.push_back(fmt::format("{} en retard : {}", behind.size(), Join(each)));
  }
  std::string out = parts[0];
  if (parts.size() > 1) out += " ; " + parts[1];
  return out;
}

std::string Coverage::DescribeEnglish() const {
  if (Complete()) return fmt::format("all {} partitions up to date", partitions);
  std::vector<std::string> parts;
  if (!missing.empty()) {
    parts.push_back(fmt::format("{} of {} partition(s) never folded: {}", missing.size(),
                                partitions, Join(missing)));
  }
  if (!behind.empty()) {
    std::vector<std::string> each;
    for (const auto& b : behind) {
      each.push_back(fmt::format("{} by {} event(s) (folded to {}, log end {})", b.partition,
                                 b.lag(), b.next_offset, b.end_offset));
    }
    parts.push_back(fmt::format("{} behind: {}", behind.size(), Join(each)));
  }
  std::string out = parts[0];
  if (parts.size() > 1) out += "; " + parts[1];
  return out;
}

Coverage CompareWithLog(const Freshness& freshness, const EndOffsets& end_offsets) {
  return CompareWithLog(freshness.progress, end_offsets);
}

Coverage CompareWithLog(const std::map<std::string, projection::PartitionProgress>& progress,
                        const EndOffsets& end_offsets) {
  Coverage out;
  out.partitions = static_cast<int>(end_offsets.size());
  for (const auto& [partition, end] : end_offsets) {
    auto folded = progress.find(partition);
    if (folded == progress.end()) {
      if (end > 0) out.missing.push_back(partition);
      continue;
    }
    if (folded->second.next_offset < end) {
      out.behind.push_back({partition, folded->second.next_offset, end});
    }
  }
  return out;
}

absl::Status NotTrustedError(std::string message) {
  absl::Status s = absl::FailedPreconditionError(std::move(message));
  s.SetPayload(kNotTrustedPayload, absl::Cord("1"));
  return s;
}

absl::Status NotTrustedError(const StoreLocation& where, const Coverage& coverage) {
  return NotTrustedError(fmt::format(
      "le magasin {} ne contient pas tout le journal : {}. Un projecteur doit intégrer toutes "
      "les partitions dans son propre groupe de consommateurs (--group), puis être à jour ; "
      "voir `pilotage-projector status`",
      where.path.string(), coverage.DescribeFrench()));
}

bool IsStoreNotTrusted(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) && status.GetPayload(kNotTrustedPayload).has_value();
}

absl::StatusOr<std::unique_ptr<ReadStore>> OpenTrusted(const std::filesystem::path& data_dir,
                                                       const EndOffsets& end_offsets,
                                                       const TrustOptions& options) {
  const absl::Time deadline = absl::Now() + options.wait;
  while (true) {
    auto view = ReadStore::OpenReadOnly(data_dir);
    if (!view.ok()) return view.status();
    const Coverage coverage = CompareWithLog((*view)->freshness(), end_offsets);
    if (coverage.Complete()) return view;
    if (absl::Now() + options.poll > deadline) {
      return NotTrustedError((*view)->location(), coverage);
    }
    // A read-only instance is a fixed snapshot: what the projector writes
    // meanwhile is seen only by opening again.
    view->reset();
    if (options.on_retry) options.on_retry(coverage);
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(options.poll));
  }
}

}  // namespace pilotage::readmodel
