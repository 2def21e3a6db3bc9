#pragma once
// The regional lots the simulator generates activity for: the lot file
// (deploy/lots/cep-2024-lots.json is the shipped example), read and checked by
// the one reader, domain/lot_file.h, which says its format and errors. Here
// the simulator's view of it: the reader's entries, with the time zone as an
// enum and the "profile" flags below, checked (an unknown flag is kInvalidArgument naming
// "lots[i].profile[j]").

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pilotage/domain/lot_file.h"

namespace pilotage::simulator {

// How a lot's operator departs from the national norm, to make it miss
// targets on purpose. Written in the file as the flag names below.
struct LotProfile {
  // "SLOW_FIRST_APPOINTMENT": first appointments about two weeks after the
  // request instead of a few working days (under half within 10 working days).
  bool slow_first_appointment = false;
  // "LOW_SATISFACTION": about 68% of end-of-service scores at 7 or more
  // instead of about 90%; fewer beneficiaries find the service useful.
  bool low_satisfaction = false;
  // "LATE_REPORTING": about 25% of events reported 5 to 45 days late instead
  // of about 3% reported 2 to 20 days late.
  bool late_reporting = false;
  // "LOW_PRIORITY_PUBLICS": fewer low-qualified, older and small-company
  // beneficiaries than the national profile.
  bool low_priority_publics = false;
  // "LOW_UPTAKE": 70% of the volume its working population would give.
  bool low_uptake = false;
};

// Time zones the simulator knows (appointments are placed in local office
// hours, then written in UTC).
enum class TimeZone { kEuropeParis, kIndianReunion };

// A lot as the lot file describes it, with the simulator's reading of its
// time zone and profile flags.
struct Lot {
  // Ids, region, operator, contract dates (both inclusive: no request is
  // generated outside them), budget, départements (their population_k
  // weighs residence) and working_population_k (the lot's share of the
  // national volume).
  domain::LotFileEntry entry;
  // entry.timezone, as an enum.
  TimeZone timezone = TimeZone::kEuropeParis;
  // entry.profile's flags.
  LotProfile profile;
};

struct LotCatalogue {
  // In file order.
  std::vector<Lot> lots;
  // Free text from the file, shown by nothing but kept for tools.
  std::string contract;
  std::string note;

  // The lot with this id, or nullptr.
  const Lot* Find(std::string_view lot_id) const;
};

// Parses and validates a lot file's text. `origin` names it in messages.
[[nodiscard]] absl::StatusOr<LotCatalogue> ParseLots(std::string_view json_text,
                                                     std::string_view origin);

// Reads and parses a lot file; `times` > 1 makes the contract that many
// times larger (domain::MultiplyLots: copies of each lot with new ids).
[[nodiscard]] absl::StatusOr<LotCatalogue> LoadLots(const std::string& path, int times = 1);

}  // namespace pilotage::simulator
