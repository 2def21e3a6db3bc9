#include "import_report.h"

#include "fmt/format.h"

namespace pilotage::pilotagectl {

std::string WrittenText(const ImportSummary& s) {
  std::string out = fmt::format("{} événements écrits", s.written);
  if (s.already_known >= 0) {
    out += fmt::format(" ({} nouveaux, {} déjà connus du projecteur)", s.written - s.already_known,
                       s.already_known);
  }
  if (s.duplicated_in_file > 0) {
    out += fmt::format(" ; {} lignes en double dans le fichier, comptées une fois",
                       s.duplicated_in_file);
  }
  return out;
}

}  // namespace pilotage::pilotagectl
