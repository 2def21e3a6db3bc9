#include "pilotage/domain/penalty.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/ids.h"
#include "pilotage/domain/money.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/domain/terms.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;

// Whole percentage points by which the KPI misses its target (>= 0).
int64_t WholePointsBelow(const KpiResult& kpi) {
  double gap = 0;
  if (IsCountFormula(kpi.formula)) {
    if (kpi.target <= 0) return 0;
    gap = 100.0 * (kpi.target - kpi.value) / kpi.target;
  } else if (kpi.direction == v1::Direction::AT_MOST) {
    gap = 100.0 * (kpi.value - kpi.target);
  } else {
    gap = 100.0 * (kpi.target - kpi.value);
  }
  if (gap <= 0) return 0;
  return static_cast<int64_t>(std::floor(gap + 1e-9));
}

std::string Percent(double share) { return fmt::format("{:.2f} %", share * 100.0); }

void AddInput(v1::PenaltyProposed& p, std::string name, std::string value) {
  auto* input = p.add_inputs();
  input->set_name(std::move(name));
  input->set_value(std::move(value));
}

}  // namespace

std::string PenaltyId(std::string_view lot_id, std::string_view period, std::string_view rule_id,
                      std::string_view terms_version, std::string_view action_id) {
  return ContentId("PEN", {lot_id, period, rule_id, terms_version, action_id});
}

absl::StatusOr<std::vector<v1::PenaltyProposed>> ProposePenalties(const PenaltyContext& ctx) {
  if (ctx.terms == nullptr) return absl::InvalidArgumentError("no terms for the period");
  if (ctx.annual_amount_cents < 0 || ctx.cap_used_by_other_periods_cents < 0 ||
      (ctx.period_fees_cents && *ctx.period_fees_cents < 0)) {
    return absl::InvalidArgumentError("negative amount in the penalty context");
  }
  const v1::ContractTerms& terms = *ctx.terms;
  const std::string period = ctx.period.ToString();
  const absl::CivilDay closing = ctx.period.ClosingDay(terms.delays().closing_grace_days());
  const std::string notified_on = FormatDay(ctx.notified_on);
  const std::string deadline = FormatDay(ctx.notified_on + ObservationDays(&terms));
  // The closing window: (previous period's closing day, this closing day].
  const absl::CivilDay window_start = closing - ctx.period.Days();

  std::vector<v1::PenaltyProposed> out;
  auto start = [&](const v1::PenaltyRule& rule, std::string_view action_id) {
    v1::PenaltyProposed p;
    p.set_penalty_id(PenaltyId(ctx.lot_id, period, rule.id(), terms.version(), action_id));
    p.set_period(period);
    p.set_rule_id(rule.id());
    p.set_terms_version(terms.version());
    p.set_notified_on(notified_on);
    p.set_observation_deadline(deadline);
    p.set_action_id(std::string(action_id));
    return p;
  };

  for (const auto& rule : terms.penalty_rules()) {
    if (rule.trigger() == v1::PenaltyTrigger::KPI_SHORTFALL ||
        rule.trigger() == v1::PenaltyTrigger::LATE_REPORTING) {
      const KpiResult* kpi = FindKpiResult(ctx.kpis, rule.kpi_id());
      if (kpi == nullptr) {
        return absl::InvalidArgumentError(
            fmt::format("penalty rule '{}' prices KPI '{}', which has no result for {}", rule.id(),
                        rule.kpi_id(), period));
      }
      if (kpi->status != KpiStatus::kBreached) continue;  // AT_RISK is never priced
      const int64_t points = WholePointsBelow(*kpi);
      auto by_points = MulCents(rule.amount_per_point_cents(), points);
      if (!by_points.ok()) return by_points.status();
      int64_t by_fees = 0;
      const bool fees_known = ctx.period_fees_cents.has_value();
      if (rule.share_of_fees_bp() > 0 && fees_known) {
        auto f = MulCents(*ctx.period_fees_cents, rule.share_of_fees_bp());
        if (!f.ok()) return f.status();
        by_fees = *f / 10000;
      }
      auto computed = AddCents(*by_points, by_fees);
      if (!computed.ok()) return computed.status();
      if (*computed == 0) continue;
      v1::PenaltyProposed p = start(rule, "");
      const bool count = IsCountFormula(kpi->formula);
      const std::string value = count ? fmt::format("{:.2f}", kpi->value) : Percent(kpi->value);
      const std::string target = count ? fmt::format("{:.2f}", kpi->target) : Percent(kpi->target);
      AddInput(p, "kpi", kpi->kpi_id);
      AddInput(p, "valeur", value);
      AddInput(p, "cible", target);
      AddInput(p, "échantillon", fmt::format("{}", kpi->sample));
      AddInput(p, "points entiers sous la cible", fmt::format("{}", points));
      AddInput(p, "montant par point", FormatEuros(rule.amount_per_point_cents()));
      std::string formula =
          fmt::format("{} x {}", FormatEuros(rule.amount_per_point_cents()), points);
      if (rule.share_of_fees_bp() > 0) {
        AddInput(p, "part des honoraires (bp)", fmt::format("{}", rule.share_of_fees_bp()));
        if (fees_known) {
          AddInput(p, "honoraires de la période", FormatEuros(*ctx.period_fees_cents));
          formula += fmt::format(" + {} x {} / 10000", FormatEuros(*ctx.period_fees_cents),
                                 rule.share_of_fees_bp());
        } else {
          AddInput(p, "honoraires de la période", "non disponibles (part non calculée)");
        }
      }
      p.set_formula(formula);
      p.set_computed_cents(*computed);
      p.set_amount_cents(*computed);
      p.set_explanation(fmt::format(
          "Pour la période {}, l'indicateur « {} » vaut {} pour une cible de {} : il est non "
          "atteint de {} point(s) entier(s). La règle « {} » (termes {}) prévoit {} par point{}, "
          "soit {} calculés ({}).",
          ctx.period.FrenchLabel(), kpi->label.empty() ? kpi->kpi_id : kpi->label, value, target,
          points, rule.label().empty() ? rule.id() : rule.label(), terms.version(),
          FormatEuros(rule.amount_per_point_cents()),
          rule.share_of_fees_bp() > 0
              ? (fees_known ? fmt::format(" et {} points de base des honoraires de la période",
                                          rule.share_of_fees_bp())
                            : std::string(", la part des honoraires n'étant pas disponible"))
              : std::string(),
          FormatEuros(*computed), formula));
      out.push_back(std::move(p));
    } else if (rule.trigger() == v1::PenaltyTrigger::CORRECTIVE_ACTION_OVERDUE) {
      std::vector<const CorrectiveActionState*> actions;
      for (const auto& a : ctx.actions) {
        if (rule.kpi_id().empty() || a.kpi_id == rule.kpi_id()) actions.push_back(&a);
      }
      std::sort(actions.begin(), actions.end(),
                [](const auto* a, const auto* b) { return a->action_id < b->action_id; });
      for (const auto* a : actions) {
        // Late days: (due, end], end = closing day while open, else closed_on.
        const absl::CivilDay end = a->closed_on ? std::min(*a->closed_on, closing) : closing;
        const absl::CivilDay from = std::max(a->due, window_start);
        const int64_t days = end > from ? static_cast<int64_t>(end - from) : 0;
        if (days <= 0) continue;
        auto vr = MulCents(rule.late_base_value_cents(), days);
        if (!vr.ok()) return vr.status();
        const int64_t computed = *vr / 1000;
        if (computed == 0) continue;
        v1::PenaltyProposed p = start(rule, a->action_id);
        AddInput(p, "action", a->action_id);
        AddInput(p, "échéance", FormatDay(a->due));
        AddInput(p, "clôture de l'action", a->closed_on ? FormatDay(*a->closed_on) : "ouverte");
        AddInput(p, "jour de clôture de la période", FormatDay(closing));
        AddInput(p, "V", FormatEuros(rule.late_base_value_cents()));
        AddInput(p, "R (jours calendaires)", fmt::format("{}", days));
        p.set_formula(
            fmt::format("{} x {} / 1000", FormatEuros(rule.late_base_value_cents()), days));
        p.set_computed_cents(computed);
        p.set_amount_cents(computed);
        p.set_explanation(fmt::format(
            "L'action corrective {} devait être réalisée au plus tard le {} ; elle {}. Pour la "
            "période {}, cela fait {} jour(s) calendaire(s) de retard. La règle « {} » (termes {}) "
            "applique la formule du CCAG-FCS P = V x R / 1000 avec V = {} : {} = {}.",
            a->action_id, FormatDay(a->due),
            a->closed_on ? fmt::format("a été close le {}", FormatDay(*a->closed_on))
                         : fmt::format("était toujours ouverte le {}", FormatDay(closing)),
            ctx.period.FrenchLabel(), days, rule.label().empty() ? rule.id() : rule.label(),
            terms.version(), FormatEuros(rule.late_base_value_cents()), p.formula(),
            FormatEuros(computed)));
        out.push_back(std::move(p));
      }
    }
  }

  // Threshold on the period's total.
  int64_t total = 0;
  for (const auto& p : out) {
    auto t = AddCents(total, p.computed_cents());
    if (!t.ok()) return t.status();
    total = *t;
  }
  const auto& limits = terms.penalty_limits();
  if (total <= limits.threshold_cents()) {
    for (auto& p : out) {
      p.set_amount_cents(0);
      p.set_limit_applied(
          fmt::format("seuil : le total de la période ({}) ne dépasse pas {}, aucune pénalité",
                      FormatEuros(total), FormatEuros(limits.threshold_cents())));
      p.set_explanation(p.explanation() + " " + p.limit_applied() + ".");
    }
    return out;
  }
  // Cap on the contract year.
  auto cap_product = MulCents(ctx.annual_amount_cents, limits.cap_share_of_annual_bp());
  if (!cap_product.ok()) return cap_product.status();
  const int64_t cap = *cap_product / 10000;
  int64_t room = std::max<int64_t>(0, cap - ctx.cap_used_by_other_periods_cents);
  for (auto& p : out) {
    const int64_t amount = std::min(p.computed_cents(), room);
    room -= amount;
    if (amount < p.computed_cents()) {
      p.set_amount_cents(amount);
      p.set_limit_applied(fmt::format(
          "plafond : {} points de base du montant annuel ({}) soit {}, dont {} déjà proposés "
          "dans l'année contractuelle ; montant ramené à {}",
          limits.cap_share_of_annual_bp(), FormatEuros(ctx.annual_amount_cents), FormatEuros(cap),
          FormatEuros(ctx.cap_used_by_other_periods_cents), FormatEuros(amount)));
      p.set_explanation(p.explanation() + " " + p.limit_applied() + ".");
    } else {
      p.set_explanation(p.explanation() +
                        fmt::format(" Montant proposé : {}.", FormatEuros(amount)));
    }
  }
  return out;
}

}  // namespace pilotage::domain
