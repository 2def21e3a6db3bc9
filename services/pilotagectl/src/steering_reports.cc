// The steering reports: a lot's penalty ledger, its corrective actions, a
// period's payment statement (printed, and issued on demand).
#include <algorithm>
#include <memory>
#include <ostream>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/penalty.h"
#include "pilotage/domain/statement.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/readmodel/coverage.h"
#include "pilotage/readmodel/json.h"
#include "pilotage/readmodel/reports.h"
#include "steering_common.h"

namespace pilotage::pilotagectl {
namespace {

namespace sv1 = ::pilotage::store::v1;

std::string French(const nlohmann::json& day) {
  return day.is_string() && !day.get<std::string>().empty()
             ? domain::FrenchDay(day.get<std::string>())
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

// With --on, what was known on that day: steps recorded after it are left
// out (issue 18 point 9), as a pilot saw them then.
absl::Status KnownOn(const SteeringCommon& common, absl::CivilDay on, LotState& state) {
  if (common.on.empty()) return absl::OkStatus();
  auto known = readmodel::AsKnownOn(state.steering, on);
  if (!known.ok()) return known.status();
  state.steering = std::move(*known);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<nlohmann::json> LedgerJson(const ReportOptions& o) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  if (auto s = KnownOn(o.common, *on, *state); !s.ok()) return s;
  return readmodel::PenaltyLedgerJson({.lot_id = o.common.lot,
                                       .lot = &state->lot,
                                       .steering = &state->steering,
                                       .history = &state->history},
                                      *on);
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
    size_t id_width = 10, rule_width = 8;
    for (const auto& p : j["penalties"]) {
      id_width = std::max(id_width, DisplayWidth(p["penalty_id"].get<std::string>()) + 2);
      rule_width = std::max(rule_width, DisplayWidth(p["rule_id"].get<std::string>()) + 2);
    }
    out << Pad("Pénalité", id_width) << Pad("Période", 9) << Pad("Règle", rule_width)
        << PadLeft("Montant", 14) << "  " << Pad("État", 21) << Pad("Observations jusqu'au", 23)
        << "Décision\n";
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
      out << Pad(p["penalty_id"].get<std::string>(), id_width)
          << Pad(p["period"].get<std::string>(), 9)
          << Pad(p["rule_id"].get<std::string>(), rule_width)
          << PadLeft(domain::FrenchEuros(p["amount_cents"].get<int64_t>()), 14) << "  "
          << Pad(state, 21) << Pad(French(p["observation_deadline"]), 23) << decision << "\n";
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
        domain::FrenchEuros(t["proposed_cents"].get<int64_t>()),
        domain::FrenchEuros(t["confirmed_cents"].get<int64_t>()),
        domain::FrenchEuros(t["waived_cents"].get<int64_t>()),
        domain::FrenchEuros(t["undecided_cents"].get<int64_t>()));
  }
  if (j["past_deadline_undecided"].empty()) {
    out << "\nAucune pénalité en attente de décision après l'échéance des observations.\n";
  } else {
    out << "\nÀ décider (échéance des observations passée, sans décision) :\n";
    for (const auto& id : j["past_deadline_undecided"]) {
      for (const auto& p : j["penalties"]) {
        if (p["penalty_id"] != id) continue;
        out << fmt::format("  {} — {} — échéance le {} — {}\n", id.get<std::string>(),
                           domain::FrenchEuros(p["amount_cents"].get<int64_t>()),
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
  if (auto s = KnownOn(o.common, *on, *state); !s.ok()) return s;
  return readmodel::ActionsReportJson({.lot_id = o.common.lot,
                                       .lot = &state->lot,
                                       .steering = &state->steering,
                                       .history = &state->history},
                                      *on);
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

absl::StatusOr<nlohmann::json> StatementsJson(const ReportOptions& o) {
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  nlohmann::json statements = nlohmann::json::array();
  for (const auto& r : state->steering.statements) {
    const auto& s = r.statement();
    statements.push_back({{"statement_id", s.statement_id()},
                          {"period", s.period()},
                          {"terms_version", s.terms_version()},
                          {"fees_cents", s.fees_cents()},
                          {"variable_cents", s.variable_cents()},
                          {"penalties_cents", s.penalties_cents()},
                          {"net_amount_cents", s.net_amount_cents()},
                          {"cumulative_fund_usage_cents", s.cumulative_fund_usage_cents()},
                          {"budget_envelope_cents", s.budget_envelope_cents()},
                          {"issued_by", s.issued_by()},
                          {"input_offsets", readmodel::SourceOffsetsJson(s.input_offsets())},
                          {"event_id", r.event_id()}});
  }
  return nlohmann::json{{"lot", o.common.lot}, {"statements", statements}};
}

absl::Status PrintStatements(const ReportOptions& o, std::ostream& out) {
  auto json = StatementsJson(o);
  if (!json.ok()) return json.status();
  if (o.json) {
    out << json->dump(2) << "\n";
    return absl::OkStatus();
  }
  out << fmt::format("Relevés de paiement émis pour le lot {}\n\n", o.common.lot);
  if ((*json)["statements"].empty()) out << "Aucun relevé émis.\n";
  for (const auto& s : (*json)["statements"]) {
    out << fmt::format(
        "{} — {} — net {} (forfaits {}, part variable {}, pénalités {}) — cumul {} "
        "sur {} — émis par {}\n",
        s["statement_id"].get<std::string>(), s["period"].get<std::string>(),
        domain::FrenchEuros(s["net_amount_cents"].get<int64_t>()),
        domain::FrenchEuros(s["fees_cents"].get<int64_t>()),
        domain::FrenchEuros(s["variable_cents"].get<int64_t>()),
        domain::FrenchEuros(s["penalties_cents"].get<int64_t>()),
        domain::FrenchEuros(s["cumulative_fund_usage_cents"].get<int64_t>()),
        domain::FrenchEuros(s["budget_envelope_cents"].get<int64_t>()),
        s["issued_by"].get<std::string>());
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ReviewsJson(const ReportOptions& o) {
  auto state = LoadLot(o.common, true);
  if (!state.ok()) return state.status();
  nlohmann::json reviews = nlohmann::json::array();
  for (const auto& r : state->steering.reviews) {
    const auto& v = r.review();
    reviews.push_back(
        {{"review_id", v.review_id()},
         {"period", v.period()},
         {"held_on", v.held_on()},
         {"findings", std::vector<std::string>(v.findings().begin(), v.findings().end())},
         {"decisions", std::vector<std::string>(v.decisions().begin(), v.decisions().end())}});
  }
  return nlohmann::json{{"lot", o.common.lot}, {"reviews", reviews}};
}

absl::Status PrintReviews(const ReportOptions& o, std::ostream& out) {
  auto json = ReviewsJson(o);
  if (!json.ok()) return json.status();
  if (o.json) {
    out << json->dump(2) << "\n";
    return absl::OkStatus();
  }
  out << fmt::format("Bilans du lot {}\n\n", o.common.lot);
  if ((*json)["reviews"].empty()) out << "Aucun bilan.\n";
  for (const auto& r : (*json)["reviews"]) {
    out << fmt::format("{} — {} — tenu le {}\n", r["review_id"].get<std::string>(),
                       r["period"].get<std::string>(), French(r["held_on"]));
    for (const auto& f : r["findings"]) out << "    constat : " << f.get<std::string>() << "\n";
    for (const auto& d : r["decisions"]) out << "    décision : " << d.get<std::string>() << "\n";
  }
  return absl::OkStatus();
}

namespace {

using ComputedStatement = readmodel::StatementReport;

// From `view` when given (the snapshot checked for --issue), otherwise
// from a snapshot opened here.
absl::StatusOr<ComputedStatement> Compute(const StatementOptions& o,
                                          const readmodel::ReadStore* view = nullptr) {
  auto on = OnDay(o.common);
  if (!on.ok()) return on.status();
  std::unique_ptr<readmodel::ReadStore> opened;
  if (view == nullptr) {
    if (auto s = Required("--lot", o.common.lot); !s.ok()) return s;
    auto read = readmodel::ReadStore::OpenReadOnly(o.common.data_dir);
    if (!read.ok()) return read.status();
    opened = std::move(*read);
    view = opened.get();
  }
  auto state = LoadLot(o.common, *view, true);
  if (!state.ok()) return state.status();
  auto period = PeriodFlag("--period", o.period, *state);
  if (!period.ok()) return period.status();
  // The appointments and KPIs from the KPI cells of the view the lot was
  // read from (its journeys are not read).
  auto report = readmodel::ComputeStatementReport({.lot_id = o.common.lot,
                                                   .lot = &state->lot,
                                                   .steering = &state->steering,
                                                   .history = &state->history,
                                                   .cells = &view->store()},
                                                  *period, *on);
  if (!report.ok()) return report.status();
  for (const auto& o : state->input_offsets) *report->statement.statement.add_input_offsets() = o;
  return report;
}

nlohmann::json ToJson(const StatementOptions& o, const ComputedStatement& c) {
  return readmodel::StatementReportJson(o.common.lot, c);
}

}  // namespace

absl::StatusOr<nlohmann::json> StatementJson(const StatementOptions& o) {
  auto c = Compute(o);
  if (!c.ok()) return c.status();
  return ToJson(o, *c);
}

// Issuing decides a payment: only from a store that has folded the whole log
// (decision 0028). The statement is computed from the very snapshot checked
// here, so its figures and input_offsets are those of the checked store.
absl::StatusOr<std::unique_ptr<readmodel::ReadStore>> OpenStoreForIssue(const StatementOptions& o) {
  if (o.common.emit.bootstrap.empty()) {
    return absl::InvalidArgumentError(
        "--issue: give --bootstrap or PILOTAGE_KAFKA_BOOTSTRAP (even with --dry-run: the store "
        "is checked against the log's end offsets before a statement is issued)");
  }
  auto admin = kafka::Admin::Create(o.common.emit.bootstrap);
  if (!admin.ok()) return admin.status();
  auto ends = (*admin)->EndOffsets({o.activity_topic, o.common.emit.topic});
  if (!ends.ok()) return ends.status();
  return readmodel::OpenTrusted(o.common.data_dir, *ends, {.wait = o.catch_up_wait});
}

absl::Status PrintStatement(const StatementOptions& o, std::ostream& out) {
  std::string by;
  std::unique_ptr<readmodel::ReadStore> trusted;
  if (o.issue) {
    auto author = Author(o.by, /*required=*/true);
    if (!author.ok()) return author.status();
    by = *std::move(author);
    auto view = OpenStoreForIssue(o);
    if (!view.ok()) return view.status();
    trusted = *std::move(view);
  }
  auto c = Compute(o, trusted.get());
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
          << PadLeft(fmt::format("{} x {}", f.appointments(),
                                 domain::FrenchEuros(f.unit_price_cents())),
                     20)
          << PadLeft(domain::FrenchEuros(f.amount_cents()), 16) << "\n";
    }
    out << "  " << Pad("Total des forfaits", 74) << PadLeft(domain::FrenchEuros(s.fees_cents()), 16)
        << "\n";
    out << "\nPart variable\n";
    if (s.variable_payments().empty()) out << "  aucune règle de part variable\n";
    for (const auto& v : s.variable_payments()) {
      out << "  " << Pad(v.rule_id(), 74) << PadLeft(domain::FrenchEuros(v.amount_cents()), 16)
          << "\n"
          << "    " << v.basis() << "\n";
    }
    out << "  " << Pad("Total de la part variable", 74)
        << PadLeft(domain::FrenchEuros(s.variable_cents()), 16) << "\n";
    out << "\nPénalités confirmées de la période\n";
    if (s.penalties().empty()) out << "  aucune\n";
    for (const auto& p : s.penalties()) {
      out << "  " << Pad(p.penalty_id(), 74) << PadLeft(domain::FrenchEuros(-p.amount_cents()), 16)
          << "\n";
    }
    out << "  " << Pad("Total des pénalités", 74)
        << PadLeft(domain::FrenchEuros(-s.penalties_cents()), 16) << "\n";
    out << "\n  " << Pad("NET À PAYER", 74)
        << PadLeft(domain::FrenchEuros(s.net_amount_cents()), 16) << "\n";
    const auto& y = c->statement;
    out << fmt::format(
        "\nUsage des fonds — {} :\n  payé sur les périodes antérieures {} ; cumul avec ce "
        "relevé {} sur une enveloppe de {}\n  projection linéaire à la fin de l'année "
        "contractuelle ({} jours écoulés sur {}) : {}\n",
        y.contract_year.FrenchLabel(), domain::FrenchEuros(y.earlier_usage_cents),
        domain::FrenchEuros(s.cumulative_fund_usage_cents()),
        domain::FrenchEuros(s.budget_envelope_cents()), y.elapsed_days, y.year_days,
        domain::FrenchEuros(y.projected_usage_cents));
    for (const auto& w : y.warnings) out << "Attention : " << w << "\n";
    if (c->issued) {
      out << fmt::format("Un relevé a déjà été émis pour cette période (net {}){}.\n",
                         domain::FrenchEuros(c->issued->statement().net_amount_cents()),
                         c->issued->statement().net_amount_cents() == s.net_amount_cents()
                             ? ""
                             : " : il diffère de celui-ci");
    }
  }
  if (!o.issue) return absl::OkStatus();
  v1::PaymentStatementIssued issued = c->statement.statement;
  issued.set_issued_by(by);
  // The id hashes the statement's content without its provenance: issuing
  // the same figures again after the store moved on is the same event.
  v1::PaymentStatementIssued content = issued;
  content.clear_input_offsets();
  auto event = NewEvent(
      o.common, ContentEventId("statement", {o.common.lot, content.SerializeAsString()}), c->on);
  if (!event.ok()) return event.status();
  *event->mutable_payment_statement_issued() = issued;
  // With --json the event JSON of --dry-run would mix with the statement's.
  std::ostream& say = o.json ? std::cerr : out;
  return Emit(o.common.emit, *event,
              fmt::format("relevé {} (net {})", issued.statement_id(),
                          domain::FrenchEuros(issued.net_amount_cents())),
              say);
}

}  // namespace pilotage::pilotagectl
