#pragma once
// The tables of the import's CSV files (docs/import.md), apart from the code
// that decodes a line (csv.cc): for each activity event type its columns (the
// name, the French aliases accepted in a header, whether required, the
// description the import's --help and errors print, where the value goes in
// the event), and the French names accepted for enum values.
//
// Data only, built once on first use and immutable afterwards: safe to read
// from any thread. Private to libs/intake.

#include <map>
#include <string>
#include <vector>

#include "pilotage/intake/csv.h"

namespace pilotage::intake::csv_layout {

// Where a column's value goes: the envelope (lot, operator, occurrence and
// recording times) or the body message.
enum class Target { kLot, kOperator, kOccurred, kRecorded, kBody };

struct ColumnDef {
  CsvColumnSpec spec;
  Target target = Target::kBody;
  // For kBody: the path under the body message ("profile.age_band").
  std::string path;
};

struct LayoutDef {
  std::vector<ColumnDef> defs;
  std::vector<CsvColumnSpec> specs;
};

// The layout of each CSV event type ("request_received", ...), by type.
const std::map<std::string, LayoutDef, std::less<>>& Layouts();

// French (and short) names of enum values, by enum full name: normalised
// alias ("rdv_tenu" form: lowercase ASCII, '_' between words) -> the v1 value
// name. The v1 names themselves are accepted without being listed.
const std::map<std::string, std::map<std::string, std::string>>& EnumAliases();

}  // namespace pilotage::intake::csv_layout
