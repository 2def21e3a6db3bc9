#pragma once
// `pilotagectl kpis`: a lot's (or the national) KPI results for a period,
// read from the projector's store (the `cep` projection) through a read-only,
// point-in-time view, so every figure comes from one consistent state even
// while the projector writes.
//
// The table is for pilots, in French (labels, statuses "Atteint", "À risque",
// "Non atteint", "Données insuffisantes", numbers "82,5 %", "13 500"); the
// JSON has English keys and raw numbers, for tools and tests.

#include <filesystem>
#include <iosfwd>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace pilotage::pilotagectl {

struct KpisOptions {
  // The projector's data directory (its `current` link names the store).
  std::filesystem::path data_dir;
  // The lot, e.g. "LOT-11"; ignored when `national`.
  std::string lot;
  // Aggregate every lot of the store instead of one.
  bool national = false;
  // "2024-01", "2024-Q1", "2024", "CY1" (needs the lot's award) or
  // "CY1@2024-01-02".
  std::string period;
  // Print JSON rather than the French table.
  bool json = false;
};

// The results as JSON (the `--json` output). kNotFound when the store or
// the lot's terms are missing; kInvalidArgument for a bad period.
[[nodiscard]] absl::StatusOr<nlohmann::json> KpisJson(const KpisOptions& options);

// Prints the table or the JSON to `out`.
[[nodiscard]] absl::Status PrintKpis(const KpisOptions& options, std::ostream& out);

}  // namespace pilotage::pilotagectl
