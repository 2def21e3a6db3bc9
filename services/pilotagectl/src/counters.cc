#include "pilotage/pilotagectl/counters.h"

#include <ostream>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/open.h"

namespace pilotage::pilotagectl {

absl::Status PrintCounters(const CountersOptions& options, std::ostream& out) {
  auto period = domain::Period::Parse(options.period);
  if (!period.ok()) return period.status();
  auto view = readmodel::ReadStore::OpenReadOnly(options.data_dir);
  if (!view.ok()) return view.status();
  // From the KPI cells (decision 0034): no journey is read.
  auto read = readmodel::ReadActivityCounters((*view)->store(), options.lot, *period);
  if (!read.ok()) return read.status();
  const auto& counters = *read;
  if (options.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [key, n] : counters) {
      const auto& [month, metric, dimension] = key;
      rows.push_back(
          {{"month", month}, {"metric", metric}, {"dimension", dimension}, {"count", n}});
    }
    out << nlohmann::json{{"lot", options.lot}, {"period", period->ToString()}, {"counters", rows}}
               .dump(2)
        << "\n";
    return absl::OkStatus();
  }
  out << fmt::format("Lot {} — {} — compteurs (tout ce qui est saisi à ce jour)\n\n", options.lot,
                     period->FrenchLabel());
  out << fmt::format("{:<9} {:<18} {:<34} {:>9}\n", "mois", "mesure", "dimension", "nombre");
  for (const auto& [key, n] : counters) {
    const auto& [month, metric, dimension] = key;
    out << fmt::format("{:<9} {:<18} {:<34} {:>9}\n", month, metric, dimension, n);
  }
  return absl::OkStatus();
}

}  // namespace pilotage::pilotagectl
