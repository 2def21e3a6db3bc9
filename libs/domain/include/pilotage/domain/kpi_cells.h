#pragma once
// KPI cells: the small counters the cep projection's fold keeps so that a
// lot's KPIs for a period, as known on its closing day, are read without its
// journeys (decision 0034).
//
// A cell counts observations of one kind, on the day they occurred, known
// from the end of one Paris day, with one raw dimension: the inputs of the
// KPIs before any contract term is applied, so that an amendment (a new
// delay, minimum score, referral or priority predicate) changes nothing
// stored. The terms are applied when reading (ObserveCells).
//
// The cells of a lot are the sum of its beneficiaries' contributions. The
// contribution of one beneficiary is a pure function of its facts (its
// stored Journey, normalized): for each Paris day d on which at least one of
// its facts was recorded, the KPI inputs known at the end of d (the
// successive journeys of cep.h, on the facts recorded on or before d) minus
// those known at the end of the previous such day, as cells of known day d.
// So the sum of a lot's cells of known day < C is exactly what the journey
// reading (domain::Observe) counts on the facts recorded before closing day
// C, whatever the order and batching the facts arrived in; a late fact that
// changes a journey (a request that splits it, a level-2 appointment that
// makes a closure formalised) retracts the old cell and adds the new one at
// its own known day.
//
// Kinds, their occurrence day and dimension (enums as their numbers):
//   kRequest           a journey's request day; "1.<qualification>.<age_band>.
//                      <status>.<company_size>.<sex>.<channel>" for the
//                      beneficiary's first request ever known in the lot, "0"
//                      for a later journey's request
//   kFirstAppointment  the journey's request day; "<n>": working days from the
//                      request to the journey's first appointment (may be < 0
//                      for an appointment before the first request)
//   kAppointment       the appointment day; "<counted>.<level>.<modality>.
//                      <kind>.<departement>", counted 1 for the first fact of
//                      its appointment id among the beneficiary's facts (by
//                      day, event id), 0 for a repeat
//   kClosure           the closure day; "<formalised>.<outcome>.<referral>",
//                      formalised 1 when the journey reached level 2 with an
//                      action plan
//   kSurvey            the answer day; "<wave>.<satisfaction>.<useful>"
//   kPriced            the appointment day; "<level>.<modality>.<kind>": the
//                      appointments a statement prices, each appointment id
//                      once, by its first fact (day, event id) among all the
//                      beneficiary's facts, known from the day that fact was
//                      recorded (a repeat recorded earlier does not count:
//                      domain::CountAppointments' rule, not the KPIs')
//   kFunnel            the day of the beneficiary's first request (its first
//                      request fact by day, event id); "<level_1>.<level_2>.
//                      <action_plan>.<closed>", 0 or 1 each: whether any of its
//                      facts is an appointment of level 1, of level 2, an
//                      action plan, a closure (any journey, any day); one per
//                      beneficiary with a request, none without. Known day:
//                      the cell's own day, whatever the facts' recording days
//                      (domain::CountFunnel counts every fact recorded so far,
//                      never "as known"): at most 16 cells per day, summed
//                      into one key per (day, dim) whatever the history
//                      (decision 0049)
//
// Every kind but kPriced and kFunnel is "as known": the cells of known day d
// depend only on the facts recorded on or before d. kPriced and kFunnel cells
// are recomputed whole for each beneficiary a batch touches (one pass over
// its facts), kPriced when the batch adds an appointment, kFunnel when it adds
// a request, an appointment, a deliverable or a closure.
//
// Differences from the journey reading, both documented in decision 0034: an
// appointment id repeated under two pseudonyms counts twice (once per
// beneficiary), and an appointment id repeated on two days of one
// beneficiary counts on its first day only (the journey reading deduplicates
// within the period read).
//
// Thread-safety: pure functions; a KnownCells or a ContributionFolder is used
// by one thread at a time.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/funnel.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/store/v1/readmodel.pb.h"

namespace pilotage::domain {

enum class CellKind : char {
  kRequest = 'r',
  kFirstAppointment = 'f',
  kAppointment = 'a',
  kClosure = 'c',
  kSurvey = 's',
  kPriced = 'p',
  kFunnel = 'u',
};

// The kind of `c` ('r', 'f', 'a', 'c', 's', 'p', 'u'); nullopt for any other
// byte.
std::optional<CellKind> CellKindOf(char c);

struct KpiCell {
  CellKind kind = CellKind::kRequest;
  // The day the observation occurred on (see the kinds above).
  absl::CivilDay day;
  // Known from the end of this Paris day: counts on closing days after it.
  absl::CivilDay known;
  std::string dim;

  bool operator<(const KpiCell& o) const {
    return std::tie(kind, day, known, dim) < std::tie(o.kind, o.day, o.known, o.dim);
  }
  bool operator==(const KpiCell& o) const = default;
};

// Cells and their counts (a contribution, or the deltas of a fold's batch).
using KpiCells = std::map<KpiCell, int64_t>;

// The contribution of one beneficiary, `journey` normalized
// (NormalizeJourney). With `from`, only its cells of known day >= from and
// its kPriced and kFunnel cells: the part that facts recorded on or after
// `from` can change (what a fold batch recomputes when its facts were
// recorded on or after `from`).
KpiCells ContributionOf(const pilotage::store::v1::Journey& journey,
                        std::optional<absl::CivilDay> from = std::nullopt);

// A KPI cell in the fold's form: its dimension as integer fields and, for
// kAppointment, its département by number, so that a beneficiary's
// contribution is computed, compared and summed without a string per fact;
// the text dimension is built once per distinct cell
// (ContributionFolder::ToKpiCell). Comparable and hashable (absl::Hash).
struct FlatCell {
  CellKind kind = CellKind::kRequest;
  int32_t day = 0;    // the KpiCell's day, in days since 1970-01-01
  int32_t known = 0;  // the KpiCell's known day, in days since 1970-01-01
  // kAppointment: the département's number in the ContributionFolder that
  // made the cell; -1 for the other kinds.
  int32_t departement = -1;
  uint8_t size = 0;  // the fields used, in the dimension's order
  std::array<int32_t, 7> fields{};

  bool operator==(const FlatCell&) const = default;
  auto operator<=>(const FlatCell&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FlatCell& c) {
    return H::combine(std::move(h), c.kind, c.day, c.known, c.departement, c.size, c.fields);
  }
};

// What the fold does for each beneficiary a batch touches, with scratch space
// reused from one beneficiary to the next (no allocation per fact once warm).
// Thread-safety: one thread at a time; one per thread.
class ContributionFolder {
 public:
  ContributionFolder();
  ~ContributionFolder();
  ContributionFolder(const ContributionFolder&) = delete;
  ContributionFolder& operator=(const ContributionFolder&) = delete;

  // Adds the facts of `added` (any order, duplicates of known event ids
  // changing nothing) to `journey` (normalized), leaving it normalized, and
  // sets deltas() to the change of the beneficiary's contribution:
  // ContributionOf(after) - ContributionOf(before), computed from the first
  // day an added fact was recorded (cells of earlier known days cannot
  // change).
  void AddFacts(pilotage::store::v1::Journey& journey, const pilotage::store::v1::Journey& added);

  // The change the last AddFacts computed: its cells whose count changed,
  // sorted, each once. Valid until the next AddFacts.
  const std::vector<std::pair<FlatCell, int64_t>>& deltas() const;

  // `cell` (made by this folder since the last Clear) with its text
  // dimension.
  KpiCell ToKpiCell(const FlatCell& cell) const;

  // Forgets the départements numbered so far: FlatCells made before can no
  // longer be given to ToKpiCell.
  void Clear();

 private:
  friend KpiCells ContributionOf(const pilotage::store::v1::Journey& journey,
                                 std::optional<absl::CivilDay> from);
  struct Scratch;
  std::unique_ptr<Scratch> scratch_;
};

// A lot's cells for reading: the counts of known day < closing_day, summed
// over known days, by (kind, day, dim). Fill it with Add; the reader keeps
// only the days it reads (the period's).
struct KnownCells {
  explicit KnownCells(absl::CivilDay closing) : closing_day(closing) {}
  // Cells known on this day count (known < closing_day).
  absl::CivilDay closing_day;
  std::map<std::tuple<CellKind, absl::CivilDay, std::string>, int64_t> counts;
  // The same for the cells known on or after closing_day (what is late).
  std::map<std::tuple<CellKind, absl::CivilDay, std::string>, int64_t> later;

  // Counts `n` for `cell` in `counts` when it is known before closing_day,
  // else in `later`.
  void Add(const KpiCell& cell, int64_t n);
};

// What `kpi` observes for `period` from `cells` (known before its closing
// day) and, for REPORTING_TIMELINESS and TERRITORIAL_COVERAGE, from
// facts.reporting and facts.award (facts.journeys is not read). Equal to
// Observe on the journeys the cells were folded from, but for the two
// differences stated above.
KpiObservation ObserveCells(const pilotage::v1::KpiDefinition& kpi, const LotFacts& facts,
                            const KnownCells& cells, const Period& period);

// EvaluateLot from cells: `cells` must be read for the period's closing day
// under the governing terms (kFailedPrecondition otherwise, naming both
// days); facts.journeys is not read. kNotFound when no terms govern the lot.
[[nodiscard]] absl::StatusOr<LotEvaluation> EvaluateLotCells(const LotFacts& facts,
                                                             const TermsHistory& terms,
                                                             const Period& period,
                                                             const KnownCells& cells);

// The closing day of `period` for `lot_id` under `terms`: what the cells of
// EvaluateLotCells must be read for. kNotFound when no terms govern it.
[[nodiscard]] absl::StatusOr<absl::CivilDay> ClosingDayFor(const TermsHistory& terms,
                                                           std::string_view lot_id,
                                                           const Period& period);

// A closing day after every known day: KnownCells(kEverything) keeps every cell.
inline constexpr absl::CivilDay kEverything = absl::CivilDay(9999, 12, 31);

// CountActivity from cells read with closing day kEverything: the same keys
// and counts.
std::map<CounterKey, int64_t> CountActivityCells(const KnownCells& cells, const Period& period);

// The funnel (domain::CountFunnel's counts) of the kFunnel cell `dim` counted
// `n` times, added to `funnel`: `n` requests, and `n` to each step whose bit
// is 1. A dimension that is not four 0/1 fields is kInvalidArgument, naming
// it; `funnel` is then unchanged.
[[nodiscard]] absl::Status AddFunnelCell(std::string_view dim, int64_t n, JourneyFunnel& funnel);

}  // namespace pilotage::domain
