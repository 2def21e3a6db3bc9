#include "pilotage/domain/terms.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

class CollectParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectParseErrors(std::string_view source) : source_(source) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    // The parser counts lines and columns from 0; people count from 1.
    errors_.push_back(line < 0 ? fmt::format("{}: {}", source_, message)
                               : fmt::format("{}: line {}, column {}: {}", source_, line + 1,
                                             column + 1, message));
  }

  std::string Joined() const { return fmt::format("{}", fmt::join(errors_, "; ")); }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

// Collects "path: what is wrong" lines.
class Problems {
 public:
  template <typename... Args>
  void Add(std::string_view path, fmt::format_string<Args...> what, Args&&... args) {
    list_.push_back(fmt::format("{}: {}", path, fmt::format(what, std::forward<Args>(args)...)));
  }
  bool empty() const { return list_.empty(); }
  std::string Joined() const { return fmt::format("{}", fmt::join(list_, "; ")); }

 private:
  std::vector<std::string> list_;
};

// Checks a target-like value (target, lot target, bonus threshold) in the
// unit of a KPI with `formula`.
void CheckKpiValue(Problems& problems, std::string_view path, double value,
                   v1::KpiFormula::Value formula) {
  if (IsCountFormula(formula)) {
    if (!(std::isfinite(value) && value >= 0)) {
      problems.Add(path, "{} is not a count >= 0 (NEW_BENEFICIARIES counts beneficiaries)", value);
    }
  } else if (!(value >= 0 && value <= 1)) {
    problems.Add(path, "{} is outside [0, 1] for a share", value);
  }
}

void CheckNonNegative(Problems& problems, std::string_view path, int64_t value) {
  if (value < 0) problems.Add(path, "{} is negative; it must be >= 0", value);
}

void CheckBasisPoints(Problems& problems, std::string_view path, int64_t value) {
  if (value < 0 || value > 10000) {
    problems.Add(path, "{} is outside [0, 10000] basis points (0 to 100 %)", value);
  }
}

template <typename EnumIsValid>
void CheckBandList(Problems& problems, const std::string& path,
                   const google::protobuf::RepeatedField<int>& values, EnumIsValid is_valid) {
  for (int i = 0; i < values.size(); ++i) {
    if (values[i] == 0 || !is_valid(values[i])) {
      problems.Add(fmt::format("{}[{}]", path, i), "{} is not a band (UNSPECIFIED or unknown)",
                   values[i]);
    }
  }
}

void CheckFormulaParameters(Problems& problems, const std::string& at,
                            const v1::KpiDefinition& kpi) {
  switch (kpi.formula()) {
    case v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY:
      if (kpi.delay_working_days() <= 0) {
        problems.Add(at + ".delay_working_days",
                     "{} must be > 0 for FIRST_APPOINTMENT_WITHIN_DELAY (working days)",
                     kpi.delay_working_days());
      }
      break;
    case v1::KpiFormula::END_OF_SERVICE_SATISFACTION:
      if (kpi.min_score() < 1 || kpi.min_score() > 10) {
        problems.Add(at + ".min_score",
                     "{} is outside 1..10 for END_OF_SERVICE_SATISFACTION (survey scores)",
                     kpi.min_score());
      }
      break;
    case v1::KpiFormula::REPORTING_TIMELINESS:
      if (kpi.reporting_delay_days() <= 0) {
        problems.Add(at + ".reporting_delay_days",
                     "{} must be > 0 for REPORTING_TIMELINESS (calendar days)",
                     kpi.reporting_delay_days());
      }
      break;
    case v1::KpiFormula::PRIORITY_PUBLICS_SHARE:
      if (kpi.priority_publics_size() == 0) {
        problems.Add(at + ".priority_publics",
                     "must list at least one predicate for PRIORITY_PUBLICS_SHARE");
      }
      for (int j = 0; j < kpi.priority_publics_size(); ++j) {
        const v1::ProfilePredicate& predicate = kpi.priority_publics(j);
        const std::string path = fmt::format("{}.priority_publics[{}]", at, j);
        if (predicate.qualification_in_size() == 0 && predicate.age_band_in_size() == 0 &&
            predicate.status_in_size() == 0 && predicate.company_size_in_size() == 0) {
          problems.Add(path, "matches every beneficiary: restrict at least one band");
        }
        CheckBandList(problems, path + ".qualification_in", predicate.qualification_in(),
                      v1::Qualification::Value_IsValid);
        CheckBandList(problems, path + ".age_band_in", predicate.age_band_in(),
                      v1::AgeBand::Value_IsValid);
        CheckBandList(problems, path + ".status_in", predicate.status_in(),
                      v1::WorkStatus::Value_IsValid);
        CheckBandList(problems, path + ".company_size_in", predicate.company_size_in(),
                      v1::CompanySize::Value_IsValid);
      }
      break;
    case v1::KpiFormula::REFERRAL_SHARE:
      if (kpi.referral() == v1::Referral::UNSPECIFIED ||
          !v1::Referral::Value_IsValid(kpi.referral())) {
        problems.Add(at + ".referral", "must name the referral counted by REFERRAL_SHARE");
      }
      break;
    default:
      break;
  }
}

struct KpiRef {
  int index;
  const v1::KpiDefinition* kpi;
};

void CheckKpis(Problems& problems, const v1::ContractTerms& terms,
               std::map<std::string, KpiRef, std::less<>>& by_id) {
  for (int i = 0; i < terms.kpis_size(); ++i) {
    const v1::KpiDefinition& kpi = terms.kpis(i);
    const std::string at = fmt::format("kpis[{}]", i);
    if (kpi.id().empty()) {
      problems.Add(at + ".id", "must not be empty");
    } else if (auto [it, inserted] = by_id.try_emplace(kpi.id(), KpiRef{i, &kpi}); !inserted) {
      problems.Add(at + ".id", "'{}' is already the id of kpis[{}]", kpi.id(), it->second.index);
    }
    if (kpi.label().empty()) problems.Add(at + ".label", "must not be empty (pilots read it)");
    const bool formula_set = kpi.formula() != v1::KpiFormula::UNSPECIFIED &&
                             v1::KpiFormula::Value_IsValid(kpi.formula());
    if (!formula_set) problems.Add(at + ".formula", "must be set to a known formula");
    if (!v1::Direction::Value_IsValid(kpi.direction()) ||
        (kpi.direction() == v1::Direction::UNSPECIFIED && !kpi.informational())) {
      problems.Add(at + ".direction", "must be AT_LEAST or AT_MOST");
    }
    if (formula_set) {
      CheckKpiValue(problems, at + ".target", kpi.target(), kpi.formula());
      std::set<std::string, std::less<>> lots;
      for (int j = 0; j < kpi.lot_targets_size(); ++j) {
        const v1::LotTarget& lot_target = kpi.lot_targets(j);
        const std::string path = fmt::format("{}.lot_targets[{}]", at, j);
        if (lot_target.lot_id().empty()) {
          problems.Add(path + ".lot_id", "must not be empty");
        } else if (!lots.insert(lot_target.lot_id()).second) {
          problems.Add(path + ".lot_id", "'{}' has another target in this KPI",
                       lot_target.lot_id());
        }
        CheckKpiValue(problems, path + ".target", lot_target.target(), kpi.formula());
      }
      CheckFormulaParameters(problems, at, kpi);
    }
    if (!(std::isfinite(kpi.at_risk_margin()) && kpi.at_risk_margin() >= 0)) {
      problems.Add(at + ".at_risk_margin", "{} must be >= 0", kpi.at_risk_margin());
    }
    CheckNonNegative(problems, at + ".min_sample", kpi.min_sample());
    CheckNonNegative(problems, at + ".corrective_action_due_days",
                     kpi.corrective_action_due_days());
  }
}

void CheckUnitPrices(Problems& problems, const v1::ContractTerms& terms) {
  std::map<std::tuple<int, int, int>, int> seen;
  for (int i = 0; i < terms.unit_prices_size(); ++i) {
    const v1::UnitPrice& price = terms.unit_prices(i);
    const std::string at = fmt::format("unit_prices[{}]", i);
    if (price.level() == v1::Level::UNSPECIFIED || !v1::Level::Value_IsValid(price.level())) {
      problems.Add(at + ".level", "must be LEVEL_1_WELCOME or LEVEL_2_SUPPORT");
    }
    if (!v1::Modality::Value_IsValid(price.modality())) {
      problems.Add(at + ".modality", "{} is not a modality", static_cast<int>(price.modality()));
    }
    if (!v1::SupportKind::Value_IsValid(price.kind())) {
      problems.Add(at + ".kind", "{} is not a support kind", static_cast<int>(price.kind()));
    }
    CheckNonNegative(problems, at + ".amount_cents", price.amount_cents());
    const auto key = std::make_tuple(price.level(), price.modality(), price.kind());
    if (auto [it, inserted] = seen.try_emplace(key, i); !inserted) {
      problems.Add(at, "same (level, modality, kind) as unit_prices[{}]: ({}, {}, {})", it->second,
                   v1::Level::Value_Name(price.level()), v1::Modality::Value_Name(price.modality()),
                   v1::SupportKind::Value_Name(price.kind()));
    }
  }
}

// Checks a rule's kpi_id; returns the KPI when it names a priced one.
const v1::KpiDefinition* CheckRuleKpi(Problems& problems, const std::string& path,
                                      std::string_view kpi_id, bool required,
                                      const std::map<std::string, KpiRef, std::less<>>& kpis) {
  if (kpi_id.empty()) {
    if (required) problems.Add(path, "must name a KPI");
    return nullptr;
  }
  auto it = kpis.find(kpi_id);
  if (it == kpis.end()) {
    problems.Add(path, "'{}' names no KPI", kpi_id);
    return nullptr;
  }
  if (it->second.kpi->informational()) {
    problems.Add(path, "'{}' is informational: only priced KPIs carry bonuses and penalties",
                 kpi_id);
    return nullptr;
  }
  return it->second.kpi;
}

void CheckRuleId(Problems& problems, const std::string& path, std::string_view id,
                 std::map<std::string, int, std::less<>>& ids, int index, std::string_view list) {
  if (id.empty()) {
    problems.Add(path, "must not be empty");
  } else if (auto [it, inserted] = ids.try_emplace(std::string(id), index); !inserted) {
    problems.Add(path, "'{}' is already the id of {}[{}]", id, list, it->second);
  }
}

void CheckBonusRules(Problems& problems, const v1::ContractTerms& terms,
                     const std::map<std::string, KpiRef, std::less<>>& kpis) {
  std::map<std::string, int, std::less<>> ids;
  for (int i = 0; i < terms.bonus_rules_size(); ++i) {
    const v1::BonusRule& rule = terms.bonus_rules(i);
    const std::string at = fmt::format("bonus_rules[{}]", i);
    CheckRuleId(problems, at + ".id", rule.id(), ids, i, "bonus_rules");
    if (const v1::KpiDefinition* kpi =
            CheckRuleKpi(problems, at + ".kpi_id", rule.kpi_id(), /*required=*/true, kpis)) {
      if (v1::KpiFormula::Value_IsValid(kpi->formula()) &&
          kpi->formula() != v1::KpiFormula::UNSPECIFIED) {
        CheckKpiValue(problems, at + ".threshold", rule.threshold(), kpi->formula());
      }
    }
    CheckBasisPoints(problems, at + ".share_of_fees_bp", rule.share_of_fees_bp());
    CheckNonNegative(problems, at + ".fixed_amount_cents", rule.fixed_amount_cents());
    if (rule.share_of_fees_bp() == 0 && rule.fixed_amount_cents() == 0) {
      problems.Add(at, "pays nothing: set share_of_fees_bp or fixed_amount_cents");
    }
  }
}

void CheckPenaltyRules(Problems& problems, const v1::ContractTerms& terms,
                       const std::map<std::string, KpiRef, std::less<>>& kpis) {
  std::map<std::string, int, std::less<>> ids;
  for (int i = 0; i < terms.penalty_rules_size(); ++i) {
    const v1::PenaltyRule& rule = terms.penalty_rules(i);
    const std::string at = fmt::format("penalty_rules[{}]", i);
    CheckRuleId(problems, at + ".id", rule.id(), ids, i, "penalty_rules");
    CheckNonNegative(problems, at + ".amount_per_point_cents", rule.amount_per_point_cents());
    CheckBasisPoints(problems, at + ".share_of_fees_bp", rule.share_of_fees_bp());
    CheckNonNegative(problems, at + ".late_base_value_cents", rule.late_base_value_cents());
    switch (rule.trigger()) {
      case v1::PenaltyTrigger::KPI_SHORTFALL:
      case v1::PenaltyTrigger::LATE_REPORTING: {
        const v1::KpiDefinition* kpi =
            CheckRuleKpi(problems, at + ".kpi_id", rule.kpi_id(), /*required=*/true, kpis);
        if (kpi != nullptr && rule.trigger() == v1::PenaltyTrigger::LATE_REPORTING &&
            kpi->formula() != v1::KpiFormula::REPORTING_TIMELINESS) {
          problems.Add(at + ".kpi_id", "'{}' is not a REPORTING_TIMELINESS KPI (LATE_REPORTING)",
                       rule.kpi_id());
        }
        if (rule.amount_per_point_cents() == 0 && rule.share_of_fees_bp() == 0) {
          problems.Add(at, "prices nothing: set amount_per_point_cents or share_of_fees_bp");
        }
        break;
      }
      case v1::PenaltyTrigger::CORRECTIVE_ACTION_OVERDUE:
        CheckRuleKpi(problems, at + ".kpi_id", rule.kpi_id(), /*required=*/false, kpis);
        if (rule.late_base_value_cents() <= 0) {
          problems.Add(at + ".late_base_value_cents",
                       "must be > 0: it is V of the late formula V x R / 1000");
        }
        break;
      default:
        problems.Add(at + ".trigger",
                     "must be KPI_SHORTFALL, CORRECTIVE_ACTION_OVERDUE or LATE_REPORTING");
        break;
    }
  }
}

std::string DescribeLots(const v1::ContractTerms& a, const v1::ContractTerms& b) {
  if (a.lot_ids().empty() && b.lot_ids().empty()) return "every lot";
  std::vector<std::string> common;
  if (a.lot_ids().empty() || b.lot_ids().empty()) {
    const auto& listed = a.lot_ids().empty() ? b.lot_ids() : a.lot_ids();
    common.assign(listed.begin(), listed.end());
  } else {
    for (const std::string& lot : a.lot_ids()) {
      if (GovernsLot(b, lot)) common.push_back(lot);
    }
  }
  return fmt::format("lot {}", fmt::join(common, ", "));
}

bool LotsOverlap(const v1::ContractTerms& a, const v1::ContractTerms& b) {
  if (a.lot_ids().empty() || b.lot_ids().empty()) return true;
  return std::any_of(a.lot_ids().begin(), a.lot_ids().end(),
                     [&](const std::string& lot) { return GovernsLot(b, lot); });
}

}  // namespace

absl::StatusOr<v1::ContractTerms> ParseTermsText(std::string_view text, std::string_view source) {
  CollectParseErrors errors(source);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  v1::ContractTerms terms;
  if (!parser.ParseFromString(std::string(text), &terms)) {
    return absl::InvalidArgumentError(
        fmt::format("cannot parse contract terms: {}", errors.Joined()));
  }
  return terms;
}

absl::StatusOr<v1::ContractTerms> LoadTermsFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(
        fmt::format("contract terms file '{}' does not exist", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in || !content) {
    return absl::UnavailableError(
        fmt::format("cannot read contract terms file '{}'", path.string()));
  }
  return ParseTermsText(content.str(), path.string());
}

absl::Status ValidateTerms(const v1::ContractTerms& terms) {
  Problems problems;
  if (terms.version().empty()) problems.Add("version", "must not be empty (e.g. \"2024.1\")");
  if (!ParseDay(terms.effective_from()).ok()) {
    problems.Add("effective_from", "'{}' is not a date YYYY-MM-DD", terms.effective_from());
  }
  std::set<std::string, std::less<>> lots;
  for (int i = 0; i < terms.lot_ids_size(); ++i) {
    const std::string path = fmt::format("lot_ids[{}]", i);
    if (terms.lot_ids(i).empty()) {
      problems.Add(path, "must not be empty");
    } else if (!lots.insert(terms.lot_ids(i)).second) {
      problems.Add(path, "'{}' is listed twice", terms.lot_ids(i));
    }
  }
  std::map<std::string, KpiRef, std::less<>> kpis;
  CheckKpis(problems, terms, kpis);
  CheckUnitPrices(problems, terms);
  CheckBonusRules(problems, terms, kpis);
  CheckPenaltyRules(problems, terms, kpis);
  CheckBasisPoints(problems, "penalty_limits.cap_share_of_annual_bp",
                   terms.penalty_limits().cap_share_of_annual_bp());
  CheckNonNegative(problems, "penalty_limits.threshold_cents",
                   terms.penalty_limits().threshold_cents());
  CheckNonNegative(problems, "delays.closing_grace_days", terms.delays().closing_grace_days());
  CheckNonNegative(problems, "delays.observation_days", terms.delays().observation_days());
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      fmt::format("invalid contract terms {}: {}",
                  terms.version().empty() ? "(no version)" : fmt::format("'{}'", terms.version()),
                  problems.Joined()));
}

bool IsCountFormula(v1::KpiFormula::Value formula) {
  return formula == v1::KpiFormula::NEW_BENEFICIARIES;
}

double TargetFor(const v1::KpiDefinition& kpi, std::string_view lot_id) {
  for (const v1::LotTarget& lot_target : kpi.lot_targets()) {
    if (lot_target.lot_id() == lot_id) return lot_target.target();
  }
  return kpi.target();
}

bool GovernsLot(const v1::ContractTerms& terms, std::string_view lot_id) {
  return terms.lot_ids().empty() ||
         std::find(terms.lot_ids().begin(), terms.lot_ids().end(), lot_id) != terms.lot_ids().end();
}

struct TermsHistory::Entry {
  absl::CivilDay effective_from;
  v1::ContractTerms terms;
};

TermsHistory::TermsHistory() = default;
TermsHistory::~TermsHistory() = default;
TermsHistory::TermsHistory(TermsHistory&&) noexcept = default;
TermsHistory& TermsHistory::operator=(TermsHistory&&) noexcept = default;

absl::Status TermsHistory::Add(v1::ContractTerms terms) {
  if (absl::Status valid = ValidateTerms(terms); !valid.ok()) return valid;
  const absl::CivilDay effective_from = *ParseDay(terms.effective_from());
  for (const auto& entry : entries_) {
    if (entry->terms.version() == terms.version()) {
      return absl::AlreadyExistsError(
          fmt::format("contract terms version '{}' is already published (effective from {})",
                      terms.version(), entry->terms.effective_from()));
    }
    if (entry->effective_from == effective_from && LotsOverlap(entry->terms, terms)) {
      return absl::InvalidArgumentError(fmt::format(
          "overlapping versions: '{}' and '{}' both take effect on {} for {}; give the new "
          "version a later effective_from or lot_ids that the other does not govern",
          terms.version(), entry->terms.version(), FormatDay(effective_from),
          DescribeLots(entry->terms, terms)));
    }
  }
  auto entry = std::make_unique<Entry>(Entry{effective_from, std::move(terms)});
  auto position =
      std::upper_bound(entries_.begin(), entries_.end(), entry, [](const auto& a, const auto& b) {
        return std::tie(a->effective_from, a->terms.version()) <
               std::tie(b->effective_from, b->terms.version());
      });
  entries_.insert(position, std::move(entry));
  return absl::OkStatus();
}

absl::StatusOr<const v1::ContractTerms*> TermsHistory::TermsOn(std::string_view lot_id,
                                                               absl::CivilDay day) const {
  return Lookup(lot_id, day, fmt::format("on {}", FormatDay(day)));
}

absl::StatusOr<const v1::ContractTerms*> TermsHistory::TermsFor(std::string_view lot_id,
                                                                const Period& period) const {
  absl::StatusOr<const v1::ContractTerms*> on_first_day = Lookup(
      lot_id, period.FirstDay(),
      fmt::format("for period {} (from {})", period.ToString(), FormatDay(period.FirstDay())));
  if (on_first_day.ok()) return on_first_day;
  // Nothing in force on the first day: the earliest version starting inside the period.
  for (const auto& entry : entries_) {
    if (GovernsLot(entry->terms, lot_id) && period.Contains(entry->effective_from)) {
      return &entry->terms;
    }
  }
  return on_first_day;
}

absl::StatusOr<const v1::ContractTerms*> TermsHistory::Lookup(std::string_view lot_id,
                                                              absl::CivilDay day,
                                                              std::string_view when) const {
  const Entry* earliest_for_lot = nullptr;
  // Entries are sorted by effective_from: the first match from the end is the latest.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    const Entry& entry = **it;
    if (!GovernsLot(entry.terms, lot_id)) continue;
    if (entry.effective_from <= day) return &entry.terms;
    earliest_for_lot = &entry;
  }
  if (entries_.empty()) {
    return absl::NotFoundError(fmt::format(
        "no contract terms govern lot '{}' {}: no version has been published", lot_id, when));
  }
  if (earliest_for_lot == nullptr) {
    return absl::NotFoundError(fmt::format(
        "no contract terms govern lot '{}' {}: none of the {} published version(s) lists it",
        lot_id, when, entries_.size()));
  }
  return absl::NotFoundError(fmt::format(
      "no contract terms govern lot '{}' {}: its earliest version, '{}', takes effect on {}",
      lot_id, when, earliest_for_lot->terms.version(), earliest_for_lot->terms.effective_from()));
}

const v1::ContractTerms* TermsHistory::Find(std::string_view version) const {
  for (const auto& entry : entries_) {
    if (entry->terms.version() == version) return &entry->terms;
  }
  return nullptr;
}

std::vector<const v1::ContractTerms*> TermsHistory::Versions() const {
  std::vector<const v1::ContractTerms*> versions;
  versions.reserve(entries_.size());
  for (const auto& entry : entries_) versions.push_back(&entry->terms);
  return versions;
}

std::string TermsHistory::RuleLabel(std::string_view version, std::string_view rule_id) const {
  const v1::ContractTerms* terms = Find(version);
  const v1::PenaltyRule* rule = terms ? FindPenaltyRule(*terms, rule_id) : nullptr;
  return rule ? rule->label() : std::string();
}

std::string TermsHistory::KpiLabel(std::string_view kpi_id) const {
  if (kpi_id.empty()) return "";
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (const v1::KpiDefinition* kpi = FindKpi((*it)->terms, kpi_id)) return kpi->label();
  }
  return "";
}

std::size_t TermsHistory::size() const { return entries_.size(); }

const v1::KpiDefinition* FindKpi(const v1::ContractTerms& terms, std::string_view id) {
  for (const auto& k : terms.kpis()) {
    if (k.id() == id) return &k;
  }
  return nullptr;
}

const v1::PenaltyRule* FindPenaltyRule(const v1::ContractTerms& terms, std::string_view id) {
  for (const auto& r : terms.penalty_rules()) {
    if (r.id() == id) return &r;
  }
  return nullptr;
}

}  // namespace pilotage::domain
