#include "api.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"
#include "pilotage/projector/kpi_report.h"
#include "pilotage/projector/steering_report.h"

namespace pilotage::query {
namespace {

using nlohmann::json;
namespace v1 = ::pilotage::v1;

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// The period parameter, checked before any lot is read: "CYn" needs each
// lot's award and is checked per lot.
absl::StatusOr<std::string> PeriodParam(const Params& params) {
  auto it = params.find("period");
  if (it == params.end() || it->second.empty()) {
    return absl::InvalidArgumentError(
        "period: required, e.g. period=2024-Q2 (also 2024-05, 2024, CY1)");
  }
  const std::string& text = it->second;
  if (text.rfind("CY", 0) == 0 && text.find('@') == std::string::npos) {
    int n = 0;
    if (text.size() < 3 || !absl::SimpleAtoi(text.substr(2), &n) || n < 1) {
      return absl::InvalidArgumentError(fmt::format(
          "period: '{}' is not a period (2024-05, 2024-Q2, 2024, CY1, CY1@2024-01-02)", text));
    }
    return text;
  }
  auto p = domain::Period::Parse(text);
  if (!p.ok())
    return absl::InvalidArgumentError(fmt::format("period: {}", std::string(p.status().message())));
  return text;
}

absl::Status CheckLot(Generation& view, const access::Principal& who, const std::string& lot) {
  if (!who.MayRead(lot)) {
    return absl::PermissionDeniedError(
        fmt::format("lot '{}': this token may read only lots {}", lot,
                    fmt::join(who.lots.begin(), who.lots.end(), ", ")));
  }
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  if (!std::binary_search(lots->begin(), lots->end(), lot)) {
    return absl::NotFoundError(fmt::format("lot '{}': no such lot in the store", lot));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadableLots(Generation& view,
                                                      const access::Principal& who) {
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  std::vector<std::string> out;
  for (const auto& lot : *lots) {
    if (who.MayRead(lot)) out.push_back(lot);
  }
  return out;
}

absl::StatusOr<domain::Period> LotPeriod(const std::string& text, const domain::LotFacts& facts) {
  auto p = projector::ParseLotPeriod(text, facts);
  if (!p.ok()) {
    return absl::Status(p.status().code() == absl::StatusCode::kFailedPrecondition
                            ? absl::StatusCode::kFailedPrecondition
                            : absl::StatusCode::kInvalidArgument,
                        fmt::format("period: {}", std::string(p.status().message())));
  }
  return p;
}

json AwardJson(const projector::LotReadModel& model) {
  if (!model.facts.award) return nullptr;
  const auto& a = *model.facts.award;
  return {
      {"region", a.region()},
      {"region_code", a.region_code()},
      {"operator_id", a.operator_id()},
      {"operator_name", a.operator_name()},
      {"departements", std::vector<std::string>(a.departements().begin(), a.departements().end())},
      {"start_date", a.start_date()},
      {"end_date", a.end_date()}};
}

// Summed over the months of the period: metric -> dimension -> count.
std::map<std::string, std::map<std::string, int64_t>> Counters(const domain::LotFacts& facts,
                                                               const domain::Period& period) {
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (const auto& [key, n] : domain::CountActivity(facts, period)) {
    out[std::get<1>(key)][std::get<2>(key)] += n;
  }
  return out;
}

// {"dimension": {"VALUE": n}} for the dimensions of `metric` named in `dims`.
json Mix(const std::map<std::string, std::map<std::string, int64_t>>& counters,
         const std::string& metric, std::initializer_list<const char*> dims) {
  json out = json::object();
  for (const char* d : dims) out[d] = json::object();
  auto it = counters.find(metric);
  if (it == counters.end()) return out;
  for (const auto& [dimension, n] : it->second) {
    const auto eq = dimension.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = dimension.substr(0, eq);
    if (out.contains(name)) out[name][dimension.substr(eq + 1)] = n;
  }
  return out;
}

int64_t Total(const std::map<std::string, std::map<std::string, int64_t>>& counters,
              const std::string& metric) {
  auto it = counters.find(metric);
  if (it == counters.end()) return 0;
  auto all = it->second.find("all");
  return all == it->second.end() ? 0 : all->second;
}

// The journeys funnel of the beneficiaries whose first request falls in the
// period: how many of them reached each step, on every fact known.
json Funnel(const domain::LotFacts& facts, const domain::Period& period) {
  int64_t requests = 0, level1 = 0, level2 = 0, plan = 0, closure = 0;
  for (const auto& j : facts.journeys) {
    if (j.requests().empty()) continue;
    auto day = domain::ParseDay(j.requests(0).day());
    if (!day.ok() || !period.Contains(*day)) continue;
    ++requests;
    bool l1 = false, l2 = false;
    for (const auto& a : j.appointments()) {
      l1 |= a.level() == v1::Level::LEVEL_1_WELCOME;
      l2 |= a.level() == v1::Level::LEVEL_2_SUPPORT;
    }
    level1 += l1;
    level2 += l2;
    plan += std::any_of(j.deliverables().begin(), j.deliverables().end(),
                        [](const auto& d) { return d.type() == v1::DeliverableType::ACTION_PLAN; });
    closure += !j.closures().empty();
  }
  return {{"requests", requests},
          {"level_1", level1},
          {"level_2", level2},
          {"action_plan", plan},
          {"closure", closure}};
}

json CompactKpis(const json& kpis) {
  json out = json::array();
  for (const auto& k : kpis) {
    out.push_back({{"id", k["id"]},
                   {"value", k["value"]},
                   {"target", k["target"]},
                   {"numerator", k["numerator"]},
                   {"sample", k["sample"]},
                   {"status", k["status"]}});
  }
  return out;
}

// What steering reports need of a lot, read from one view and kept alive.
struct SteeringInputs {
  std::shared_ptr<const projector::LotReadModel> lot;
  std::shared_ptr<const projector::SteeringReadModel> steering;
  domain::TermsHistory history;
  projector::LotSteering View(const std::string& lot_id) const {
    return {.lot_id = lot_id, .lot = lot.get(), .steering = steering.get(), .history = &history};
  }
};

absl::StatusOr<SteeringInputs> ReadSteeringInputs(Generation& view, const std::string& lot_id) {
  SteeringInputs in;
  auto lot = view.Lot(lot_id);
  if (!lot.ok()) return lot.status();
  in.lot = *lot;
  auto steering = view.Steering(lot_id);
  if (!steering.ok()) return steering.status();
  in.steering = *steering;
  in.history = projector::HistoryOf(in.lot->terms, nullptr);
  return in;
}

absl::StatusOr<absl::CivilDay> Today() { return domain::ParisDay(absl::Now()); }

// A lot's steering inputs and the Paris day its deadlines are judged on,
// once `who` may read the lot and it exists.
struct CheckedSteering : SteeringInputs {
  absl::CivilDay today;
};
absl::StatusOr<CheckedSteering> CheckedSteeringInputs(Generation& view,
                                                      const access::Principal& who,
                                                      const std::string& lot_id) {
  if (auto s = CheckLot(view, who, lot_id); !s.ok()) return s;
  auto today = Today();
  if (!today.ok()) return today.status();
  auto in = ReadSteeringInputs(view, lot_id);
  if (!in.ok()) return in.status();
  return CheckedSteering{std::move(*in), *today};
}

// The statement of `period` for a lot, or why there is none (a lot without
// award or terms: a note, not an error, in pages that show several things).
absl::StatusOr<json> StatementOrNote(const SteeringInputs& in, const std::string& lot_id,
                                     const domain::Period& period, absl::CivilDay today) {
  auto report = projector::ComputeStatementReport(in.View(lot_id), period, today);
  if (absl::IsFailedPrecondition(report.status()) || absl::IsNotFound(report.status()) ||
      absl::IsInvalidArgument(report.status())) {
    return json{{"unavailable", std::string(report.status().message())}};
  }
  if (!report.ok()) return report.status();
  return projector::StatementReportJson(lot_id, *report);
}

// Whether a penalty proposed for `text` is about a day of `period`.
bool PenaltyInPeriod(const std::string& text, const domain::Period& period) {
  auto p = domain::Period::Parse(text);
  return p.ok() && period.Contains(p->FirstDay());
}

}  // namespace

int StatusToHttp(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

json FreshnessJson(const Freshness& f, absl::Time computed_at) {
  json partitions = json::array();
  int64_t folded = 0, dead = 0;
  for (const auto& [key, p] : f.progress) {
    json row = {{"partition", key},
                {"stored_offset", p.next_offset},
                {"folded", p.folded},
                {"dead_letters", p.dead_letters}};
    if (auto it = f.end_offsets.find(key); it != f.end_offsets.end()) {
      row["end_offset"] = it->second;
      row["lag"] = std::max<int64_t>(0, it->second - p.next_offset);
    }
    partitions.push_back(row);
    folded += p.folded;
    dead += p.dead_letters;
  }
  auto lag = f.LagEvents();
  return {
      {"computed_at", Rfc3339(computed_at)},
      {"caught_up_at", Rfc3339(f.caught_up_at)},
      {"store", f.store},
      {"folded_events", folded},
      {"dead_letters", dead},
      {"lag_events", lag ? json(*lag) : json(nullptr)},
      {"end_offsets_at", f.end_offsets.empty() ? json(nullptr) : json(Rfc3339(f.end_offsets_at))},
      {"lag_source", f.end_offsets.empty()
                         ? "unknown: no answer from Kafka (stored offsets only)"
                         : "Kafka end offsets minus the offsets stored with the view"},
      {"partitions", partitions}};
}

absl::StatusOr<json> Meta(Generation& view, const access::Principal& who) {
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  std::optional<absl::CivilDay> latest;
  json lot_rows = json::array();
  for (const auto& lot : *lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    for (const auto& j : (*model)->facts.journeys) {
      for (const auto& r : j.requests()) {
        auto d = domain::ParseDay(r.day());
        if (d.ok() && (!latest || *d > *latest)) latest = *d;
      }
      for (const auto& a : j.appointments()) {
        auto d = domain::ParseDay(a.day());
        if (d.ok() && (!latest || *d > *latest)) latest = *d;
      }
    }
    lot_rows.push_back({{"lot", lot}, {"award", AwardJson(**model)}});
  }
  json principal = {{"role", who.role == access::Principal::Role::kPilot ? "pilot" : "operator"},
                    {"id", who.id}};
  return json{{"principal", principal},
              {"lots", lot_rows},
              {"default_period",
               latest ? json(domain::Period::QuarterOf(*latest).ToString()) : json(nullptr)}};
}

absl::StatusOr<json> LotsList(Generation& view, const access::Principal& who,
                              const Params& params) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  json rows = json::array();
  json columns = json::array();
  std::set<std::string> seen_columns;
  std::optional<domain::Period> shown;
  for (const auto& lot : *lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    json row = {{"lot", lot}, {"award", AwardJson(**model)}};
    auto period = LotPeriod(*period_text, (*model)->facts);
    if (!period.ok()) {
      if (period.status().code() == absl::StatusCode::kInvalidArgument) return period.status();
      row["problem"] = std::string(period.status().message());
      row["kpis"] = json::array();
      rows.push_back(row);
      continue;
    }
    if (!shown) shown = *period;
    std::vector<std::string> problems;
    auto e = projector::EvaluateLotModel(**model, *period, &problems);
    if (!e.ok()) {
      if (!absl::IsNotFound(e.status())) return e.status();
      row["problem"] = std::string(e.status().message());
      row["kpis"] = json::array();
      rows.push_back(row);
      continue;
    }
    json full = projector::EvaluationJson(*e, problems);
    for (const auto& k : full["kpis"]) {
      if (seen_columns.insert(k["id"].get<std::string>()).second) {
        columns.push_back({{"id", k["id"]},
                           {"label", k["label"]},
                           {"formula", k["formula"]},
                           {"direction", k["direction"]},
                           {"informational", k["informational"]}});
      }
    }
    row["terms_version"] = full["terms_version"];
    row["closing_day"] = full["closing_day"];
    row["kpis"] = CompactKpis(full["kpis"]);
    json summary = json::object();
    for (const auto& k : full["kpis"])
      summary[k["status"].get<std::string>()] =
          summary.value(k["status"].get<std::string>(), 0) + 1;
    row["status_counts"] = summary;
    if (!problems.empty()) row["problems"] = problems;
    rows.push_back(row);
  }
  json out = {{"period", *period_text}, {"columns", columns}, {"lots", rows}};
  if (shown) {
    out["period"] = shown->ToString();
    out["period_label"] = shown->FrenchLabel();
  }
  return out;
}

absl::StatusOr<json> National(Generation& view, const access::Principal& who,
                              const Params& params) {
  if (who.role != access::Principal::Role::kPilot) {
    return absl::PermissionDeniedError(
        "the national view aggregates every lot: pilot tokens only (use /api/v1/lots)");
  }
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto lots = view.Lots();
  if (!lots.ok()) return lots.status();
  std::vector<std::shared_ptr<const projector::LotReadModel>> models;
  std::vector<const projector::LotReadModel*> pointers;
  int64_t new_beneficiaries = 0, appointments = 0, closures = 0, surveys = 0;
  for (const auto& lot : *lots) {
    auto model = view.Lot(lot);
    if (!model.ok()) return model.status();
    models.push_back(*model);
    pointers.push_back(model->get());
    auto period = LotPeriod(*period_text, (*model)->facts);
    if (!period.ok()) return period.status();
    auto counters = Counters((*model)->facts, *period);
    new_beneficiaries += Total(counters, "new_beneficiaries");
    appointments += Total(counters, "appointments");
    closures += Total(counters, "closures");
    surveys += Total(counters, "surveys");
  }
  auto kpis = projector::NationalKpisJson(pointers, *period_text);
  if (!kpis.ok()) return kpis.status();
  json out = std::move(*kpis);
  out.erase("lot");
  // Penalties proposed for the period, and each lot's fund usage as its
  // statement for the period computes it.
  auto today = Today();
  if (!today.ok()) return today.status();
  int64_t proposed = 0, confirmed = 0, waived = 0, undecided = 0, count = 0;
  int64_t envelope = 0, cumulative = 0, projected = 0;
  json over = json::array();
  json without = json::array();
  for (const auto& lot : *lots) {
    auto in = ReadSteeringInputs(view, lot);
    if (!in.ok()) return in.status();
    auto period = LotPeriod(*period_text, in->lot->facts);
    if (!period.ok()) return period.status();
    auto procedures = projector::PenaltyProcedures(*in->steering, in->history, nullptr);
    if (!procedures.ok()) return procedures.status();
    for (const auto& p : *procedures) {
      if (!PenaltyInPeriod(p.proposal.period(), *period)) continue;
      const int64_t amount = p.proposal.amount_cents();
      ++count;
      proposed += amount;
      if (p.state == domain::PenaltyState::kConfirmed) confirmed += amount;
      if (p.state == domain::PenaltyState::kWaived) waived += amount;
      if (!p.decided()) undecided += amount;
    }
    auto statement = StatementOrNote(*in, lot, *period, *today);
    if (!statement.ok()) return statement.status();
    if (statement->contains("unavailable")) {
      without.push_back({{"lot", lot}, {"why", (*statement)["unavailable"]}});
      continue;
    }
    const json& f = (*statement)["fund_usage"];
    envelope += f["budget_envelope_cents"].get<int64_t>();
    cumulative += f["cumulative_cents"].get<int64_t>();
    projected += f["projected_cents"].get<int64_t>();
    if (f["projection_exceeds_envelope"].get<bool>()) over.push_back(lot);
  }
  out["penalties"] = {{"count", count},
                      {"proposed_cents", proposed},
                      {"confirmed_cents", confirmed},
                      {"waived_cents", waived},
                      {"undecided_cents", undecided}};
  out["fund_usage"] = {{"budget_envelope_cents", envelope},
                       {"cumulative_cents", cumulative},
                       {"projected_cents", projected},
                       {"lots_projected_over_envelope", over},
                       {"lots_without_statement", without}};
  out["volume"] = {{"new_beneficiaries", new_beneficiaries},
                   {"appointments", appointments},
                   {"closures", closures},
                   {"surveys", surveys}};
  return out;
}

absl::StatusOr<json> LotDetail(Generation& view, const access::Principal& who,
                               const std::string& lot, const Params& params) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  if (auto s = CheckLot(view, who, lot); !s.ok()) return s;
  auto model = view.Lot(lot);
  if (!model.ok()) return model.status();
  const auto& facts = (*model)->facts;
  auto period = LotPeriod(*period_text, facts);
  if (!period.ok()) return period.status();
  std::vector<std::string> problems;
  auto e = projector::EvaluateLotModel(**model, *period, &problems);
  if (!e.ok()) return e.status();
  json out = projector::EvaluationJson(*e, problems);
  out["award"] = AwardJson(**model);

  // Monthly series of every KPI over the months of the period.
  json months = json::array();
  json series = json::object();
  for (const auto& month : period->Months()) {
    months.push_back(month.ToString());
    auto m = projector::EvaluateLotModel(**model, month, nullptr);
    for (const auto& k : out["kpis"]) {
      const std::string id = k["id"];
      json point = {{"month", month.ToString()}, {"month_label", month.FrenchLabel()}};
      const domain::KpiResult* r = nullptr;
      if (m.ok()) {
        for (const auto& x : m->kpis) {
          if (x.kpi_id == id) r = &x;
        }
      }
      if (r) {
        point["value"] = r->value;
        point["target"] = r->target;
        point["numerator"] = r->numerator;
        point["sample"] = r->sample;
        point["status"] = std::string(domain::KpiStatusName(r->status));
      } else {
        point["value"] = nullptr;
        point["target"] = nullptr;
        point["status"] = nullptr;
      }
      series[id].push_back(point);
    }
  }
  out["series"] = {{"months", months}, {"kpis", series}};

  const auto counters = Counters(facts, *period);
  out["funnel"] = Funnel(facts, *period);
  out["volume"] = {{"new_beneficiaries", Total(counters, "new_beneficiaries")},
                   {"appointments", Total(counters, "appointments")},
                   {"closures", Total(counters, "closures")},
                   {"surveys", Total(counters, "surveys")}};
  out["profile_mix"] =
      Mix(counters, "new_beneficiaries",
          {"age_band", "sex", "qualification", "status", "company_size", "channel"});
  out["modality_mix"] = Mix(counters, "appointments", {"modality", "level", "kind"});
  json closures = Mix(counters, "closures", {"outcome", "referral"});
  out["outcomes"] = closures["outcome"];
  out["referrals"] = closures["referral"];

  auto today = Today();
  if (!today.ok()) return today.status();
  auto in = ReadSteeringInputs(view, lot);
  if (!in.ok()) return in.status();
  auto ledger = projector::PenaltyLedgerJson(in->View(lot), *today);
  if (!ledger.ok()) return ledger.status();
  auto statement = StatementOrNote(*in, lot, *period, *today);
  if (!statement.ok()) return statement.status();
  out["steering"] = {{"on", domain::FormatDay(*today)},
                     {"penalties", (*ledger)["penalties"]},
                     {"penalty_totals", (*ledger)["totals"]},
                     {"past_deadline_undecided", (*ledger)["past_deadline_undecided"]},
                     {"actions", projector::ActionsReportJson(in->View(lot), *today)["actions"]},
                     {"statement", *statement}};
  return out;
}

absl::StatusOr<json> LotPenalties(Generation& view, const access::Principal& who,
                                  const std::string& lot) {
  auto in = CheckedSteeringInputs(view, who, lot);
  if (!in.ok()) return in.status();
  return projector::PenaltyLedgerJson(in->View(lot), in->today);
}

absl::StatusOr<json> LotActions(Generation& view, const access::Principal& who,
                                const std::string& lot) {
  auto in = CheckedSteeringInputs(view, who, lot);
  if (!in.ok()) return in.status();
  return projector::ActionsReportJson(in->View(lot), in->today);
}

absl::StatusOr<json> LotStatement(Generation& view, const access::Principal& who,
                                  const std::string& lot, const Params& params) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto in = CheckedSteeringInputs(view, who, lot);
  if (!in.ok()) return in.status();
  auto period = LotPeriod(*period_text, in->lot->facts);
  if (!period.ok()) return period.status();
  auto report = projector::ComputeStatementReport(in->View(lot), *period, in->today);
  if (!report.ok()) {
    if (absl::IsFailedPrecondition(report.status()) || absl::IsNotFound(report.status())) {
      return absl::FailedPreconditionError(fmt::format("statement of {} for {}: {}", lot,
                                                       period->ToString(),
                                                       std::string(report.status().message())));
    }
    return report.status();
  }
  return projector::StatementReportJson(lot, *report);
}

absl::StatusOr<json> LotQuality(Generation& view, const access::Principal& who,
                                const std::string& lot, const Params& params) {
  auto detail = LotDetail(view, who, lot, params);
  if (!detail.ok()) return detail.status();
  json out = {{"lot", lot},
              {"period", (*detail)["period"]},
              {"period_label", (*detail)["period_label"]},
              {"closing_day", (*detail)["closing_day"]},
              {"data_quality", (*detail)["data_quality"]}};
  for (const auto& k : (*detail)["kpis"]) {
    if (k["formula"] == "REPORTING_TIMELINESS") out["reporting_timeliness"] = k;
  }
  return out;
}

absl::StatusOr<json> Quality(Generation& view, const Freshness& freshness,
                             const access::Principal& who, const Params& params) {
  auto period_text = PeriodParam(params);
  if (!period_text.ok()) return period_text.status();
  auto lots = ReadableLots(view, who);
  if (!lots.ok()) return lots.status();
  json rows = json::array();
  json totals = {{"events", 0},
                 {"late_events", 0},
                 {"refused_events", 0},
                 {"imported_events", 0},
                 {"imported_duplicates", 0}};
  json buckets = json::object();
  for (const auto& lot : *lots) {
    auto q = LotQuality(view, who, lot, params);
    if (!q.ok()) {
      if (absl::IsNotFound(q.status()) || absl::IsFailedPrecondition(q.status())) {
        rows.push_back({{"lot", lot}, {"problem", std::string(q.status().message())}});
        continue;
      }
      return q.status();
    }
    const json& dq = (*q)["data_quality"];
    for (const char* f :
         {"events", "late_events", "refused_events", "imported_events", "imported_duplicates"}) {
      totals[f] = totals[f].get<int64_t>() + dq.value(f, int64_t{0});
    }
    for (const auto& [b, n] : dq["reporting_delay_days"].items()) {
      buckets[b] = buckets.value(b, int64_t{0}) + n.get<int64_t>();
    }
    rows.push_back(*q);
  }
  totals["reporting_delay_days"] = buckets;
  json out = {{"period", *period_text}, {"lots", rows}, {"totals", totals}};
  if (auto p = domain::Period::Parse(*period_text); p.ok()) {
    out["period"] = p->ToString();
    out["period_label"] = p->FrenchLabel();
  }
  if (who.role == access::Principal::Role::kPilot) {
    int64_t dead = 0;
    for (const auto& [key, p] : freshness.progress) dead += p.dead_letters;
    out["dead_letters"] = dead;
  } else {
    out["dead_letters"] = nullptr;
  }
  out["refusals_note"] =
      "refusals at the gateway, by reason, are counted on pilotage-ingest's /metrics "
      "(pilotage_ingest_refusals_total); events the projector refused are the dead letters";
  return out;
}

absl::StatusOr<std::vector<KpiGauge>> KpiGauges(Generation& view) {
  access::Principal pilot{.role = access::Principal::Role::kPilot, .id = "metrics"};
  auto meta = Meta(view, pilot);
  if (!meta.ok()) return meta.status();
  std::vector<KpiGauge> out;
  if ((*meta)["default_period"].is_null()) return out;
  auto list = LotsList(view, pilot, {{"period", (*meta)["default_period"].get<std::string>()}});
  if (!list.ok()) return list.status();
  for (const auto& row : (*list)["lots"]) {
    for (const auto& k : row["kpis"]) {
      out.push_back({.lot = row["lot"],
                     .kpi = k["id"],
                     .period = (*list)["period"],
                     .value = k["value"],
                     .target = k["target"],
                     .measured = k["status"] != "NOT_ENOUGH_DATA"});
    }
  }
  return out;
}

absl::StatusOr<std::vector<SteeringGauge>> SteeringGauges(Generation& view) {
  access::Principal pilot{.role = access::Principal::Role::kPilot, .id = "metrics"};
  auto meta = Meta(view, pilot);
  if (!meta.ok()) return meta.status();
  auto today = Today();
  if (!today.ok()) return today.status();
  std::vector<SteeringGauge> out;
  for (const auto& row : (*meta)["lots"]) {
    const std::string lot = row["lot"];
    auto in = ReadSteeringInputs(view, lot);
    if (!in.ok()) return in.status();
    SteeringGauge g{.lot = lot};
    for (const char* state : {"PROPOSED", "OBSERVATIONS_RECEIVED", "CONFIRMED", "WAIVED"}) {
      g.penalties_cents[state] = 0;
    }
    auto procedures = projector::PenaltyProcedures(*in->steering, in->history, nullptr);
    if (!procedures.ok()) return procedures.status();
    for (const auto& p : *procedures) {
      g.penalties_cents[std::string(domain::PenaltyStateName(p.state))] +=
          p.proposal.amount_cents();
    }
    if (!(*meta)["default_period"].is_null()) {
      auto period = domain::Period::Parse((*meta)["default_period"].get<std::string>());
      if (period.ok()) {
        auto report = projector::ComputeStatementReport(in->View(lot), *period, *today);
        if (report.ok()) {
          g.has_statement = true;
          g.contract_year = report->statement.contract_year.ToString();
          g.cumulative_cents = report->statement.statement.cumulative_fund_usage_cents();
          g.projected_cents = report->statement.projected_usage_cents;
          g.envelope_cents = report->statement.statement.budget_envelope_cents();
        }
      }
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace pilotage::query
