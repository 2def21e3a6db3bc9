#include "pilotage/domain/statement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "absl/time/time.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/money.h"
#include "pilotage/domain/penalty.h"
#include "pilotage/domain/terms.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

int64_t ClosingInstant(absl::CivilDay closing_day) {
  auto start = ParisStartOfDay(closing_day);
  return start.ok() ? absl::ToUnixSeconds(*start)
                    : absl::ToUnixSeconds(absl::FromCivil(closing_day, absl::UTCTimeZone()));
}

template <typename Enum>
std::string NameOf(const google::protobuf::EnumDescriptor* d, Enum v) {
  const auto* value = d->FindValueByNumber(v);
  return value ? std::string(value->name()) : std::to_string(static_cast<int>(v));
}

// Whether `value` reaches `threshold` in `direction`, with the KPI tolerance.
bool Reaches(double value, double threshold, v1::Direction::Value direction) {
  const double tolerance = 1e-9 * std::max(1.0, std::abs(threshold));
  if (direction == v1::Direction::AT_MOST) return value <= threshold + tolerance;
  return value >= threshold - tolerance;
}

// "66,67 %" for a share, "3 356,6" for a count: French decimal comma.
std::string Shown(const KpiResult& kpi, double x) {
  std::string s =
      IsCountFormula(kpi.formula) ? fmt::format("{:.1f}", x) : fmt::format("{:.2f} %", x * 100.0);
  for (auto& c : s) {
    if (c == '.') c = ',';
  }
  return s;
}

}  // namespace

PeriodAppointments CountAppointments(const LotFacts& facts, const Period& period,
                                     absl::CivilDay closing_day) {
  const int64_t before = ClosingInstant(closing_day);
  std::map<std::tuple<int, int, int>, int64_t> counts;
  std::set<std::string> seen_ids;
  PeriodAppointments out;
  for (const auto& j : facts.journeys) {
    for (const auto& a : j.appointments()) {
      auto day = ParseDay(a.day());
      if (!day.ok() || !period.Contains(*day)) continue;
      if (!a.appointment_id().empty() && !seen_ids.insert(a.appointment_id()).second) continue;
      if (a.recorded_at() >= before) {
        ++out.late;
        continue;
      }
      ++counts[{a.level(), a.modality(), a.kind()}];
    }
  }
  for (const auto& [key, n] : counts) {
    out.counts.push_back({.level = static_cast<v1::Level::Value>(std::get<0>(key)),
                          .modality = static_cast<v1::Modality::Value>(std::get<1>(key)),
                          .kind = static_cast<v1::SupportKind::Value>(std::get<2>(key)),
                          .appointments = n});
  }
  return out;
}

std::optional<int64_t> UnitPriceFor(const v1::ContractTerms& terms, v1::Level::Value level,
                                    v1::Modality::Value modality, v1::SupportKind::Value kind) {
  int best_score = -1;
  std::optional<int64_t> best;
  for (const auto& price : terms.unit_prices()) {
    if (price.level() != level) continue;
    if (price.modality() != v1::Modality::UNSPECIFIED && price.modality() != modality) continue;
    if (price.kind() != v1::SupportKind::UNSPECIFIED && price.kind() != kind) continue;
    const int score = (price.modality() != v1::Modality::UNSPECIFIED ? 2 : 0) +
                      (price.kind() != v1::SupportKind::UNSPECIFIED ? 1 : 0);
    if (score > best_score) {
      best_score = score;
      best = price.amount_cents();
    }
  }
  return best;
}

absl::StatusOr<std::vector<v1::FeeLine>> FeeLines(const PeriodAppointments& appointments,
                                                  const v1::ContractTerms& terms,
                                                  int64_t* unpriced) {
  std::vector<v1::FeeLine> out;
  if (unpriced) *unpriced = 0;
  for (const auto& c : appointments.counts) {
    v1::FeeLine line;
    line.set_level(NameOf(v1::Level::Value_descriptor(), c.level));
    line.set_modality(NameOf(v1::Modality::Value_descriptor(), c.modality));
    line.set_kind(NameOf(v1::SupportKind::Value_descriptor(), c.kind));
    line.set_appointments(c.appointments);
    const auto price = UnitPriceFor(terms, c.level, c.modality, c.kind);
    if (!price && unpriced) *unpriced += c.appointments;
    line.set_unit_price_cents(price.value_or(0));
    auto amount = MulCents(c.appointments, line.unit_price_cents());
    if (!amount.ok()) return amount.status();
    line.set_amount_cents(*amount);
    out.push_back(std::move(line));
  }
  return out;
}

namespace {

// The sum of the fee lines of `counted` under `terms`.
absl::StatusOr<int64_t> FeesOf(const PeriodAppointments& counted, const v1::ContractTerms& terms) {
  auto lines = FeeLines(counted, terms);
  if (!lines.ok()) return lines.status();
  int64_t total = 0;
  for (const auto& l : *lines) {
    auto sum = AddCents(total, l.amount_cents());
    if (!sum.ok()) return sum.status();
    total = *sum;
  }
  return total;
}

}  // namespace

absl::StatusOr<int64_t> PeriodFeesCents(const LotFacts& facts, const v1::ContractTerms& terms,
                                        const Period& period) {
  return FeesOf(
      CountAppointments(facts, period, period.ClosingDay(terms.delays().closing_grace_days())),
      terms);
}

PeriodAppointments CountAppointmentsCells(const KnownCells& cells, const Period& period) {
  std::map<std::tuple<int, int, int>, int64_t> counts;
  PeriodAppointments out;
  for (const auto* map : {&cells.counts, &cells.later}) {
    for (auto it = map->lower_bound({CellKind::kPriced, period.FirstDay(), ""});
         it != map->end() && std::get<0>(it->first) == CellKind::kPriced; ++it) {
      const auto& [kind, day, dim] = it->first;
      if (day > period.LastDay()) break;
      int level = 0, modality = 0, support = 0;  // "<level>.<modality>.<kind>"
      if (std::sscanf(dim.c_str(), "%d.%d.%d", &level, &modality, &support) != 3) continue;
      if (map == &cells.later) {
        out.late += it->second;
      } else {
        counts[{level, modality, support}] += it->second;
      }
    }
  }
  for (const auto& [key, n] : counts) {
    if (n == 0) continue;
    out.counts.push_back({.level = static_cast<v1::Level::Value>(std::get<0>(key)),
                          .modality = static_cast<v1::Modality::Value>(std::get<1>(key)),
                          .kind = static_cast<v1::SupportKind::Value>(std::get<2>(key)),
                          .appointments = n});
  }
  return out;
}

absl::StatusOr<int64_t> PeriodFeesCentsCells(const KnownCells& cells,
                                             const v1::ContractTerms& terms, const Period& period) {
  const absl::CivilDay closing = period.ClosingDay(terms.delays().closing_grace_days());
  if (cells.closing_day != closing) {
    return absl::InvalidArgumentError(fmt::format(
        "fees of {}: cells read for closing day {}, terms {} close it on {}", period.ToString(),
        FormatDay(cells.closing_day), terms.version(), FormatDay(closing)));
  }
  return FeesOf(CountAppointmentsCells(cells, period), terms);
}

std::optional<int64_t> EnvelopeCents(const pilotage::v1::LotAwarded& award, int contract_year) {
  std::optional<int64_t> found;
  for (const auto& b : award.budget()) {
    if (b.contract_year() == contract_year) found = b.amount_cents();
  }
  return found;
}

std::string StatementId(std::string_view lot_id, const Period& period) {
  return fmt::format("STMT-{}-{}", lot_id, period.ToString());
}

absl::StatusOr<Statement> ComputeStatement(const StatementInputs& in) {
  if (in.terms == nullptr) return absl::InvalidArgumentError("no terms for the period");
  const v1::ContractTerms& terms = *in.terms;
  auto start = ParseDay(in.award.start_date());
  if (!start.ok()) {
    return absl::InvalidArgumentError(fmt::format("lot_awarded.start_date of {}: {}", in.lot_id,
                                                  std::string(start.status().message())));
  }
  auto year = Period::ContractYearOf(*start, in.period.LastDay());
  if (!year) {
    return absl::InvalidArgumentError(fmt::format("period {} ends before the lot {} starts ({})",
                                                  in.period.ToString(), in.lot_id,
                                                  in.award.start_date()));
  }

  Statement out;
  out.contract_year = *year;
  out.late_appointments = in.appointments.late;
  v1::PaymentStatementIssued& s = out.statement;
  s.set_statement_id(StatementId(in.lot_id, in.period));
  s.set_period(in.period.ToString());
  s.set_terms_version(terms.version());

  // Fees.
  int64_t unpriced = 0;
  auto lines = FeeLines(in.appointments, terms, &unpriced);
  if (!lines.ok()) return lines.status();
  int64_t fees = 0;
  for (auto& l : *lines) {
    auto sum = AddCents(fees, l.amount_cents());
    if (!sum.ok()) return sum.status();
    fees = *sum;
    *s.add_fees() = std::move(l);
  }
  s.set_fees_cents(fees);
  if (unpriced > 0) {
    out.warnings.push_back(
        fmt::format("{} rendez-vous sans prix unitaire dans les conditions {} : comptés à 0",
                    unpriced, terms.version()));
  }

  // Variable payments.
  int64_t variable = 0;
  for (const auto& rule : terms.bonus_rules()) {
    v1::VariablePayment* v = s.add_variable_payments();
    v->set_rule_id(rule.id());
    const KpiResult* kpi = FindKpiResult(in.kpis, rule.kpi_id());
    if (kpi == nullptr) {
      v->set_basis(fmt::format("{} : indicateur {} non évalué pour {}, non acquis", rule.label(),
                               rule.kpi_id(), in.period.FrenchLabel()));
      continue;
    }
    const double threshold = IsCountFormula(kpi->formula)
                                 ? rule.threshold() * in.period.FractionOfYear()
                                 : rule.threshold();
    const char* relation = kpi->direction == v1::Direction::AT_MOST ? "<=" : ">=";
    if (kpi->status == KpiStatus::kNotEnoughData) {
      v->set_basis(fmt::format("{} : {} — données insuffisantes ({} observations), non acquis",
                               rule.label(), kpi->label, kpi->sample));
      continue;
    }
    if (!Reaches(kpi->value, threshold, kpi->direction)) {
      v->set_basis(fmt::format("{} : {} = {}, seuil {} {} non atteint, non acquis", rule.label(),
                               kpi->label, Shown(*kpi, kpi->value), relation,
                               Shown(*kpi, threshold)));
      continue;
    }
    auto share = MulCents(fees, rule.share_of_fees_bp());
    if (!share.ok()) return share.status();
    auto amount = AddCents(*share / 10000, rule.fixed_amount_cents());
    if (!amount.ok()) return amount.status();
    v->set_amount_cents(*amount);
    std::string how;
    if (rule.share_of_fees_bp() > 0) {
      how = fmt::format("{} bp x {}", rule.share_of_fees_bp(), FormatEuros(fees));
    }
    if (rule.fixed_amount_cents() > 0) {
      how += fmt::format("{}{} fixe", how.empty() ? "" : " + ",
                         FormatEuros(rule.fixed_amount_cents()));
    }
    v->set_basis(fmt::format("{} : {} = {}, seuil {} {} atteint ; {} = {}", rule.label(),
                             kpi->label, Shown(*kpi, kpi->value), relation, Shown(*kpi, threshold),
                             how, FormatEuros(*amount)));
    auto sum = AddCents(variable, *amount);
    if (!sum.ok()) return sum.status();
    variable = *sum;
  }
  s.set_variable_cents(variable);

  // Confirmed penalties of the period.
  const std::string period_text = in.period.ToString();
  std::vector<const PenaltyProcedure*> confirmed;
  for (const auto& p : in.penalties) {
    if (p.state == PenaltyState::kConfirmed && p.proposal.period() == period_text) {
      confirmed.push_back(&p);
    }
  }
  std::sort(confirmed.begin(), confirmed.end(), [](const auto* a, const auto* b) {
    return a->proposal.penalty_id() < b->proposal.penalty_id();
  });
  int64_t penalties = 0;
  for (const auto* p : confirmed) {
    auto* d = s.add_penalties();
    d->set_penalty_id(p->proposal.penalty_id());
    d->set_amount_cents(p->proposal.amount_cents());
    auto sum = AddCents(penalties, p->proposal.amount_cents());
    if (!sum.ok()) return sum.status();
    penalties = *sum;
  }
  s.set_penalties_cents(penalties);
  auto gross = AddCents(fees, variable);
  if (!gross.ok()) return gross.status();
  s.set_net_amount_cents(*gross - penalties);

  // Fund usage over the contract year.
  for (const auto& issued : in.issued) {
    if (issued.period() == period_text) continue;
    auto other = Period::Parse(issued.period(), *start);
    if (!other.ok()) {
      return absl::InvalidArgumentError(fmt::format(
          "issued statement {}: {}", issued.statement_id(), std::string(other.status().message())));
    }
    if (!year->Contains(other->LastDay())) continue;
    const bool overlaps =
        other->FirstDay() <= in.period.LastDay() && in.period.FirstDay() <= other->LastDay();
    if (overlaps) {
      return absl::InvalidArgumentError(fmt::format(
          "the statement {} already issued for {} overlaps {}: its days would be paid twice",
          issued.statement_id(), issued.period(), period_text));
    }
    if (other->LastDay() < in.period.FirstDay()) {
      auto sum = AddCents(out.earlier_usage_cents, issued.net_amount_cents());
      if (!sum.ok()) return sum.status();
      out.earlier_usage_cents = *sum;
    }
  }
  auto cumulative = AddCents(out.earlier_usage_cents, s.net_amount_cents());
  if (!cumulative.ok()) return cumulative.status();
  s.set_cumulative_fund_usage_cents(*cumulative);
  const int index = year->ContractYearIndex().value_or(0);
  const std::optional<int64_t> envelope = EnvelopeCents(in.award, index);
  const bool has_envelope = envelope.has_value();
  if (envelope) s.set_budget_envelope_cents(*envelope);
  out.year_days = year->Days();
  out.elapsed_days =
      static_cast<int>(std::min(in.period.LastDay(), year->LastDay()) - year->FirstDay()) + 1;
  const __int128 projected = static_cast<__int128>(*cumulative) * out.year_days / out.elapsed_days;
  if (projected > INT64_MAX || projected < INT64_MIN) {
    return absl::OutOfRangeError("projected fund usage overflows");
  }
  out.projected_usage_cents = static_cast<int64_t>(projected);
  if (!has_envelope) {
    out.warnings.push_back(fmt::format(
        "aucune enveloppe budgétaire pour l'année contractuelle {} du lot {}", index, in.lot_id));
  } else if (*cumulative > s.budget_envelope_cents()) {
    out.projection_exceeds_envelope = true;
    out.warnings.push_back(
        fmt::format("enveloppe dépassée : {} consommés sur {} pour l'année contractuelle {}",
                    FormatEuros(*cumulative), FormatEuros(s.budget_envelope_cents()), index));
  } else if (out.projected_usage_cents > s.budget_envelope_cents()) {
    out.projection_exceeds_envelope = true;
    out.warnings.push_back(fmt::format(
        "au rythme actuel l'enveloppe serait dépassée : projection {} pour {} à la fin de "
        "l'année contractuelle {} (le {})",
        FormatEuros(out.projected_usage_cents), FormatEuros(s.budget_envelope_cents()), index,
        FrenchDate(year->LastDay())));
  }
  if (out.late_appointments > 0) {
    out.warnings.push_back(fmt::format(
        "rendez-vous de la période transmis après sa clôture : {} (non payés sur ce relevé)",
        out.late_appointments));
  }
  return out;
}

}  // namespace pilotage::domain
