#pragma once
// pilotage::intake CSV — operators' activity exports, one event type per file
// (docs/import.md has the layouts, the French aliases and examples). Pure, like
// the rest of libs/intake: the historical import (pilotagectl import) decodes
// each line here, then validates it with ValidateEvent, as the gateway does.
//
// A file is a header row, then one event per line:
//   * separator ',' or ';' (the header's choice), RFC 4180 quotes ("a ""b""");
//     a record never spans lines;
//   * column names are matched case-, accent- and space-insensitively
//     ("Date RDV", "modalité" and "modalite" are the same) against the
//     canonical name (the proto field) or its French aliases; an unknown
//     column refuses the whole file (UNKNOWN_FIELD, or PERSONAL_DATA when its
//     name says personal data: "nom", "email", "nir"…), so that nothing a
//     layout does not know is read;
//   * enum cells take the v1 value names (IN_PERSON) or their French names
//     (présentiel), case- and accent-insensitively;
//   * dates: "YYYY-MM-DD" (00:00 Paris time), "YYYY-MM-DD HH:MM[:SS]" (Paris
//     time, 'T' accepted) or RFC 3339 with an offset; nothing else
//     ("02/04/2024" is BAD_TIMESTAMP);
//   * the event id is derived: "csv-" + XXH3-128 of the operator, the event
//     type and the event the line decodes to, written as 32 letters a-p (4
//     bits each; no digits, which the personal-data guard could take for a
//     NIR or a phone number), so that importing the same line again gives
//     the same id.
//
// Refusals use the codes of intake.h plus kFileLineCodes (refusal.h); their `field` is
// the column as written in the header (empty for the whole line).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pilotage/intake/intake.h"

namespace pilotage::intake {

// The six activity event types, by their field name in the Event oneof
// ("request_received", …, "survey_answered").
const std::vector<std::string>& CsvEventTypes();

// One column of a layout.
struct CsvColumnSpec {
  std::string name;                  // canonical: the proto field ("modality")
  std::vector<std::string> aliases;  // French names ("modalite")
  bool required = true;
  std::string description;  // for --help and the docs (French)
};

// The columns of `event_type`'s layout, in the documented order; nullptr for
// an unknown type.
const std::vector<CsvColumnSpec>* CsvLayout(std::string_view event_type);

// Splits one CSV record into its cells (quotes removed, "" unescaped).
// nullopt when a quote is left open.
std::optional<std::vector<std::string>> SplitCsvRecord(std::string_view line, char separator);

// Not thread-safe (it remembers the enum spellings it has read); one per file.
class CsvDecoder {
 public:
  // Reads the header row of a file of `event_type` events written by
  // `operator_id`. A leading UTF-8 byte order mark is skipped. Refusal (field
  // = the column as written) for an unknown type or column, a column named
  // twice, a required column missing, or a header that is not UTF-8.
  static std::variant<CsvDecoder, Refusal> Create(std::string_view event_type,
                                                  std::string_view header, std::string operator_id);
  CsvDecoder(CsvDecoder&&) noexcept;
  CsvDecoder& operator=(CsvDecoder&&) noexcept;
  ~CsvDecoder();

  // Decodes one data line (without its newline). `at_end_without_newline`:
  // the file ends with this line and no newline, so that a short line is
  // reported as TRUNCATED_LINE. The event has no recorded_at unless the line
  // gives one.
  Item Decode(std::string_view line, bool at_end_without_newline) const;

  // The column, as written in the header, that holds `field` — a path of
  // ValidateEvent's ("events[0].appointment_held.level"); `field` without its
  // "events[N]." prefix when no column does.
  std::string ColumnFor(std::string_view field) const;

  // Whether the file carries a recorded_at column.
  bool HasRecordedAt() const;

  class Impl;

 private:
  explicit CsvDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses a date cell as documented above. nullopt when malformed.
std::optional<absl::Time> ParseCsvTime(std::string_view cell);

}  // namespace pilotage::intake
