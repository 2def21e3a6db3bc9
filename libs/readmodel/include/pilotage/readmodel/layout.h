#pragma once
// The key layout of the `cep` read models: column family names and key
// encodings, the one definition shared by the writer (the projector's fold,
// services/projector) and every reader (this library). Pure: no I/O.
//
// Column families (every key starts with the lot id and a NUL byte):
//   cep_journeys     "<lot>\0<pseudonym>"             -> store.v1.Journey: each
//                    batch that touches it reads it, adds its facts and puts
//                    it back whole and normalized (decision 0034); a store of
//                    version 3 or later may hold concatenated records
//                    (decision 0016's appends, and a rebuild's, which appends
//                    the facts and computes the cells at the end: decision
//                    0048): read as their union (domain::NormalizeJourney),
//                    which is the same journey
//   cep_reporting    "<lot>\0<YYYY-MM-DD>\0<delay>"   -> count (8 bytes LE):
//                    activity events that occurred that Paris day and were
//                    recorded `delay` calendar days later (4 digits, capped
//                    at kMaxDelayDays)
//   cep_contract     "<lot>\0award"                   -> store.v1.LotRecord
//                    "<lot>\0terms\0<version>"        -> store.v1.TermsRecord
//                    "<lot>\0review\0<review_id>"     -> store.v1.ReviewRecord
//                    "<lot>\0action\0<action_id>"     -> store.v1.ActionRecord
//                    "<lot>\0penalty\0<penalty_id>"   -> store.v1.PenaltyRecord
//                    "<lot>\0statement\0<id>"         -> store.v1.StatementRecord
//   cep_quality      "<lot>\0refused\0<event_id>"     -> "" per refused event
//                    "<lot>\0imported\0<event_id>"    -> count (8 bytes LE): events
//                    of the lot a HistoryImported says a file import wrote
//                    "<lot>\0imported-lines\0<YYYY-MM-DD>\0<event_id>" -> count:
//                    of those, how many occurred that day (HistoryImported.days)
//                    "<lot>\0imported-day\0<YYYY-MM-DD>" -> count: activity
//                    events marked `imported` folded (the engine folds an id
//                    once: the log's first copy came from an import) that
//                    occurred that day (decision 0024)
//                    "<lot>\0conflicting\0<event_id>" -> count (8 bytes LE):
//                    copies of an id already folded that came with other
//                    content, sent to the dead letters (decision 0036; a new
//                    key that readers of version 4 ignore, so not a version)
//                    "<lot>\0conflicting-day\0<YYYY-MM-DD>" -> count: the same
//                    copies by Paris day of their occurred_at (decision 0045;
//                    counted from that version on, ignored by older readers)
//   cep_refusals     "<lot>\0<YYYY-MM-DD>\0<CODE>"   -> count (8 bytes LE):
//                    the gateway's refusals (pilotage.rejected.v1, decision
//                    0045) naming the lot, by Paris day of their recorded_at
//                    and intake code (e.g. PERSONAL_DATA); those naming no lot
//                    (a body that does not parse, a lot at fault) under the
//                    empty lot: "\0<YYYY-MM-DD>\0<CODE>". A family of its
//                    own, not cep_quality: a refusal may name a lot nothing
//                    else knows, which must not become a lot of ListLots
//   activity_counts  "<lot>\0<YYYY-MM>\0<event type>" -> count (8 bytes LE),
//                    the event type being the body's field name
//   cep_kpi_cells    "<lot>\0<kind>\0<YYYY-MM-DD day>\0<YYYY-MM-DD known>\0<dim>"
//                    -> count (8 bytes LE, signed): the KPI cells of
//                    domain/kpi_cells.h (kind one byte: r f a c s p u), written
//                    as deltas the store sums (store::MergeKind::kAddFixed64,
//                    which CepFamilies gives the family). Invariants
//                    (decision 0034): for every lot, the cells are the sum of
//                    its beneficiaries' contributions (domain::ContributionOf
//                    of each stored journey, normalized), so a function of the
//                    journeys alone, whatever the arrival order and batching;
//                    a cell stored as 0 counts as absent (whether one is
//                    stored depends on the batching); a cell's count may be
//                    negative (a retraction at a later known day), but the sum
//                    of a (kind, day, dim) over known days before any closing
//                    day is >= 0
//
// The store of the `cep` projection holds all seven (plus the engine's own
// meta, seen and progress: libs/projection); a store of the
// `activity_counts` projection holds activity_counts only. A change of what a
// key or value means changes kCepVersion: stores of another version are
// refused by the engine and by readers, and rebuilt from the log.
//
// Thread-safety: functions are pure; the constants are immutable.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/store/store.h"

namespace pilotage::readmodel::layout {

// The projection that writes these families, as recorded in the store's meta
// ("cep:6"). 2: the steering records joined cep_contract. 3: journeys
// appended batch after batch, not rewritten (decision 0016). 4: imported
// events and import lines counted per day (decision 0024). 5: the KPI cells
// (cep_kpi_cells, decision 0034). 6: the funnel's cells (kind 'u', decision
// 0049).
inline constexpr std::string_view kCepProjection = "cep";
inline constexpr uint32_t kCepVersion = 6;
inline constexpr std::string_view kActivityCountsProjection = "activity_counts";
inline constexpr uint32_t kActivityCountsVersion = 1;

inline constexpr std::string_view kJourneys = "cep_journeys";
inline constexpr std::string_view kReporting = "cep_reporting";
inline constexpr std::string_view kContract = "cep_contract";
inline constexpr std::string_view kQuality = "cep_quality";
inline constexpr std::string_view kActivityCounts = "activity_counts";
// Added by decision 0045 without a version: a projector creates it when it
// opens a store without it, so readers need a store a new projector opened.
inline constexpr std::string_view kRefusals = "cep_refusals";
inline constexpr std::string_view kKpiCells = "cep_kpi_cells";

// The second part of cep_contract and cep_quality keys.
inline constexpr std::string_view kAward = "award";
inline constexpr std::string_view kTerms = "terms";
inline constexpr std::string_view kReview = "review";
inline constexpr std::string_view kAction = "action";
inline constexpr std::string_view kPenalty = "penalty";
inline constexpr std::string_view kStatement = "statement";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kImported = "imported";
inline constexpr std::string_view kImportedDay = "imported-day";
inline constexpr std::string_view kImportedLines = "imported-lines";
inline constexpr std::string_view kConflicting = "conflicting";
inline constexpr std::string_view kConflictingDay = "conflicting-day";

// Reporting delays above this are stored as this.
inline constexpr int kMaxDelayDays = 9999;

// The state families of the cep projection, in the order it declares them.
std::vector<store::ColumnFamilyOptions> CepFamilies();
// The state family of the activity_counts projection.
std::vector<store::ColumnFamilyOptions> ActivityCountsFamilies();

// `parts` joined by NUL bytes: Key({lot, kTerms, "2024.1"}). Key({lot, ""})
// is the prefix of every key of a lot.
std::string Key(std::initializer_list<std::string_view> parts);

// A key split at its NUL bytes.
std::vector<std::string_view> Parts(std::string_view key);

// The lot id of any key above (its part before the first NUL).
std::string_view LotOf(std::string_view key);

// Key builders that write into `key` (cleared first), for the fold's hot path
// (no allocation once `key` has grown).
void JourneyKey(std::string& key, std::string_view lot, std::string_view pseudonym);
void ReportingKey(std::string& key, std::string_view lot, absl::CivilDay day, int delay_days);
// The cep_kpi_cells key of `cell` for `lot`.
void KpiCellKey(std::string& key, std::string_view lot, const domain::KpiCell& cell);
// The prefix of a lot's cells of `kind` whose day starts with `day_prefix`
// ("2024-03" for a month).
std::string KpiCellPrefix(std::string_view lot, domain::CellKind kind, std::string_view day_prefix);
// The cell of a cep_kpi_cells key (its lot is LotOf(key)). kDataLoss when
// the key is not one.
[[nodiscard]] absl::StatusOr<domain::KpiCell> ParseKpiCellKey(std::string_view key);
void ActivityCountKey(std::string& key, std::string_view lot, absl::CivilMonth month,
                      std::string_view event_type);

}  // namespace pilotage::readmodel::layout
