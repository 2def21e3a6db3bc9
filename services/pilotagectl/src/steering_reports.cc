// The steering reports: a lot's penalty ledger, its corrective actions, a
// period's payment statement (printed, and issued on demand).
#include <algorithm>
#include <ostream>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/penalty.h"
#include "pilotage/domain/statement.h"
#include "steering_common.h"

namespace pilotage::pilotagectl {
namespace {

namespace sv1 = ::pilotage::store::v1;

std::string DayOrEmpty(const std::optional<absl::CivilDay>& day) {
  return day ? domain::FormatDay(*day) : "";
}

std::string French(const nlohmann::json& day) {
  return day.is_string() && !day.get<std::string>().empty() ? FrenchDay(day.get<std::string>())
                                                            : "—";
}

std::string LevelLabel(const std::string& level) {
  if (level == "LEVEL_1_WELCOME") return "niveau 1 (accueil)";
  if (level == "LEVEL_2_SUPPORT") return "niveau 2 (accompagnement)";
  return level;
}

std::string ModalityLabel(const std::string& modality) {
  if (modality == "IN_PERSON") return "présentiel";
  if (modality == "PHONE") return "téléphone";
  if (modality == "VIDEO") return "visio";
  return modality == "UNSPECIFIED" ? "non précisée" : modality;
}

std::string KindLabel(const std::string& kind) {
  if (kind == "ONE_OFF") return "appui ponctuel";
  if (kind == "LONG_TERM") return "dans la durée";
  return kind == "UNSPECIFIED" ? "non précisé" : kind;
}

}  // namespace

absl::StatusOr<nlohmann::json> LedgerJson(const ReportOptions& o) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  std::vector<std::string> incomplete;
  auto procedures = Procedures(*state, &incomplete);
  if (!procedures.ok()) return procedures.status();
  nlohmann::json penalties = nlohmann::json::array();
  int64_t proposed = 0, confirmed = 0, waived = 0, pending = 0;
  for (const auto& p : *procedures) {
    const int64_t amount = p.proposal.amount_cents();
    proposed += amount;
    if (p.state == domain::PenaltyState::kConfirmed) confirmed += amount;
    if (p.state == domain::PenaltyState::kWaived) waived += amount;
    if (!p.decided()) pending += amount;
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& i : p.proposal.inputs()) inputs.push_back({{i.name(), i.value()}});
    penalties.push_back({{"penalty_id", p.proposal.penalty_id()},
                         {"period", p.proposal.period()},
                         {"rule_id", p.proposal.rule_id()},
                         {"terms_version", p.proposal.terms_version()},
                         {"action_id", p.proposal.action_id()},
                         {"computed_cents", p.proposal.computed_cents()},
                         {"amount_cents", amount},
                         {"limit_applied", p.proposal.limit_applied()},
                         {"formula", p.proposal.formula()},
                         {"explanation", p.proposal.explanation()},
                         {"inputs", inputs},
                         {"state", std::string(domain::PenaltyStateName(p.state))},
                         {"state_label", std::string(domain::PenaltyStateFrenchLabel(p.state))},
                         {"proposed_on", domain::FormatDay(p.proposed_on)},
                         {"observation_deadline", domain::FormatDay(p.deadline)},
                         {"observations_on", DayOrEmpty(p.observations_on)},
                         {"observations", p.observations},
                         {"observations_late", p.observations_late},
                         {"decided_on", DayOrEmpty(p.decided_on)},
                         {"decided_by", p.decided_by},
                         {"decision_reason", p.decision_reason},
                         {"past_deadline_undecided", p.PastDeadlineUndecided(*on)}});
  }
  nlohmann::json late = nlohmann::json::array();
  for (const auto& p : domain::PastDeadlineUndecided(*procedures, *on)) {
    late.push_back(p.proposal.penalty_id());
  }
  return nlohmann::json{{"lot", o.common.lot},
                        {"on", domain::FormatDay(*on)},
                        {"penalties", penalties},
                        {"past_deadline_undecided", late},
                        {"steps_without_proposal", incomplete},
                        {"totals",
                         {{"proposed_cents", proposed},
                          {"confirmed_cents", confirmed},
                          {"waived_cents", waived},
                          {"undecided_cents", pending}}}};
}

absl::Status PrintLedger(const ReportOptions& o, std::ostream& out) {
  auto json = LedgerJson(o);
  if (!json.ok()) return json.status();
  if (o.json) {
    out << json->dump(2) << "\n";
    return absl::OkStatus();
  }
  const auto& j = *json;
  out << fmt::format("Pénalités du lot {} — situation au {}\n\n", o.common.lot, French(j["on"]));
  if (j["penalties"].empty()) {
    out << "Aucune pénalité proposée.\n";
  } else {
    out << Pad("Pénalité", 22) << Pad("Période", 9) << Pad("Règle", 30) << PadLeft("Montant", 14)
        << "  " << Pad("État", 21) << Pad("Observations jusqu'au", 23) << "Décision\n";
    for (const auto& p : j["penalties"]) {
      std::string decision = "—";
      if (!p["decided_on"].get<std::string>().empty()) {
        decision = fmt::format("le {} par {}", French(p["decided_on"]),
                               p["decided_by"].get<std::string>());
        if (!p["decision_reason"].get<std::string>().empty()) {
          decision += " : " + p["decision_reason"].get<std::string>();
        }
      }
      std::string state = p["state_label"].get<std::string>();
      if (p["past_deadline_undecided"].get<bool>()) state += " (!)";
      out << Pad(p["penalty_id"].get<std::string>(), 22) << Pad(p["period"].get<std::string>(), 9)
          << Pad(p["rule_id"].get<std::string>(), 30)
          << PadLeft(FrenchEuros(p["amount_cents"].get<int64_t>()), 14) << "  " << Pad(state, 21)
          << Pad(French(p["observation_deadline"]), 23) << decision << "\n";
      if (!p["observations_on"].get<std::string>().empty()) {
        out << fmt::format("    observations du {}{} : {}\n", French(p["observations_on"]),
                           p["observations_late"].get<bool>() ? " (hors délai)" : "",
                           p["observations"].get<std::string>());
      }
      if (!p["formula"].get<std::string>().empty()) {
        out << fmt::format("    calcul : {}{}\n", p["formula"].get<std::string>(),
                           p["limit_applied"].get<std::string>().empty()
                               ? ""
                               : " — " + p["limit_applied"].get<std::string>());
      }
    }
    const auto& t = j["totals"];
    out << fmt::format(
        "\nTotal proposé : {} — confirmé : {} — abandonné : {} — en attente de décision : {}\n",
        FrenchEuros(t["proposed_cents"].get<int64_t>()),
        FrenchEuros(t["confirmed_cents"].get<int64_t>()),
        FrenchEuros(t["waived_cents"].get<int64_t>()),
        FrenchEuros(t["undecided_cents"].get<int64_t>()));
  }
  if (j["past_deadline_undecided"].empty()) {
    out << "\nAucune pénalité en attente de décision après l'échéance des observations.\n";
  } else {
    out << "\nÀ décider (échéance des observations passée, sans décision) :\n";
    for (const auto& id : j["past_deadline_undecided"]) {
      for (const auto& p : j["penalties"]) {
        if (p["penalty_id"] != id) continue;
        out << fmt::format("  {} — {} — échéance le {} — {}\n", id.get<std::string>(),
                           FrenchEuros(p["amount_cents"].get<int64_t>()),
                           French(p["observation_deadline"]), p["state_label"].get<std::string>());
      }
    }
  }
  for (const auto& id : j["steps_without_proposal"]) {
    out << fmt::format(
        "Attention : des étapes de la pénalité {} sont enregistrées sans sa proposition.\n",
        id.get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ActionsJson(const ReportOptions& o) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  nlohmann::json actions = nlohmann::json::array();
  nlohmann::json incomplete = nlohmann::json::array();
  for (const sv1::ActionRecord& a : state->steering.actions) {
    if (a.opened_event_id().empty()) {
      incomplete.push_back(a.closed().action_id());
      continue;
    }
    auto due = domain::ParseDay(a.opened().due_date());
    const bool closed = !a.closed_event_id().empty();
    auto closed_on =
        closed ? domain::ParseDay(a.closed().closed_on()) : absl::StatusOr<absl::CivilDay>(*on);
    int64_t days_late = 0;
    if (due.ok() && closed_on.ok() && *closed_on > *due) days_late = *closed_on - *due;
    std::string code =
        closed ? (days_late > 0 ? "CLOSED_LATE" : "CLOSED") : (days_late > 0 ? "OVERDUE" : "OPEN");
    std::string label;
    if (code == "OPEN") label = "ouverte";
    if (code == "OVERDUE") label = fmt::format("en retard de {} jour(s)", days_late);
    if (code == "CLOSED") label = fmt::format("clôturée le {}", FrenchDay(a.closed().closed_on()));
    if (code == "CLOSED_LATE") {
      label = fmt::format("clôturée le {}, {} jour(s) après l'échéance",
                          FrenchDay(a.closed().closed_on()), days_late);
    }
    actions.push_back({{"action_id", a.opened().action_id()},
                       {"kpi_id", a.opened().kpi_id()},
                       {"finding", a.opened().finding()},
                       {"period", a.opened().period()},
                       {"due_date", a.opened().due_date()},
                       {"description", a.opened().description()},
                       {"opened_by", a.opened().opened_by()},
                       {"closed_on", a.closed().closed_on()},
                       {"evidence", a.closed().evidence()},
                       {"state", code},
                       {"state_label", label},
                       {"days_late", days_late}});
  }
  return nlohmann::json{{"lot", o.common.lot},
                        {"on", domain::FormatDay(*on)},
                        {"actions", actions},
                        {"closings_without_opening", incomplete}};
}

absl::Status PrintActions(const ReportOptions& o, std::ostream& out) {
  auto json = ActionsJson(o);
  if (!json.ok()) return json.status();
  if (o.json) {
    out << json->dump(2) << "\n";
    return absl::OkStatus();
  }
  const auto& j = *json;
  out << fmt::format("Actions correctives du lot {} — situation au {}\n\n", o.common.lot,
                     French(j["on"]));
  if (j["actions"].empty()) out << "Aucune action corrective.\n";
  for (const auto& a : j["actions"]) {
    const std::string about = a["kpi_id"].get<std::string>().empty()
                                  ? "constat : " + a["finding"].get<std::string>()
                                  : "indicateur " + a["kpi_id"].get<std::string>();
    out << fmt::format(
        "{} — {}{} — échéance le {} — {}\n", a["action_id"].get<std::string>(), about,
        a["period"].get<std::string>().empty() ? "" : " (" + a["period"].get<std::string>() + ")",
        French(a["due_date"]), a["state_label"].get<std::string>());
    out << "    " << a["description"].get<std::string>() << "\n";
    if (!a["evidence"].get<std::string>().empty()) {
      out << "    preuve de clôture : " << a["evidence"].get<std::string>() << "\n";
    }
  }
  for (const auto& id : j["closings_without_opening"]) {
    out << fmt::format("Attention : clôture enregistrée pour l'action {} sans son ouverture.\n",
                       id.get<std::string>());
  }
  return absl::OkStatus();
}

namespace {

struct ComputedStatement {
  domain::Statement statement;
  domain::Period period = domain::Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  absl::CivilDay closing;
  absl::CivilDay on;
  bool closed = false;
  // The statement already issued for the period, if any.
  std::optional<sv1::StatementRecord> issued;
};

absl::StatusOr<ComputedStatement> Compute(const StatementOptions& o) {
  ComputedStatement out;
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  out.on = *on;
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  auto period = PeriodFlag("--period", o.period, *state);
  if (!period.ok()) return period.status();
  out.period = *period;
  auto terms = state->history.TermsFor(o.common.lot, *period);
  if (!terms.ok()) return terms.status();
  out.closing = period->ClosingDay((*terms)->delays().closing_grace_days());
  out.closed = *on >= out.closing;
  domain::StatementInputs in;
  in.lot_id = o.common.lot;
  in.period = *period;
  in.terms = *terms;
  in.appointments = domain::CountAppointments(state->lot.facts, *period, out.closing);
  auto evaluation = domain::EvaluateLot(state->lot.facts, state->history, *period);
  if (!evaluation.ok()) return evaluation.status();
  in.kpis = evaluation->kpis;
  auto procedures = Procedures(*state, nullptr);
  if (!procedures.ok()) return procedures.status();
  in.penalties = std::move(*procedures);
  in.award = *state->lot.facts.award;
  for (const auto& s : state->steering.statements) {
    in.issued.push_back(s.statement());
    if (s.statement().period() == period->ToString()) out.issued = s;
  }
  auto statement = domain::ComputeStatement(in);
  if (!statement.ok()) return statement.status();
  out.statement = std::move(*statement);
  return out;
}

nlohmann::json ToJson(const StatementOptions& o, const ComputedStatement& c) {
  const auto& s = c.statement.statement;
  nlohmann::json fees = nlohmann::json::array();
  for (const auto& f : s.fees()) {
    fees.push_back({{"level", f.level()},
                    {"modality", f.modality()},
                    {"kind", f.kind()},
                    {"appointments", f.appointments()},
                    {"unit_price_cents", f.unit_price_cents()},
                    {"amount_cents", f.amount_cents()}});
  }
  nlohmann::json variable = nlohmann::json::array();
  for (const auto& v : s.variable_payments()) {
    variable.push_back(
        {{"rule_id", v.rule_id()}, {"basis", v.basis()}, {"amount_cents", v.amount_cents()}});
  }
  nlohmann::json penalties = nlohmann::json::array();
  for (const auto& p : s.penalties()) {
    penalties.push_back({{"penalty_id", p.penalty_id()}, {"amount_cents", p.amount_cents()}});
  }
  return {{"lot", o.common.lot},
          {"statement_id", s.statement_id()},
          {"period", s.period()},
          {"period_label", c.period.FrenchLabel()},
          {"terms_version", s.terms_version()},
          {"closing_day", domain::FormatDay(c.closing)},
          {"closed", c.closed},
          {"fees", fees},
          {"fees_cents", s.fees_cents()},
          {"variable_payments", variable},
          {"variable_cents", s.variable_cents()},
          {"penalties", penalties},
          {"penalties_cents", s.penalties_cents()},
          {"net_amount_cents", s.net_amount_cents()},
          {"late_appointments", c.statement.late_appointments},
          {"fund_usage",
           {{"contract_year", c.statement.contract_year.ToString()},
            {"earlier_cents", c.statement.earlier_usage_cents},
            {"cumulative_cents", s.cumulative_fund_usage_cents()},
            {"budget_envelope_cents", s.budget_envelope_cents()},
            {"elapsed_days", c.statement.elapsed_days},
            {"year_days", c.statement.year_days},
            {"projected_cents", c.statement.projected_usage_cents},
            {"projection_exceeds_envelope", c.statement.projection_exceeds_envelope}}},
          {"warnings", c.statement.warnings},
          {"issued", c.issued.has_value()},
          {"issued_net_amount_cents",
           c.issued ? c.issued->statement().net_amount_cents() : int64_t{0}}};
}

}  // namespace

absl::StatusOr<nlohmann::json> StatementJson(const StatementOptions& o) {
  auto c = Compute(o);
  if (!c.ok()) return c.status();
  return ToJson(o, *c);
}

absl::Status PrintStatement(const StatementOptions& o, std::ostream& out) {
  if (o.issue) {
    if (auto s = Required("--by", o.by); !s.ok()) return s;
  }
  auto c = Compute(o);
  if (!c.ok()) return c.status();
  if (o.issue && !c->closed) {
    return absl::FailedPreconditionError(fmt::format(
        "--issue: la période {} n'est pas close le {} (clôture le {}) : le relevé n'est que "
        "provisoire",
        c->period.FrenchLabel(), domain::FrenchDate(c->on), domain::FrenchDate(c->closing)));
  }
  const auto json = ToJson(o, *c);
  if (o.json) {
    out << json.dump(2) << "\n";
  } else {
    const auto& s = c->statement.statement;
    out << fmt::format("Relevé de paiement {} — lot {} — {} — conditions {}\n", s.statement_id(),
                       o.common.lot, c->period.FrenchLabel(), s.terms_version());
    out << (c->closed ? fmt::format("Période close le {}.\n", domain::FrenchDate(c->closing))
                      : fmt::format("PROVISOIRE : la période clôt le {}.\n",
                                    domain::FrenchDate(c->closing)));
    out << "\nForfaits par rendez-vous\n";
    if (s.fees().empty()) out << "  aucun rendez-vous tenu dans la période\n";
    for (const auto& f : s.fees()) {
      out << "  "
          << Pad(fmt::format("{}, {}, {}", LevelLabel(f.level()), ModalityLabel(f.modality()),
                             KindLabel(f.kind())),
                 54)
          << PadLeft(fmt::format("{} x {}", f.appointments(), FrenchEuros(f.unit_price_cents())),
                     20)
          << PadLeft(FrenchEuros(f.amount_cents()), 16) << "\n";
    }
    out << "  " << Pad("Total des forfaits", 74) << PadLeft(FrenchEuros(s.fees_cents()), 16)
        << "\n";
    out << "\nPart variable\n";
    if (s.variable_payments().empty()) out << "  aucune règle de part variable\n";
    for (const auto& v : s.variable_payments()) {
      out << "  " << Pad(v.rule_id(), 74) << PadLeft(FrenchEuros(v.amount_cents()), 16) << "\n"
          << "    " << v.basis() << "\n";
    }
    out << "  " << Pad("Total de la part variable", 74)
        << PadLeft(FrenchEuros(s.variable_cents()), 16) << "\n";
    out << "\nPénalités confirmées de la période\n";
    if (s.penalties().empty()) out << "  aucune\n";
    for (const auto& p : s.penalties()) {
      out << "  " << Pad(p.penalty_id(), 74) << PadLeft(FrenchEuros(-p.amount_cents()), 16) << "\n";
    }
    out << "  " << Pad("Total des pénalités", 74) << PadLeft(FrenchEuros(-s.penalties_cents()), 16)
        << "\n";
    out << "\n  " << Pad("NET À PAYER", 74) << PadLeft(FrenchEuros(s.net_amount_cents()), 16)
        << "\n";
    const auto& y = c->statement;
    out << fmt::format(
        "\nUsage des fonds — {} :\n  payé sur les périodes antérieures {} ; cumul avec ce "
        "relevé {} sur une enveloppe de {}\n  projection linéaire à la fin de l'année "
        "contractuelle ({} jours écoulés sur {}) : {}\n",
        y.contract_year.FrenchLabel(), FrenchEuros(y.earlier_usage_cents),
        FrenchEuros(s.cumulative_fund_usage_cents()), FrenchEuros(s.budget_envelope_cents()),
        y.elapsed_days, y.year_days, FrenchEuros(y.projected_usage_cents));
    for (const auto& w : y.warnings) out << "Attention : " << w << "\n";
    if (c->issued) {
      out << fmt::format("Un relevé a déjà été émis pour cette période (net {}){}.\n",
                         FrenchEuros(c->issued->statement().net_amount_cents()),
                         c->issued->statement().net_amount_cents() == s.net_amount_cents()
                             ? ""
                             : " : il diffère de celui-ci");
    }
  }
  if (!o.issue) return absl::OkStatus();
  v1::PaymentStatementIssued issued = c->statement.statement;
  issued.set_issued_by(o.by);
  auto event = NewEvent(
      o.common, ContentEventId("statement", {o.common.lot, issued.SerializeAsString()}), c->on);
  if (!event.ok()) return event.status();
  *event->mutable_payment_statement_issued() = issued;
  // With --json the event JSON of --dry-run would mix with the statement's.
  std::ostream& say = o.json ? std::cerr : out;
  return Emit(o.common.emit, *event,
              fmt::format("relevé {} (net {})", issued.statement_id(),
                          FrenchEuros(issued.net_amount_cents())),
              say);
}

}  // namespace pilotage::pilotagectl
