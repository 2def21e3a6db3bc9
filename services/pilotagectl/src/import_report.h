#pragma once
// What an import reports (pilotagectl import): each refused line as it is
// found, in French on the terminal and as JSON into the --report file, the
// lines repeating an earlier one, then the totals; and the per-type and
// per-lot counts the totals are made of.
//
// Not thread-safe: one report per import. Private to pilotagectl.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/intake/intake.h"
#include "pilotage/pilotagectl/import.h"

namespace pilotage::pilotagectl {

struct TypeCount {
  int64_t valid = 0;
  int64_t refused = 0;
};

struct LotStats {
  std::map<std::string, int64_t> counts;
  std::map<std::string, int64_t> days;  // Paris day of occurred_at -> events
  int64_t events = 0;
  int64_t recorded_from_file = 0;
  int64_t first = INT64_MAX;
  int64_t last = INT64_MIN;
};

// The report: refused lines as they are found (text on `out`, JSON into the
// report file), then the totals.
class ImportReport {
 public:
  ImportReport(std::ostream& out, const std::filesystem::path& json_path) : out_(out) {
    if (!json_path.empty()) {
      json_.open(json_path, std::ios::trunc);
      json_ << "{\"refusals\": [";
    }
  }
  bool json_ok() const { return !json_.is_open() || json_.good(); }

  void Refused(int64_t line, const intake::Refusal& r) {
    out_ << fmt::format("ligne {}{} : {} — {}\n", line,
                        r.field.empty() ? "" : fmt::format(", champ {}", r.field),
                        intake::CodeName(r.code), r.message);
    if (json_.is_open()) {
      json_ << (first_ ? "\n  " : ",\n  ")
            << nlohmann::json{{"line", line},
                              {"field", r.field},
                              {"code", intake::CodeName(r.code)},
                              {"message", r.message}}
                   .dump();
      first_ = false;
    }
  }

  // A line repeating an earlier one (same event id and content); the first
  // kShownDuplicates are named.
  void Duplicate(int64_t line, int64_t first_line) {
    if (++duplicates_ <= kShownDuplicates) {
      out_ << fmt::format(
          "ligne {} : même événement que la ligne {} (event_id répété), compté une "
          "fois\n",
          line, first_line);
    } else if (duplicates_ == kShownDuplicates + 1) {
      out_ << "(autres lignes en double : voir le total)\n";
    }
  }

  void Finish(const nlohmann::json& totals) {
    if (!json_.is_open()) return;
    json_ << "\n]";
    for (const auto& [k, v] : totals.items())
      json_ << ",\n" << nlohmann::json(k).dump() << ": " << v.dump();
    json_ << "\n}\n";
    json_.close();
  }

 private:
  static constexpr int64_t kShownDuplicates = 20;
  std::ostream& out_;
  std::ofstream json_;
  bool first_ = true;
  int64_t duplicates_ = 0;
};

// "N événements écrits (n nouveaux, k déjà connus du projecteur) ; d lignes
// en double dans le fichier, comptées une fois".
std::string WrittenText(const ImportSummary& s);

}  // namespace pilotage::pilotagectl
