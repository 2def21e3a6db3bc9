#pragma once
// KPI evaluations of the cep read model, typed: one lot's for a period, and
// the national aggregate of several lots, built lot by lot (a lot's read model
// can be dropped once added). JSON for them is at the edges (json.h).
//
// Pure given the read models: the caller reads them from one consistent view
// of the store (open.h). Thread-safety: functions are pure; a NationalKpis is
// used by one thread at a time.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/funnel.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/period.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/store/store.h"

namespace pilotage::readmodel {

// Evaluates `model` for `period`; problems of its terms history (versions
// left out) are appended to `problems` (may be null), prefixed by the lot id.
// kNotFound when no terms govern it.
[[nodiscard]] absl::StatusOr<domain::LotEvaluation> EvaluateLotModel(
    const LotReadModel& model, const domain::Period& period, std::vector<std::string>* problems);

// The KPI cells of `lot_id` (layout.h, cep_kpi_cells) whose day is in
// `period`, known before `closing_day` (domain::kEverything: all of them),
// summed over their known days. Reads only the period's months: the cost
// and memory depend on the period's cells, not on the lot's history or its
// number of journeys. kDataLoss when a stored cell does not parse.
[[nodiscard]] absl::StatusOr<domain::KnownCells> ReadKnownCells(const store::Store& store,
                                                                std::string_view lot_id,
                                                                const domain::Period& period,
                                                                absl::CivilDay closing_day);

// EvaluateLotModel from the KPI cells of `store` (the store `model` was read
// from, through the same view): model.facts.journeys is not read, so read
// the model with ReadLotOptions{.journeys = false}. Same results as
// EvaluateLotModel on the journeys (domain/kpi_cells.h states the two
// documented differences). Errors: EvaluateLotModel's and ReadKnownCells'.
[[nodiscard]] absl::StatusOr<domain::LotEvaluation> EvaluateLotCells(
    const store::Store& store, const LotReadModel& model, const domain::Period& period,
    std::vector<std::string>* problems);

// domain::CountActivity of `lot_id` for `period`, from its KPI cells (every
// fact recorded so far). Errors: ReadKnownCells'.
[[nodiscard]] absl::StatusOr<std::map<domain::CounterKey, int64_t>> ReadActivityCounters(
    const store::Store& store, std::string_view lot_id, const domain::Period& period);

// domain::CountFunnel of `lot_id` for `period` (every fact recorded so far),
// read from the lot's kFunnel KPI cells of the period's days (decision
// 0049), one prefix per month: at most 16 cells a day, whatever the number
// of journeys or the lot's history. kDataLoss when a cell's key, count or
// dimension does not parse.
[[nodiscard]] absl::StatusOr<domain::JourneyFunnel> ReadFunnel(const store::Store& store,
                                                               std::string_view lot_id,
                                                               const domain::Period& period);

// The first and last day of a lot's activity: requests and appointments.
struct ActivitySpan {
  absl::CivilDay first;
  absl::CivilDay last;
  bool operator==(const ActivitySpan&) const = default;
};

// The span of the days of the journeys' requests and appointments of
// `facts` (their journeys read); nullopt when none has a day. The journey
// reading that ReadActivitySpan replaces, kept as the differential test's
// oracle.
std::optional<ActivitySpan> JourneyActivitySpan(const domain::LotFacts& facts);

// The span of `lot_id`'s activity from its KPI cells (every fact recorded
// so far): the days of its journeys' requests (kRequest) and of its
// appointments (kAppointment) whose cells do not sum to 0; nullopt when
// none. Reads every kRequest and kAppointment cell of the lot once, keeping
// one day's sums: memory is constant, the cost grows with the lot's cells
// (days of history), not with its journeys. Equal to JourneyActivitySpan
// but for a repeated request inside an open journey (it opens no journey,
// so it has no cell): when the lot's last activity is one, the span ends on
// the lot's previous request or appointment. kDataLoss when a stored cell
// does not parse.
[[nodiscard]] absl::StatusOr<std::optional<ActivitySpan>> ReadActivitySpan(
    const store::Store& store, std::string_view lot_id);

// The national evaluation of a period.
struct NationalEvaluation {
  // domain::EvaluateNational of the lots evaluated (lot_id "national").
  domain::LotEvaluation evaluation;
  // Terms history problems, and the lots left out because no terms govern
  // them ("LOT-xx: why").
  std::vector<std::string> problems;
  // The lots aggregated, in the order added.
  std::vector<std::string> lots;
};

// The national evaluation of `period_text`, lot by lot: each lot's period is
// parsed for it (CYn depends on its award), the lot evaluated, and only its
// evaluation kept.
class NationalKpis {
 public:
  explicit NationalKpis(std::string period_text);

  // Evaluates `model`: from its journeys, or, with `store`, from the KPI
  // cells of `store` (EvaluateLotCells). A lot no terms govern is left out
  // and named in the problems (OK). Errors: domain::ParseLotPeriod's
  // (kInvalidArgument, kFailedPrecondition), EvaluateLotModel's or
  // EvaluateLotCells' other than kNotFound.
  [[nodiscard]] absl::Status Add(const LotReadModel& model);
  [[nodiscard]] absl::Status Add(const store::Store& store, const LotReadModel& model);

  // The aggregate. kInvalidArgument for a malformed period (when no lot was
  // added); kNotFound when no lot was evaluated (domain::EvaluateNational).
  [[nodiscard]] absl::StatusOr<NationalEvaluation> Finish() &&;

 private:
  absl::Status Add(const store::Store* store, const LotReadModel& model);

  std::string period_text_;
  std::optional<domain::Period> period_;
  std::vector<domain::LotEvaluation> evaluations_;
  std::vector<std::string> problems_;
};

}  // namespace pilotage::readmodel
