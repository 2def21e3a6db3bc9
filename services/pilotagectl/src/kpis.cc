#include "pilotage/pilotagectl/kpis.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/cep.h"
#include "pilotage/projector/kpi_report.h"
#include "pilotage/projector/projector.h"
#include "table_text.h"

namespace pilotage::pilotagectl {
namespace {

namespace v1 = ::pilotage::v1;

std::string StatusLabel(domain::KpiStatus status) {
  switch (status) {
    case domain::KpiStatus::kMet:
      return "Atteint";
    case domain::KpiStatus::kAtRisk:
      return "À risque";
    case domain::KpiStatus::kBreached:
      return "Non atteint";
    case domain::KpiStatus::kNotEnoughData:
      return "Données insuffisantes";
    case domain::KpiStatus::kInformational:
      return "Informatif";
  }
  return "?";
}

}  // namespace

std::string FrenchCount(double value) {
  const auto rounded = static_cast<long long>(std::llround(value));
  const std::string out = GroupThousands(std::to_string(rounded < 0 ? -rounded : rounded));
  return rounded < 0 ? "-" + out : out;
}

std::string FrenchPercent(double share) {
  std::string s = fmt::format("{:.1f}", share * 100.0);
  for (auto& c : s) {
    if (c == '.') c = ',';
  }
  return s + " %";
}

absl::StatusOr<nlohmann::json> KpisJson(const KpisOptions& options) {
  auto path = projector::CurrentStore(options.data_dir, /*create=*/false);
  if (!path.ok()) return path.status();
  auto cep = projector::CepProjection::Create();
  if (!cep.ok()) return cep.status();
  auto store = projection::OpenProjectionStoreReadOnly(path->string(), **cep);
  if (!store.ok()) return store.status();

  if (options.national) {
    auto lots = projector::ListLots(**store);
    if (!lots.ok()) return lots.status();
    std::vector<projector::LotReadModel> models;
    for (const auto& lot : *lots) {
      auto model = projector::ReadLot(**store, lot);
      if (!model.ok()) return model.status();
      models.push_back(std::move(*model));
    }
    std::vector<const projector::LotReadModel*> pointers;
    for (const auto& m : models) pointers.push_back(&m);
    return projector::NationalKpisJson(pointers, options.period);
  }
  if (options.lot.empty()) return absl::InvalidArgumentError("--lot: give a lot or --national");
  auto model = projector::ReadLot(**store, options.lot);
  if (!model.ok()) return model.status();
  if (model->facts.journeys.empty() && model->terms.empty()) {
    return absl::NotFoundError(
        fmt::format("--lot: no data for lot '{}' in {}", options.lot, path->string()));
  }
  auto period = projector::ParseLotPeriod(options.period, model->facts);
  if (!period.ok()) return period.status();
  std::vector<std::string> problems;
  auto evaluation = projector::EvaluateLotModel(*model, *period, &problems);
  if (!evaluation.ok()) return evaluation.status();
  return projector::EvaluationJson(*evaluation, problems);
}

absl::Status PrintKpis(const KpisOptions& options, std::ostream& out) {
  auto json = KpisJson(options);
  if (!json.ok()) return json.status();
  if (options.json) {
    out << json->dump(2) << "\n";
    return absl::OkStatus();
  }
  const auto& j = *json;
  const std::string who = j["lot"] == "national"
                              ? fmt::format("National ({} lots)", j["lots"].size())
                              : fmt::format("Lot {}", j["lot"].get<std::string>());
  auto closing = domain::ParseDay(j["closing_day"].get<std::string>());
  out << fmt::format("{} — {} — conditions {} — clôture le {}\n\n", who,
                     j["period_label"].get<std::string>(), j["terms_version"].get<std::string>(),
                     closing.ok() ? domain::FrenchDate(*closing) : "?");
  size_t width = 12;
  for (const auto& k : j["kpis"]) {
    width = std::max(width, DisplayWidth(k["label"].get<std::string>()) + 2);
  }
  out << Pad("Indicateur", width) << PadLeft("Valeur", 10) << PadLeft("Cible", 10)
      << PadLeft("Échantillon", 13) << "  Statut\n";
  for (const auto& k : j["kpis"]) {
    const bool count = k["formula"] == "NEW_BENEFICIARIES";
    auto shown = [&](double v) { return count ? FrenchCount(v) : FrenchPercent(v); };
    const bool measured = count || k["sample"].get<int64_t>() > 0;
    std::string target = k["informational"].get<bool>() ? "—" : shown(k["target"]);
    if (!k["informational"].get<bool>()) {
      target = (k["direction"] == "AT_MOST" ? "≤ " : "≥ ") + target;
    }
    auto status = domain::KpiStatus::kNotEnoughData;
    for (auto s :
         {domain::KpiStatus::kMet, domain::KpiStatus::kAtRisk, domain::KpiStatus::kBreached,
          domain::KpiStatus::kNotEnoughData, domain::KpiStatus::kInformational}) {
      if (k["status"] == domain::KpiStatusName(s)) status = s;
    }
    out << Pad(k["label"].get<std::string>(), width)
        << PadLeft(measured ? shown(k["value"]) : "—", 10) << PadLeft(target, 10)
        << PadLeft(FrenchCount(static_cast<double>(k["sample"].get<int64_t>())), 13) << "  "
        << StatusLabel(status) << "\n";
  }
  const auto& q = j["data_quality"];
  out << fmt::format(
      "\nQualité des données : {} événements de la période, dont {} saisis après la clôture "
      "(hors indicateurs) ; {} événements refusés (lettres mortes).\n",
      FrenchCount(q["events"].get<double>()), FrenchCount(q["late_events"].get<double>()),
      FrenchCount(q["refused_events"].get<double>()));
  if (q.value("imported_events", 0) > 0 || q.value("imported_duplicates", 0) > 0) {
    out << fmt::format(
        "Historique importé par fichier (pilotagectl import) : {} événements de la période, "
        "et {} lignes importées en double (déjà connues).\n",
        FrenchCount(q["imported_events"].get<double>()),
        FrenchCount(q.value("imported_duplicates", 0.0)));
  }
  out << "Délai de saisie (jours) :";
  for (const char* bucket : {"0-1", "2-5", "6-15", "16-30", "31+"}) {
    out << fmt::format("  {} j : {}", bucket,
                       FrenchCount(q["reporting_delay_days"].value(bucket, 0.0)));
  }
  out << "\n";
  for (const auto& p : j["problems"]) out << "Attention : " << p.get<std::string>() << "\n";
  return absl::OkStatus();
}

}  // namespace pilotage::pilotagectl
