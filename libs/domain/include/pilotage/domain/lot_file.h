#pragma once
// The lot file: the contract's regional lots, their operators, contract
// dates, budgets and départements, in JSON (deploy/lots/cep-2024-lots.json is
// the shipped example). The one reader of it: the gateway's `lots_file`,
// `pilotagectl import --lots`, `pilotagectl contract publish --lots` and the
// simulator all read it here, so a file one of them accepts is accepted by
// all, and a bad one is refused by all with the same message.
//
// A lot file looks like
//   {"lots": [{"lot_id": "LOT-11", "region": "Île-de-France", "region_code": "11",
//              "operator_id": "op-cibc-idf", "operator_name": "...",
//              "timezone": "Europe/Paris", "working_population_k": 5650,
//              "start_date": "2024-01-02", "end_date": "2028-01-01",
//              "annual_budget_cents": 1701600000,
//              "departements": [{"code": "75", "population_k": 2133}, ...],
//              "profile": ["SLOW_FIRST_APPOINTMENT"]}, ...],
//    "contract": "...", "note": "..."}
// Every field of a lot is required except "operator_name", "timezone"
// (default Europe/Paris; Indian/Reunion is the other one known) and "profile"
// (the simulator's flags, default none; their names are checked by the
// simulator, the only program that reads them). Checked here: lot_id is
// "LOT-" and the two-digit region code; operator ids use a-z, 0-9 and '-';
// dates are real calendar days with end_date not before start_date; budgets
// are whole non-negative cents; populations are positive; département codes
// are INSEE codes, each in one lot only; a lot id appears once. Unknown fields
// are refused, so that a misspelt field cannot pass silently.
//
// Errors are kInvalidArgument (a bad file: fix it, never retry) or kNotFound
// (no such file); the message starts with the file (`origin`) and names the
// field at fault as a JSON path, e.g.
//   "lots.json: lots[3].departements[0].code: not an INSEE département code: '99'".
//
// ReadLotFile reads a file (with LoadTermsFile, the only I/O of libs/domain);
// everything else is pure. A LotFile is a value: safe to share for reading.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pilotage::domain {

struct LotFileDepartement {
  // INSEE code: "01".."95", "2A", "2B", "971".."976".
  std::string code;
  // Inhabitants, in thousands (a weight, nothing more).
  double population_k = 0;
};

// One lot as the file describes it.
struct LotFileEntry {
  std::string lot_id;       // "LOT-" + region_code
  std::string region;       // "Île-de-France"
  std::string region_code;  // INSEE region code, "11"
  std::string operator_id;  // "op-cibc-idf"
  std::string operator_name;
  // "Europe/Paris" (also when the file omits it) or "Indian/Reunion".
  std::string timezone = "Europe/Paris";
  // Employed workers living in the region, in thousands.
  double working_population_k = 0;
  // Contract dates, "YYYY-MM-DD", both inclusive.
  std::string start_date;
  std::string end_date;
  // The budget of each contract year, in euro cents.
  int64_t annual_budget_cents = 0;
  std::vector<LotFileDepartement> departements;
  // The simulator's profile flags, as written (unchecked here).
  std::vector<std::string> profile;
};

struct LotFile {
  // In file order.
  std::vector<LotFileEntry> lots;
  // Free text from the file, kept for tools.
  std::string contract;
  std::string note;

  // The lot with this id, or nullptr.
  const LotFileEntry* Find(std::string_view lot_id) const;
};

// Parses and checks a lot file's text; `origin` names it in messages.
[[nodiscard]] absl::StatusOr<LotFile> ParseLotFile(std::string_view json_text,
                                                   std::string_view origin);

// Reads, parses and checks the lot file at `path` (named by its path in
// messages). kNotFound when it cannot be opened.
[[nodiscard]] absl::StatusOr<LotFile> ReadLotFile(const std::filesystem::path& path);

// A contract `times` times larger, for simulated load (benchmarks): each lot
// followed by times - 1 copies whose lot_id is "<lot_id>-<k>", k = 2..times
// (LOT-11-2, LOT-11-3, …), with the same region, operator, départements,
// budget and profile. The copies break two rules of a lot file (lot_id is
// "LOT-" and the region code; a département belongs to one lot): never for
// a real contract. kInvalidArgument unless 1 <= times <= 100.
[[nodiscard]] absl::StatusOr<LotFile> MultiplyLots(const LotFile& file, int times);

}  // namespace pilotage::domain
