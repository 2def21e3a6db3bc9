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
#include "pilotage/projector/projector.h"

namespace pilotage::pilotagectl {
namespace {

namespace v1 = ::pilotage::v1;

absl::StatusOr<domain::Period> ParsePeriod(const std::string& text, const domain::LotFacts& facts) {
  if (text.rfind("CY", 0) == 0 && text.find('@') == std::string::npos) {
    if (!facts.award) {
      return absl::FailedPreconditionError(fmt::format(
          "--period {}: lot '{}' has no award (LotAwarded) giving its start date; write "
          "CYn@YYYY-MM-DD",
          text, facts.lot_id));
    }
    auto start = domain::ParseDay(facts.award->start_date());
    if (!start.ok()) return start.status();
    return domain::Period::Parse(text, *start);
  }
  return domain::Period::Parse(text);
}

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

nlohmann::json ToJson(const domain::LotEvaluation& e, const std::vector<std::string>& problems) {
  nlohmann::json kpis = nlohmann::json::array();
  std::map<std::string, const v1::KpiDefinition*> defs;
  for (const auto& k : e.terms.kpis()) defs[k.id()] = &k;
  for (const auto& r : e.kpis) {
    const auto* def = defs[r.kpi_id];
    kpis.push_back({{"id", r.kpi_id},
                    {"label", r.label},
                    {"formula", v1::KpiFormula::Value_Name(r.formula)},
                    {"direction", v1::Direction::Value_Name(r.direction)},
                    {"value", r.value},
                    {"target", r.target},
                    {"at_risk_margin", r.at_risk_margin},
                    {"numerator", r.numerator},
                    {"sample", r.sample},
                    {"min_sample", def ? def->min_sample() : 0},
                    {"status", std::string(domain::KpiStatusName(r.status))},
                    {"informational", r.informational}});
  }
  nlohmann::json timeliness = nlohmann::json::object();
  for (const auto& [bucket, n] : e.quality.timeliness) timeliness[bucket] = n;
  return {{"lot", e.lot_id},
          {"period", e.period.ToString()},
          {"period_label", e.period.FrenchLabel()},
          {"terms_version", e.terms.version()},
          {"closing_day", domain::FormatDay(e.closing_day)},
          {"kpis", kpis},
          {"data_quality",
           {{"events", e.quality.events},
            {"late_events", e.quality.late},
            {"refused_events", e.quality.refused},
            {"imported_events", e.quality.imported},
            {"reporting_delay_days", timeliness}}},
          {"problems", problems}};
}

// Display width of UTF-8 text: the bytes that start a code point.
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Pad(const std::string& s, size_t width) {
  const size_t n = DisplayWidth(s);
  return n >= width ? s : s + std::string(width - n, ' ');
}

std::string PadLeft(const std::string& s, size_t width) {
  const size_t n = DisplayWidth(s);
  return n >= width ? s : std::string(width - n, ' ') + s;
}

}  // namespace

std::string FrenchCount(double value) {
  const auto rounded = static_cast<long long>(std::llround(value));
  std::string digits = std::to_string(rounded < 0 ? -rounded : rounded);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(' ');
    out.push_back(digits[i]);
  }
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

  std::vector<std::string> lots;
  if (options.national) {
    auto all = projector::ListLots(**store);
    if (!all.ok()) return all.status();
    lots = std::move(*all);
  } else {
    if (options.lot.empty()) return absl::InvalidArgumentError("--lot: give a lot or --national");
    lots = {options.lot};
  }
  std::vector<domain::LotEvaluation> evaluations;
  std::vector<std::string> problems;
  std::optional<domain::Period> period;
  for (const auto& lot : lots) {
    auto model = projector::ReadLot(**store, lot);
    if (!model.ok()) return model.status();
    if (!options.national && model->facts.journeys.empty() && model->terms.empty()) {
      return absl::NotFoundError(
          fmt::format("--lot: no data for lot '{}' in {}", lot, path->string()));
    }
    auto p = ParsePeriod(options.period, model->facts);
    if (!p.ok()) return p.status();
    if (!period) period = *p;
    std::vector<std::string> lot_problems;
    domain::TermsHistory history = projector::HistoryOf(model->terms, &lot_problems);
    for (auto& m : lot_problems) problems.push_back(fmt::format("{}: {}", lot, m));
    auto evaluation = domain::EvaluateLot(model->facts, history, *p);
    if (!evaluation.ok()) {
      if (options.national && absl::IsNotFound(evaluation.status())) {
        problems.push_back(fmt::format("{}: {}", lot, std::string(evaluation.status().message())));
        continue;
      }
      return evaluation.status();
    }
    evaluations.push_back(std::move(*evaluation));
  }
  if (!options.national) return ToJson(evaluations.front(), problems);
  if (!period) {
    auto p = domain::Period::Parse(options.period);
    if (!p.ok()) return p.status();
    period = *p;
  }
  auto national = domain::EvaluateNational(evaluations, *period);
  if (!national.ok()) return national.status();
  nlohmann::json out = ToJson(*national, problems);
  nlohmann::json names = nlohmann::json::array();
  for (const auto& e : evaluations) names.push_back(e.lot_id);
  out["lots"] = names;
  return out;
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
  if (q.value("imported_events", 0) > 0) {
    out << fmt::format("Historique importé par fichier (pilotagectl import) : {} événements.\n",
                       FrenchCount(q["imported_events"].get<double>()));
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
