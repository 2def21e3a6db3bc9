#include "pilotage/readmodel/kpis.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/functional/function_ref.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/lot_period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/store/coding.h"

namespace pilotage::readmodel {

namespace v1 = ::pilotage::v1;

namespace {

// The lot's terms history; its problems appended to `problems` (may be
// null), prefixed by the lot id.
domain::TermsHistory LotHistory(const LotReadModel& model, std::vector<std::string>* problems) {
  std::vector<std::string> lot_problems;
  domain::TermsHistory history = HistoryOf(model.terms, &lot_problems);
  if (problems) {
    for (auto& m : lot_problems) problems->push_back(fmt::format("{}: {}", model.facts.lot_id, m));
  }
  return history;
}

// Calls `visit` with each KPI cell of `prefix` (cep_kpi_cells) and its
// count, in key order. kDataLoss when a key or count does not parse.
absl::Status ForEachCell(const store::Store& store, std::string_view prefix,
                         absl::FunctionRef<void(const domain::KpiCell&, int64_t)> visit) {
  absl::Status bad;
  absl::Status s =
      store.ForEach(layout::kKpiCells, prefix, [&](std::string_view key, std::string_view value) {
        auto cell = layout::ParseKpiCellKey(key);
        auto n = store::DecodeFixed64(value, "KPI cell count");
        if (!cell.ok() || !n.ok()) {
          bad = cell.ok() ? n.status() : cell.status();
          return false;
        }
        visit(*cell, *n);
        return true;
      });
  return s.ok() ? bad : s;
}

}  // namespace

absl::StatusOr<domain::LotEvaluation> EvaluateLotModel(const LotReadModel& model,
                                                       const domain::Period& period,
                                                       std::vector<std::string>* problems) {
  domain::TermsHistory history = LotHistory(model, problems);
  return domain::EvaluateLot(model.facts, history, period);
}

absl::StatusOr<domain::KnownCells> ReadKnownCells(const store::Store& store,
                                                  std::string_view lot_id,
                                                  const domain::Period& period,
                                                  absl::CivilDay closing_day) {
  domain::KnownCells cells(closing_day);
  for (const domain::Period& month : period.Months()) {
    const std::string m = month.ToString();  // "YYYY-MM": the prefix of its days
    for (auto kind : {domain::CellKind::kRequest, domain::CellKind::kFirstAppointment,
                      domain::CellKind::kAppointment, domain::CellKind::kClosure,
                      domain::CellKind::kSurvey, domain::CellKind::kPriced}) {
      absl::Status s = ForEachCell(store, layout::KpiCellPrefix(lot_id, kind, m),
                                   [&](const domain::KpiCell& cell, int64_t n) {
                                     if (period.Contains(cell.day)) cells.Add(cell, n);
                                   });
      if (!s.ok()) return s;
    }
  }
  return cells;
}

absl::StatusOr<domain::LotEvaluation> EvaluateLotCells(const store::Store& store,
                                                       const LotReadModel& model,
                                                       const domain::Period& period,
                                                       std::vector<std::string>* problems) {
  domain::TermsHistory history = LotHistory(model, problems);
  auto closing = domain::ClosingDayFor(history, model.facts.lot_id, period);
  if (!closing.ok()) return closing.status();
  auto cells = ReadKnownCells(store, model.facts.lot_id, period, *closing);
  if (!cells.ok()) return cells.status();
  return domain::EvaluateLotCells(model.facts, history, period, *cells);
}

absl::StatusOr<std::map<domain::CounterKey, int64_t>> ReadActivityCounters(
    const store::Store& store, std::string_view lot_id, const domain::Period& period) {
  auto cells = ReadKnownCells(store, lot_id, period, domain::kEverything);
  if (!cells.ok()) return cells.status();
  return domain::CountActivityCells(*cells, period);
}

absl::StatusOr<domain::JourneyFunnel> ReadFunnel(const store::Store& store, std::string_view lot_id,
                                                 const domain::Period& period) {
  domain::JourneyFunnel out;
  for (const domain::Period& month : period.Months()) {
    absl::Status bad;
    absl::Status s = ForEachCell(
        store, layout::KpiCellPrefix(lot_id, domain::CellKind::kFunnel, month.ToString()),
        [&](const domain::KpiCell& cell, int64_t n) {
          if (!bad.ok() || !period.Contains(cell.day)) return;
          absl::Status added = domain::AddFunnelCell(cell.dim, n, out);
          if (!added.ok()) {
            bad = absl::DataLossError(fmt::format(
                "{} in {} of lot '{}'", std::string(added.message()), layout::kKpiCells, lot_id));
          }
        });
    if (!s.ok()) return s;
    if (!bad.ok()) return bad;
  }
  return out;
}

std::optional<ActivitySpan> JourneyActivitySpan(const domain::LotFacts& facts) {
  std::optional<ActivitySpan> out;
  auto fold = [&](const std::string& text) {
    auto d = domain::ParseDay(text);
    if (!d.ok()) return;
    if (!out) {
      out = ActivitySpan{.first = *d, .last = *d};
      return;
    }
    out->first = std::min(out->first, *d);
    out->last = std::max(out->last, *d);
  };
  for (const auto& j : facts.journeys) {
    for (const auto& r : j.requests()) fold(r.day());
    for (const auto& a : j.appointments()) fold(a.day());
  }
  return out;
}

absl::StatusOr<std::optional<ActivitySpan>> ReadActivitySpan(const store::Store& store,
                                                             std::string_view lot_id) {
  std::optional<ActivitySpan> out;
  for (auto kind : {domain::CellKind::kRequest, domain::CellKind::kAppointment}) {
    // Cells are sorted by day: a day counts once the sum of its cells (over
    // known days and dimensions, each >= 0 by decision 0034's invariant) is
    // not 0, i.e. once one of its observations is still counted.
    std::optional<absl::CivilDay> day;
    int64_t sum = 0;
    auto close_day = [&] {
      if (!day || sum == 0) return;
      if (!out) out = ActivitySpan{.first = *day, .last = *day};
      out->first = std::min(out->first, *day);
      out->last = std::max(out->last, *day);
    };
    absl::Status s = ForEachCell(store, layout::KpiCellPrefix(lot_id, kind, ""),
                                 [&](const domain::KpiCell& cell, int64_t n) {
                                   if (day != cell.day) {
                                     close_day();
                                     day = cell.day;
                                     sum = 0;
                                   }
                                   sum += n;
                                 });
    if (!s.ok()) return s;
    close_day();
  }
  return out;
}

NationalKpis::NationalKpis(std::string period_text) : period_text_(std::move(period_text)) {}

absl::Status NationalKpis::Add(const LotReadModel& model) { return Add(nullptr, model); }

absl::Status NationalKpis::Add(const store::Store& store, const LotReadModel& model) {
  return Add(&store, model);
}

absl::Status NationalKpis::Add(const store::Store* store, const LotReadModel& model) {
  auto p = domain::ParseLotPeriod(period_text_, model.facts);
  if (!p.ok()) return p.status();
  if (!period_) period_ = *p;
  auto evaluation = store ? EvaluateLotCells(*store, model, *p, &problems_)
                          : EvaluateLotModel(model, *p, &problems_);
  if (!evaluation.ok()) {
    if (absl::IsNotFound(evaluation.status())) {
      problems_.push_back(
          fmt::format("{}: {}", model.facts.lot_id, std::string(evaluation.status().message())));
      return absl::OkStatus();
    }
    return evaluation.status();
  }
  evaluations_.push_back(std::move(*evaluation));
  return absl::OkStatus();
}

absl::StatusOr<NationalEvaluation> NationalKpis::Finish() && {
  if (!period_) {
    auto p = domain::Period::Parse(period_text_);
    if (!p.ok()) return p.status();
    period_ = *p;
  }
  auto national = domain::EvaluateNational(evaluations_, *period_);
  if (!national.ok()) return national.status();
  NationalEvaluation out{.evaluation = std::move(*national), .problems = std::move(problems_)};
  for (const auto& e : evaluations_) out.lots.push_back(e.lot_id);
  return out;
}

}  // namespace pilotage::readmodel
