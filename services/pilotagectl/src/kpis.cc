#include "pilotage/pilotagectl/kpis.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <ostream>
#include <vector>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/kpi.h"
#include "pilotage/domain/lot_period.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/readmodel/json.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/open.h"
#include "table_text.h"

namespace pilotage::pilotagectl {
namespace {

namespace v1 = ::pilotage::v1;

// What `kpis` shows, typed: a lot's evaluation or the national one.
struct KpisResult {
  domain::LotEvaluation evaluation;
  std::vector<std::string> problems;
  // National only: the lots aggregated.
  std::optional<std::vector<std::string>> lots;
};

absl::StatusOr<KpisResult> Evaluate(const KpisOptions& options) {
  auto view = readmodel::ReadStore::OpenReadOnly(options.data_dir);
  if (!view.ok()) return view.status();
  const store::Store& store = (*view)->store();

  if (options.national) {
    auto lots = readmodel::ListLots(store);
    if (!lots.ok()) return lots.status();
    // Lot by lot, from the KPI cells (decision 0034): no journey is read.
    readmodel::NationalKpis national(options.period);
    for (const auto& lot : *lots) {
      auto model = readmodel::ReadLot(store, lot, {.journeys = false});
      if (!model.ok()) return model.status();
      if (auto s = national.Add(store, *model); !s.ok()) return s;
    }
    auto evaluation = std::move(national).Finish();
    if (!evaluation.ok()) return evaluation.status();
    return KpisResult{.evaluation = std::move(evaluation->evaluation),
                      .problems = std::move(evaluation->problems),
                      .lots = std::move(evaluation->lots)};
  }
  if (options.lot.empty()) return absl::InvalidArgumentError("--lot: give a lot or --national");
  auto model = readmodel::ReadLot(store, options.lot, {.journeys = false});
  if (!model.ok()) return model.status();
  // A lot with activity has reporting cells (its journeys are not read).
  if (model->facts.reporting.empty() && model->terms.empty()) {
    return absl::NotFoundError(fmt::format("--lot: no data for lot '{}' in {}", options.lot,
                                           (*view)->location().path.string()));
  }
  auto period = domain::ParseLotPeriod(options.period, model->facts);
  if (!period.ok()) return period.status();
  std::vector<std::string> problems;
  auto evaluation = readmodel::EvaluateLotCells(store, *model, *period, &problems);
  if (!evaluation.ok()) return evaluation.status();
  return KpisResult{.evaluation = std::move(*evaluation), .problems = std::move(problems)};
}

nlohmann::json ToJson(const KpisResult& r) {
  if (r.lots) {
    return readmodel::NationalKpisJson(
        {.evaluation = r.evaluation, .problems = r.problems, .lots = *r.lots});
  }
  return readmodel::EvaluationJson(r.evaluation, r.problems);
}

}  // namespace

absl::StatusOr<nlohmann::json> KpisJson(const KpisOptions& options) {
  auto result = Evaluate(options);
  if (!result.ok()) return result.status();
  return ToJson(*result);
}

absl::Status PrintKpis(const KpisOptions& options, std::ostream& out) {
  auto result = Evaluate(options);
  if (!result.ok()) return result.status();
  if (options.json) {
    out << ToJson(*result).dump(2) << "\n";
    return absl::OkStatus();
  }
  const domain::LotEvaluation& e = result->evaluation;
  const std::string who = result->lots ? fmt::format("National ({} lots)", result->lots->size())
                                       : fmt::format("Lot {}", e.lot_id);
  out << fmt::format("{} — {} — conditions {} — clôture le {}\n\n", who, e.period.FrenchLabel(),
                     e.terms.version(), domain::FrenchDate(e.closing_day));
  size_t width = 12;
  for (const auto& k : e.kpis) width = std::max(width, DisplayWidth(k.label) + 2);
  out << Pad("Indicateur", width) << PadLeft("Valeur", 10) << PadLeft("Cible", 10)
      << PadLeft("Échantillon", 13) << "  Statut\n";
  for (const auto& k : e.kpis) {
    const bool count = k.formula == v1::KpiFormula::NEW_BENEFICIARIES;
    auto shown = [&](double v) {
      return count ? domain::FrenchCount(v) : domain::FrenchPercent(v);
    };
    const bool measured = count || k.sample > 0;
    std::string target = k.informational ? "—" : shown(k.target);
    if (!k.informational) target = (k.direction == v1::Direction::AT_MOST ? "≤ " : "≥ ") + target;
    out << Pad(k.label, width) << PadLeft(measured ? shown(k.value) : "—", 10)
        << PadLeft(target, 10) << PadLeft(domain::FrenchInteger(k.sample), 13) << "  "
        << domain::FrenchCapitalized(domain::KpiStatusFrenchLabel(k.status)) << "\n";
  }
  const domain::DataQuality& q = e.quality;
  out << fmt::format(
      "\nQualité des données : {} événements de la période, dont {} saisis après la clôture "
      "(hors indicateurs) ; {} événements refusés (lettres mortes).\n",
      domain::FrenchInteger(q.events), domain::FrenchInteger(q.late),
      domain::FrenchInteger(q.refused));
  if (q.conflicting_resends > 0) {
    out << fmt::format(
        "Renvois contradictoires : {} (identifiant déjà reçu avec un autre contenu : le premier "
        "envoi est retenu, les suivants vont aux lettres mortes ; une correction demande un "
        "nouvel identifiant).\n",
        domain::FrenchInteger(q.conflicting_resends));
  }
  if (q.imported > 0 || q.imported_duplicates > 0) {
    out << fmt::format(
        "Historique importé par fichier (pilotagectl import) : {} événements de la période, "
        "et {} lignes importées en double (déjà connues).\n",
        domain::FrenchInteger(q.imported), domain::FrenchInteger(q.imported_duplicates));
  }
  out << "Délai de saisie (jours) :";
  for (const char* bucket : {"0-1", "2-5", "6-15", "16-30", "31+"}) {
    auto it = q.timeliness.find(bucket);
    const int64_t n = it == q.timeliness.end() ? 0 : it->second;
    out << fmt::format("  {} j : {}", bucket, domain::FrenchInteger(n));
  }
  out << "\n";
  for (const auto& p : result->problems) out << "Attention : " << p << "\n";
  return absl::OkStatus();
}

}  // namespace pilotage::pilotagectl
