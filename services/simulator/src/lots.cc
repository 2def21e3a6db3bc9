#include "pilotage/simulator/lots.h"

#include <utility>

#include "fmt/format.h"
#include "pilotage/domain/lot_file.h"

namespace pilotage::simulator {

namespace {

constexpr std::string_view kProfileFlags =
    "SLOW_FIRST_APPOINTMENT, LOW_SATISFACTION, LATE_REPORTING, LOW_PRIORITY_PUBLICS, LOW_UPTAKE";

// Sets the flag named `flag`; false if there is no such flag.
bool SetProfileFlag(std::string_view flag, LotProfile* profile) {
  bool* field = flag == "SLOW_FIRST_APPOINTMENT" ? &profile->slow_first_appointment
                : flag == "LOW_SATISFACTION"     ? &profile->low_satisfaction
                : flag == "LATE_REPORTING"       ? &profile->late_reporting
                : flag == "LOW_PRIORITY_PUBLICS" ? &profile->low_priority_publics
                : flag == "LOW_UPTAKE"           ? &profile->low_uptake
                                                 : nullptr;
  if (field != nullptr) *field = true;
  return field != nullptr;
}

// The simulator's view of a lot the shared reader has checked: the time zone
// as an enum, the profile flags known.
absl::StatusOr<LotCatalogue> FromLotFile(domain::LotFile file, std::string_view origin) {
  LotCatalogue catalogue;
  catalogue.contract = std::move(file.contract);
  catalogue.note = std::move(file.note);
  for (size_t i = 0; i < file.lots.size(); ++i) {
    domain::LotFileEntry& entry = file.lots[i];
    Lot lot;
    lot.timezone =
        entry.timezone == "Indian/Reunion" ? TimeZone::kIndianReunion : TimeZone::kEuropeParis;
    for (size_t j = 0; j < entry.profile.size(); ++j) {
      if (!SetProfileFlag(entry.profile[j], &lot.profile)) {
        return absl::InvalidArgumentError(
            fmt::format("{}: lots[{}].profile[{}]: unknown flag '{}' (known: {})", origin, i, j,
                        entry.profile[j], kProfileFlags));
      }
    }
    lot.entry = std::move(entry);
    catalogue.lots.push_back(std::move(lot));
  }
  return catalogue;
}

}  // namespace

const Lot* LotCatalogue::Find(std::string_view lot_id) const {
  for (const Lot& lot : lots) {
    if (lot.entry.lot_id == lot_id) return &lot;
  }
  return nullptr;
}

absl::StatusOr<LotCatalogue> ParseLots(std::string_view json_text, std::string_view origin) {
  auto file = domain::ParseLotFile(json_text, origin);
  if (!file.ok()) return file.status();
  return FromLotFile(std::move(*file), origin);
}

absl::StatusOr<LotCatalogue> LoadLots(const std::string& path, int times) {
  auto file = domain::ReadLotFile(path);
  if (!file.ok()) return file.status();
  if (times != 1) {
    file = domain::MultiplyLots(*file, times);
    if (!file.ok()) return file.status();
  }
  return FromLotFile(std::move(*file), path);
}

}  // namespace pilotage::simulator
