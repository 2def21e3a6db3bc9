#pragma once
// The `cep` projection: folds activity and contract events into the CEP read
// models (libs/domain/cep.h explains the semantics), and keeps the activity
// counts of ActivityCounts beside them so one store serves both.
//
// State: the column families and keys of libs/readmodel's layout.h (the one
// definition, shared with the readers): journeys (whole values, rewritten by
// each batch that touches them; decision 0034), reporting cells, awards, terms and steering records
// (cep_contract), refused and imported events (cep_quality), and the activity counts.
//
// Every stored value is a set union, a sum or a per-slot maximum, so the
// state is the same whatever the arrival order and batching: when two events
// give the same award or terms version, the one with the later occurred_at
// (then the larger event id) wins, again independently of order; a steering
// record merges field by field (each step of a corrective action or of a
// penalty's adversarial procedure is a slot, the later event winning it).
//
// Refused (kInvalidArgument, to the dead letters, counted in cep_quality,
// changing nothing else): any event without occurred_at; activity events
// without event_id, recorded_at or beneficiary; a LotAwarded without a valid
// start_date; terms that fail ValidateTerms or do not govern the event's lot
// (the admin publishes terms once per lot they govern, keyed by that lot);
// a HistoryImported whose days do not parse or count below zero;
// steering events failing CheckSteeringEvent (missing event_id, lot_id or
// body id, a date that is not "YYYY-MM-DD", a period that does not parse, a
// negative amount), the message naming the field. Refused with
// kFailedPrecondition (to the dead letters, counted through
// OnPenaltyConflict): a PenaltyProposed whose penalty id is already proposed
// in the ledger with a different amount (decision 0027: a decision is never
// re-priced; the first one folded, in partition order, stands).
//
// KPI cells (decision 0034, domain/kpi_cells.h): for each beneficiary a
// batch touches, Flush reads its stored journey (one batched read for the
// batch), adds the batch's facts, writes the journey back whole and
// normalized, and adds the change of its contribution to cep_kpi_cells
// (WriteBatch::Add: deltas summed by the store, no cell read; a cell summed
// back to 0 stays stored as 0, which readers and the state digest take as
// absent). The cells are thus the sum of the contributions of the stored
// journeys, whatever the batching.
//
// Deferred cells (a rebuild only, decision 0048): with DeferCells(), Flush
// reads no journey and writes no cell: it appends the batch's facts to the
// journeys (cep_journeys' append merge operator, decision 0016's records,
// read as their union). The cells are then computed once, when the fold is
// over, by WriteCellsOfJourneys: the contributions of the final journeys,
// which is what the incremental fold's changes sum to. Until that pass has
// run, the store's cells are missing: such a store must not be read nor
// folded into incrementally (the rebuild moves `current` to it only after).
//
// Threads: Fold, FoldRecord, Flush and Discard are called by one thread at a
// time (the engine's). Flush of a batch touching many beneficiaries computes
// half of them on a thread of its own (SplitJourneysAbove), joined before
// Flush returns; it reads the store from both (Store is thread-safe).
//
// An id already folded that comes again with other content is not folded
// (the engine sends it to the dead letters, decision 0036): it is counted in
// cep_quality, per lot and id, and per lot and day of its occurred_at, for
// the data-quality page.
//
// The gateway's refusals (v1::Rejection records of `rejected_topic`,
// decision 0045) are counted in cep_refusals per lot, Paris day of their
// recorded_at and reason code; a refusal naming no lot under the empty lot.
// Refused (kInvalidArgument, to the dead letters): a record that does not
// decode as a Rejection, or without recorded_at or reason.
//
// Version 2 added the steering records, version 3 appended journeys, version
// 4 the imported counts per day (data quality per period), version 5 the KPI
// cells, version 6 the funnel's cells (decision 0049); a store
// of an earlier version is refused by the engine and rebuilt from the log
// (`pilotage-projector ... rebuild`).

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/kpi_cells.h"
#include "pilotage/domain/terms.h"
#include "pilotage/projection/projection.h"
#include "pilotage/projector/activity_counts.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/topics/topics.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::projector {

class SteeringDelta;  // src/steering_fold.h
class CellFolder;     // src/cep.cc

class CepProjection : public projection::Projection {
 public:
  static constexpr std::string_view kJourneys = readmodel::layout::kJourneys;
  static constexpr std::string_view kReporting = readmodel::layout::kReporting;
  static constexpr std::string_view kContract = readmodel::layout::kContract;
  static constexpr std::string_view kQuality = readmodel::layout::kQuality;
  static constexpr std::string_view kRefusals = readmodel::layout::kRefusals;

  // Fails when the Europe/Paris time zone cannot be loaded. The records of
  // `rejected_topic` are folded as the gateway's refusals (empty: none).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CepProjection>> Create(
      std::string rejected_topic = pilotage::topics::kRejected);

  ~CepProjection() override;

  std::string_view Name() const override { return readmodel::layout::kCepProjection; }
  // layout.h says what each version changed.
  uint32_t Version() const override { return readmodel::layout::kCepVersion; }
  std::vector<store::ColumnFamilyOptions> StateColumnFamilies() const override;
  void Bind(const store::Store& store) override;
  absl::Status Fold(const v1::Event& event, const projection::Origin& origin) override;
  // Counted in cep_quality, per lot and event id (decision 0036).
  // Activity events only: contract events carry ids derived from what they
  // decide (a steering command retried, a file imported again, the web and
  // pilotagectl confirming the same penalty) while their times may differ.
  bool ComparesContent(const v1::Event& event) const override;
  absl::Status OnConflictingResend(const v1::Event& event,
                                   const projection::Origin& origin) override;
  // True for `rejected_topic`.
  bool FoldsRecords(std::string_view topic) const override;
  absl::Status FoldRecord(std::string_view payload, const projection::Origin& origin) override;
  absl::Status Flush(const store::Store& store, store::WriteBatch& batch) override;
  void Discard() override;
  // A journey's facts normalized (NormalizeJourney) and serialized: what a
  // store that rewrote each journey whole held.
  std::optional<std::string> DigestForm(std::string_view family,
                                        std::string_view value) const override;

  // Flush computes the journeys on two threads when a batch touches more
  // than `n` of them (default 256: a rebuild's batches, not a live batch's
  // few). The result is the same whatever `n`. Set before folding starts.
  void SplitJourneysAbove(size_t n) { split_above_ = n; }

  // Flush appends the batch's facts to the journeys and writes no KPI cell
  // (see "Deferred cells" above); WriteCellsOfJourneys must run once the
  // fold is over. For a rebuild into a new store only. Set before folding
  // starts.
  void DeferCells() { defer_cells_ = true; }

  // Called on the folding thread for each PenaltyProposed refused as a
  // re-pricing, e.g. to count it in a metric. Set before folding starts.
  void OnPenaltyConflict(std::function<void()> callback) {
    on_penalty_conflict_ = std::move(callback);
  }

 private:
  CepProjection(std::unique_ptr<ActivityCounts> counts, std::string rejected_topic);
  absl::Status FoldCep(const v1::Event& event);
  // The batch's journeys: each touched one read, merged with the batch's
  // facts, written back whole, and its contribution's change added to the
  // KPI cells (in two halves on two threads when there are many).
  absl::Status FlushJourneys(const store::Store& store, store::WriteBatch& batch);

  std::unique_ptr<ActivityCounts> counts_;
  // Per "<lot>\0<pseudonym>", the Journey records of the batch's facts,
  // serialized one after the other (to append as they are).
  absl::flat_hash_map<std::string, std::string> journeys_;
  store::v1::Journey fact_;  // scratch: one event's fact
  // The journeys' work of Flush: [0] on the calling thread, [1] on a thread
  // of its own; each with its own scratch and cell sums.
  std::unique_ptr<CellFolder> folders_[2];
  size_t split_above_ = 256;
  bool defer_cells_ = false;
  std::string key_;  // scratch
  std::map<std::string, int64_t> reporting_;
  std::set<std::string> refused_;
  std::map<std::string, int64_t> imported_;
  std::map<std::string, int64_t> imported_days_;
  std::map<std::string, int64_t> conflicting_;
  std::map<std::string, int64_t> conflicting_days_;
  // Per cep_refusals key, the gateway's refusals of the batch.
  std::map<std::string, int64_t> refusals_;
  std::string rejected_topic_;
  v1::Rejection rejection_;  // scratch
  std::map<std::string, store::v1::TermsRecord> terms_;
  std::map<std::string, store::v1::LotRecord> awards_;
  std::unique_ptr<SteeringDelta> steering_;
  std::function<void()> on_penalty_conflict_;
};

// The KPI cells of a store folded with CepProjection::DeferCells(): one pass
// over cep_journeys in key order, each journey normalized and its whole
// contribution (ContributionOf, from no facts to all of them) summed by
// (lot, cell), a lot's cells written (Put) when the pass leaves the lot.
// Journeys are left as stored (appended records; readers and the state
// digest normalize them). `progress`, if set, is called with the number of
// journeys done so far, from the calling thread, every 10,000 journeys and at
// the end. Memory: one lot's cells. Not resumable: a pass that fails leaves
// the store without some lots' cells (rebuild into a new store again).
//
// Errors: kFailedPrecondition when the store already holds KPI cells (not a
// deferred fold's store); kDataLoss for a journey that does not parse; the
// store's read and write errors.
struct CellsWritten {
  int64_t journeys = 0;  // journeys read
  int64_t cells = 0;     // non-zero cells written
};
[[nodiscard]] absl::StatusOr<CellsWritten> WriteCellsOfJourneys(
    store::Store& store, const std::function<void(int64_t journeys)>& progress = nullptr);

}  // namespace pilotage::projector
