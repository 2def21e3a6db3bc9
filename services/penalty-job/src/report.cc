#include "pilotage/penalty_job/report.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/french.h"
#include "pilotage/domain/penalty.h"
#include "pilotage/readmodel/json.h"

namespace pilotage::penalty_job {
namespace {

namespace v1 = ::pilotage::v1;

std::vector<const LotPlan*> ByLot(const std::vector<LotPlan>& plans) {
  std::vector<const LotPlan*> out;
  for (const auto& p : plans) out.push_back(&p);
  std::sort(out.begin(), out.end(),
            [](const LotPlan* a, const LotPlan* b) { return a->lot_id < b->lot_id; });
  return out;
}

std::string Day(const Json& day) { return domain::FrenchDay(day.get<std::string>()); }

std::string Euros(const Json& cents) { return domain::FrenchEuros(cents.get<int64_t>()); }

std::string Bp(int64_t bp) { return domain::FrenchPercent(static_cast<double>(bp) / 10000.0, 2); }

// "pilotage.activity.v1/0 < 1 234, pilotage.contract.v1/0 < 56": every
// event below each offset was read.
std::string OffsetsText(const Json& offsets) {
  std::string out;
  for (const auto& o : offsets) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}/{} < {}", o["topic"].get<std::string>(), o["partition"].get<int32_t>(),
                       o["next_offset"].get<int64_t>());
  }
  return out.empty() ? std::string("non enregistrées") : out;
}

}  // namespace

std::string EurosOrDash(const Json& cents) { return cents.is_null() ? "—" : Euros(cents); }

Json ReportJson(const domain::Period& period, const std::string& mode,
                const std::vector<LotPlan>& plans,
                const std::vector<v1::SourceOffset>& input_offsets) {
  Json lots = Json::array();
  int64_t evaluated = 0, skipped = 0, breaches = 0, proposals = 0, priced = 0, amount = 0,
          actions = 0;
  for (const LotPlan* plan : ByLot(plans)) {
    Json lot;
    lot["lot"] = plan->lot_id;
    if (!plan->skipped.empty()) {
      ++skipped;
      lot["evaluated"] = false;
      lot["skipped"] = plan->skipped;
      lot["terms_version"] = plan->terms_version;
      lot["problems"] = plan->problems;
      lots.push_back(std::move(lot));
      continue;
    }
    ++evaluated;
    lot["evaluated"] = true;
    lot["already_priced"] = plan->already_priced;
    lot["silent"] = plan->silent;
    lot["terms_version"] = plan->terms_version;
    lot["period"] = period.ToString();
    lot["closing_day"] = domain::FormatDay(plan->closing_day);
    lot["contract_year"] = plan->contract_year;
    lot["contract_year_label"] = plan->contract_year_label;
    lot["annual_amount_cents"] = plan->annual_amount_cents;
    lot["cap_share_of_annual_bp"] = plan->cap_share_of_annual_bp;
    lot["cap_cents"] = plan->annual_amount_cents / 10000 * plan->cap_share_of_annual_bp +
                       plan->annual_amount_cents % 10000 * plan->cap_share_of_annual_bp / 10000;
    lot["threshold_cents"] = plan->threshold_cents;
    lot["cap_used_by_other_periods_cents"] = plan->cap_used_by_other_periods_cents;
    lot["fees_cents"] = plan->fees_cents ? Json(*plan->fees_cents) : Json(nullptr);
    lot["events_in_period"] = plan->events_in_period;
    lot["late_events"] = plan->late_events;
    lot["counters_command"] =
        fmt::format("pilotagectl counters --lot {} --period {}", plan->lot_id, period.ToString());
    Json bs = Json::array();
    for (const auto& b : plan->breaches) {
      ++breaches;
      bs.push_back({{"kpi", b.result.kpi_id},
                    {"label", b.result.label},
                    {"formula", v1::KpiFormula::Value_Name(b.result.formula)},
                    {"direction", v1::Direction::Value_Name(b.result.direction)},
                    {"value", FormatKpiFigure(b.result, b.result.value)},
                    {"target", FormatKpiFigure(b.result, b.result.target)},
                    {"numerator", b.result.numerator},
                    {"numerator_counts", b.numerator_counts},
                    {"sample", b.result.sample},
                    {"sample_counts", b.sample_counts}});
    }
    lot["breaches"] = std::move(bs);
    Json ps = Json::array();
    for (const auto& pp : plan->proposals) {
      const auto& p = pp.proposal;
      ++proposals;
      if (p.amount_cents() > 0) ++priced;
      amount += p.amount_cents();
      Json inputs = Json::array();
      for (const auto& in : p.inputs())
        inputs.push_back({{"name", in.name()}, {"value", in.value()}});
      Json j;
      j["penalty_id"] = p.penalty_id();
      j["rule_id"] = p.rule_id();
      j["kpi"] = pp.kpi_id;
      j["action_id"] = p.action_id();
      j["period"] = p.period();
      j["terms_version"] = p.terms_version();
      j["inputs"] = std::move(inputs);
      j["formula"] = p.formula();
      j["computed_cents"] = p.computed_cents();
      j["limit_applied"] = p.limit_applied();
      j["amount_cents"] = p.amount_cents();
      j["observation_deadline"] = p.observation_deadline();
      j["explanation"] = p.explanation();
      j["notify"] = p.amount_cents() > 0;
      j["in_ledger"] = pp.in_ledger;
      j["input_offsets"] = readmodel::SourceOffsetsJson(p.input_offsets());
      ps.push_back(std::move(j));
    }
    lot["proposals"] = std::move(ps);
    Json as = Json::array();
    for (const auto& ap : plan->actions) {
      ++actions;
      Json j;
      j["action_id"] = ap.action.action_id();
      j["kpi"] = ap.action.kpi_id();
      j["due_date"] = ap.action.due_date();
      j["description"] = ap.action.description();
      if (!ap.open_action_id.empty()) j["already_open_action"] = ap.open_action_id;
      j["in_ledger"] = ap.in_ledger;
      as.push_back(std::move(j));
    }
    lot["corrective_actions"] = std::move(as);
    lot["total_cents"] = plan->total_cents();
    lot["problems"] = plan->problems;
    lots.push_back(std::move(lot));
  }
  Json out;
  out["report"] = "pilotage-penalty-job";
  out["period"] = period.ToString();
  out["period_label"] = period.FrenchLabel();
  out["mode"] = mode;
  out["input_offsets"] = readmodel::SourceOffsetsJson(input_offsets);
  out["lots"] = std::move(lots);
  out["totals"] = {{"lots_evaluated", evaluated},  {"lots_skipped", skipped},
                   {"breaches", breaches},         {"proposals", proposals},
                   {"proposals_priced", priced},   {"amount_cents", amount},
                   {"corrective_actions", actions}};
  return out;
}

std::string RenderReport(const Json& r) {
  std::string out = fmt::format("Pénalités — {} ({}){}\n", r["period_label"].get<std::string>(),
                                r["period"].get<std::string>(),
                                r["mode"] == "dry-run" ? " — simulation, rien n'est envoyé" : "");
  if (r.contains("input_offsets")) {
    out += "Données lues : " + OffsetsText(r["input_offsets"]) + "\n";
  }
  for (const auto& lot : r["lots"]) {
    const std::string id = lot["lot"].get<std::string>();
    out += "\n";
    if (!lot["evaluated"].get<bool>()) {
      out += fmt::format("Lot {} — non évalué : {}\n", id, lot["skipped"].get<std::string>());
      for (const auto& p : lot["problems"]) out += "  Attention : " + p.get<std::string>() + "\n";
      continue;
    }
    out += fmt::format("Lot {} — conditions {} — clôture le {} — {}\n", id,
                       lot["terms_version"].get<std::string>(), Day(lot["closing_day"]),
                       lot["contract_year_label"].get<std::string>());
    out += fmt::format(
        "  Montant annuel {} ; plafond {} soit {} ; proposé sur les autres périodes de l'année {} "
        "; seuil {} ; "
        "honoraires de la période {}\n",
        Euros(lot["annual_amount_cents"]), Bp(lot["cap_share_of_annual_bp"].get<int64_t>()),
        Euros(lot["cap_cents"]), Euros(lot["cap_used_by_other_periods_cents"]),
        Euros(lot["threshold_cents"]),
        lot["fees_cents"].is_null() ? std::string("non disponibles") : Euros(lot["fees_cents"]));
    out += fmt::format(
        "  Activité de la période : {} événements, dont {} saisis après la clôture (hors "
        "indicateurs) ; compteurs : {}\n",
        lot["events_in_period"].get<int64_t>(), lot["late_events"].get<int64_t>(),
        lot["counters_command"].get<std::string>());
    if (lot["silent"].get<bool>()) {
      out +=
          "  Aucune activité déclarée pour la période : le lot est évalué quand même "
          "(indicateurs à zéro face aux cibles, actions en retard pénalisées)\n";
    }
    if (lot["already_priced"].get<bool>()) {
      out +=
          "  Période déjà tarifée : pénalités et actions telles qu'inscrites au registre, "
          "rien n'est recalculé ni envoyé\n";
    }
    if (lot["breaches"].empty()) {
      out += "  Indicateurs non atteints : aucun\n";
    } else {
      out += "  Indicateurs non atteints :\n";
      for (const auto& b : lot["breaches"]) {
        out += fmt::format("    - {} ({}) : {} pour une cible {} {} — {} {} sur {} {}\n",
                           b["label"].get<std::string>(), b["kpi"].get<std::string>(),
                           b["value"].get<std::string>(), b["direction"] == "AT_MOST" ? "≤" : "≥",
                           b["target"].get<std::string>(), b["numerator"].get<int64_t>(),
                           b["numerator_counts"].get<std::string>(), b["sample"].get<int64_t>(),
                           b["sample_counts"].get<std::string>());
      }
    }
    if (lot["proposals"].empty()) {
      out += "  Pénalités : aucune\n";
    } else {
      out += "  Pénalités :\n";
      for (const auto& p : lot["proposals"]) {
        out += fmt::format(
            "    - {} — règle {} (conditions {}){}{}\n", p["penalty_id"].get<std::string>(),
            p["rule_id"].get<std::string>(), p["terms_version"].get<std::string>(),
            p["kpi"].get<std::string>().empty() ? std::string()
                                                : ", indicateur " + p["kpi"].get<std::string>(),
            p["action_id"].get<std::string>().empty()
                ? std::string()
                : ", action " + p["action_id"].get<std::string>());
        std::string inputs;
        for (const auto& in : p["inputs"]) {
          if (!inputs.empty()) inputs += " ; ";
          inputs += in["name"].get<std::string>() + " = " + in["value"].get<std::string>();
        }
        out += "      Données : " + inputs + "\n";
        out += fmt::format("      Formule : {} = {}\n", p["formula"].get<std::string>(),
                           Euros(p["computed_cents"]));
        if (!p["limit_applied"].get<std::string>().empty()) {
          out += "      Limite : " + p["limit_applied"].get<std::string>() + "\n";
        }
        out += fmt::format(
            "      Proposé : {}{} ; observations jusqu'au {}\n", Euros(p["amount_cents"]),
            p["notify"].get<bool>() ? "" : " (rien à notifier)", Day(p["observation_deadline"]));
        out += "      Explication : " + p["explanation"].get<std::string>() + "\n";
        out += fmt::format("      Calculée sur : conditions {} ; données {}\n",
                           p["terms_version"].get<std::string>(), OffsetsText(p["input_offsets"]));
      }
    }
    if (!lot["corrective_actions"].empty()) {
      out += "  Actions correctives requises :\n";
      for (const auto& a : lot["corrective_actions"]) {
        out += fmt::format(
            "    - {} pour {}, échéance le {}{}\n", a["action_id"].get<std::string>(),
            a["kpi"].get<std::string>(), Day(a["due_date"]),
            a.contains("already_open_action")
                ? " — non ouverte : l'action " + a["already_open_action"].get<std::string>() +
                      " est déjà ouverte pour cet indicateur"
                : std::string());
      }
    }
    out += fmt::format("  Total proposé pour le lot : {}\n", Euros(lot["total_cents"]));
    for (const auto& p : lot["problems"]) out += "  Attention : " + p.get<std::string>() + "\n";
  }
  const auto& t = r["totals"];
  out += fmt::format(
      "\nTotal : {} lot(s) évalué(s), {} non évalué(s) ; {} indicateur(s) non atteint(s) ; {} "
      "pénalité(s) dont {} à notifier, {} ; {} action(s) corrective(s) requise(s)\n",
      t["lots_evaluated"].get<int64_t>(), t["lots_skipped"].get<int64_t>(),
      t["breaches"].get<int64_t>(), t["proposals"].get<int64_t>(),
      t["proposals_priced"].get<int64_t>(), Euros(t["amount_cents"]),
      t["corrective_actions"].get<int64_t>());
  return out;
}

Json WhatIfJson(const domain::Period& period, const std::string& draft_version,
                const std::vector<LotPlan>& in_force, const std::vector<LotPlan>& draft) {
  std::map<std::string, std::pair<const LotPlan*, const LotPlan*>> lots;
  for (const auto& p : in_force) lots[p.lot_id].first = &p;
  for (const auto& p : draft) lots[p.lot_id].second = &p;
  Json out_lots = Json::array();
  int64_t total_in_force = 0, total_draft = 0;
  for (const auto& [id, pair] : lots) {
    const auto [a, b] = pair;
    Json lot;
    lot["lot"] = id;
    lot["in_force_version"] = a ? a->terms_version : "";
    lot["draft_version"] = draft_version;
    lot["in_force_skipped"] = a && !a->skipped.empty() ? Json(a->skipped) : Json(nullptr);
    lot["draft_skipped"] = b && !b->skipped.empty() ? Json(b->skipped) : Json(nullptr);
    auto breached = [](const LotPlan* p) {
      Json ids = Json::array();
      if (p) {
        for (const auto& br : p->breaches) ids.push_back(br.result.kpi_id);
      }
      return ids;
    };
    lot["breaches_in_force"] = breached(a);
    lot["breaches_draft"] = breached(b);
    // Matched by (rule, action): the ids differ with the terms version.
    std::map<std::pair<std::string, std::string>, std::pair<Json, Json>> rows;
    std::map<std::pair<std::string, std::string>, std::string> kpis;
    for (const auto& pp : a ? a->proposals : std::vector<ProposalPlan>{}) {
      const auto key = std::make_pair(pp.proposal.rule_id(), pp.proposal.action_id());
      rows[key].first = pp.proposal.amount_cents();
      kpis[key] = pp.kpi_id;
    }
    for (const auto& pp : b ? b->proposals : std::vector<ProposalPlan>{}) {
      const auto key = std::make_pair(pp.proposal.rule_id(), pp.proposal.action_id());
      rows[key].second = pp.proposal.amount_cents();
      kpis[key] = pp.kpi_id;
    }
    Json proposals = Json::array();
    int64_t lot_a = 0, lot_b = 0;
    for (const auto& [key, amounts] : rows) {
      const int64_t x = amounts.first.is_null() ? 0 : amounts.first.get<int64_t>();
      const int64_t y = amounts.second.is_null() ? 0 : amounts.second.get<int64_t>();
      lot_a += x;
      lot_b += y;
      proposals.push_back({{"rule_id", key.first},
                           {"action_id", key.second},
                           {"kpi", kpis[key]},
                           {"in_force_cents", amounts.first},
                           {"draft_cents", amounts.second},
                           {"difference_cents", y - x}});
    }
    lot["proposals"] = std::move(proposals);
    lot["in_force_total_cents"] = lot_a;
    lot["draft_total_cents"] = lot_b;
    lot["difference_cents"] = lot_b - lot_a;
    total_in_force += lot_a;
    total_draft += lot_b;
    out_lots.push_back(std::move(lot));
  }
  Json out;
  out["report"] = "pilotage-penalty-job-what-if";
  out["period"] = period.ToString();
  out["period_label"] = period.FrenchLabel();
  out["draft_version"] = draft_version;
  out["lots"] = std::move(out_lots);
  out["totals"] = {{"in_force_cents", total_in_force},
                   {"draft_cents", total_draft},
                   {"difference_cents", total_draft - total_in_force}};
  return out;
}

std::string RenderWhatIf(const Json& w) {
  std::string out =
      fmt::format("Simulation — {} ({}) : conditions en vigueur → projet {} (rien n'est envoyé)\n",
                  w["period_label"].get<std::string>(), w["period"].get<std::string>(),
                  w["draft_version"].get<std::string>());
  auto signed_euros = [](int64_t cents) {
    return (cents > 0 ? "+" : "") + domain::FrenchEuros(cents);
  };
  for (const auto& lot : w["lots"]) {
    out += fmt::format("\nLot {} — conditions {} → {}\n", lot["lot"].get<std::string>(),
                       lot["in_force_version"].get<std::string>(),
                       lot["draft_version"].get<std::string>());
    if (!lot["in_force_skipped"].is_null()) {
      out += "  En vigueur : non évalué : " + lot["in_force_skipped"].get<std::string>() + "\n";
    }
    if (!lot["draft_skipped"].is_null()) {
      out += "  Projet : non évalué : " + lot["draft_skipped"].get<std::string>() + "\n";
    }
    auto list = [](const Json& ids) {
      std::string s;
      for (const auto& id : ids) s += (s.empty() ? "" : ", ") + id.get<std::string>();
      return s.empty() ? std::string("aucun") : s;
    };
    out += fmt::format("  Indicateurs non atteints : {} → {}\n", list(lot["breaches_in_force"]),
                       list(lot["breaches_draft"]));
    for (const auto& p : lot["proposals"]) {
      out += fmt::format("    - règle {}{} : {} → {} ({})\n", p["rule_id"].get<std::string>(),
                         p["action_id"].get<std::string>().empty()
                             ? std::string()
                             : ", action " + p["action_id"].get<std::string>(),
                         EurosOrDash(p["in_force_cents"]), EurosOrDash(p["draft_cents"]),
                         signed_euros(p["difference_cents"].get<int64_t>()));
    }
    out += fmt::format("  Total du lot : {} → {} ({})\n", Euros(lot["in_force_total_cents"]),
                       Euros(lot["draft_total_cents"]),
                       signed_euros(lot["difference_cents"].get<int64_t>()));
  }
  const auto& t = w["totals"];
  out += fmt::format("\nTotal : {} → {} ({})\n", Euros(t["in_force_cents"]),
                     Euros(t["draft_cents"]), signed_euros(t["difference_cents"].get<int64_t>()));
  return out;
}

}  // namespace pilotage::penalty_job
