#pragma once
// The `cep` projection: folds activity and contract events into the CEP read
// models (libs/domain/cep.h explains the semantics), and keeps the activity
// counts of ActivityCounts beside them so one store serves both.
//
// State (every key starts with the lot id and a NUL byte):
//   cep_journeys   "<lot>\0<pseudonym>"              -> store.v1.Journey records,
//                  concatenated: each batch appends the facts it folded
//                  (Store's Append, no read); read as their union with
//                  domain::NormalizeJourney (ReadLot does; decision 0016)
//   cep_reporting  "<lot>\0<YYYY-MM-DD>\0<delay>"    -> count (8 bytes LE):
//                  activity events that occurred that Paris day and were
//                  recorded `delay` calendar days later (4 digits, capped)
//   cep_contract   "<lot>\0award"                    -> store.v1.LotRecord
//                  "<lot>\0terms\0<version>"         -> store.v1.TermsRecord
//                  "<lot>\0review\0<review_id>"      -> store.v1.ReviewRecord
//                  "<lot>\0action\0<action_id>"      -> store.v1.ActionRecord
//                  "<lot>\0penalty\0<penalty_id>"    -> store.v1.PenaltyRecord
//                  "<lot>\0statement\0<id>"          -> store.v1.StatementRecord
//                  (the steering read model: steering.h, read with
//                  ReadSteering)
//   cep_quality    "<lot>\0refused\0<event_id>"      -> "" per refused event
//                  "<lot>\0imported\0<event_id>"     -> count (8 bytes LE): events
//                  of the lot a HistoryImported says a file import wrote
//                  "<lot>\0imported-lines\0<YYYY-MM-DD>\0<event_id>" -> count:
//                  of those, how many occurred that day (HistoryImported.days)
//                  "<lot>\0imported-day\0<YYYY-MM-DD>" -> count: activity events
//                  marked `imported` folded (the engine folds an id once: the
//                  log's first copy came from an import) that occurred that day
//   activity_counts                                  as ActivityCounts
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
// negative amount), the message naming the field.
//
// Version 2 added the steering records, version 3 appended journeys, version
// 4 the imported counts per day (data quality per period); a store
// of an earlier version is refused by the engine and rebuilt from the log
// (`pilotage-projector ... rebuild`).

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/terms.h"
#include "pilotage/projection/projection.h"
#include "pilotage/projector/activity_counts.h"
#include "pilotage/store/v1/readmodel.pb.h"

namespace pilotage::projector {

class SteeringDelta;  // src/steering_fold.h

class CepProjection : public projection::Projection {
 public:
  static constexpr std::string_view kJourneys = "cep_journeys";
  static constexpr std::string_view kReporting = "cep_reporting";
  static constexpr std::string_view kContract = "cep_contract";
  static constexpr std::string_view kQuality = "cep_quality";

  // Fails when the Europe/Paris time zone cannot be loaded.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CepProjection>> Create();

  ~CepProjection() override;

  std::string_view Name() const override { return "cep"; }
  // 2: the steering records (steering.h) joined cep_contract.
  // 3: journeys appended batch after batch, not rewritten (decision 0016).
  // 4: imported events and import lines counted per day (decision 0021).
  uint32_t Version() const override { return 4; }
  std::vector<store::ColumnFamilyOptions> StateColumnFamilies() const override;
  absl::Status Fold(const v1::Event& event, const projection::Origin& origin) override;
  absl::Status Flush(const store::Store& store, store::WriteBatch& batch) override;
  void Discard() override;
  // A journey's facts normalized (NormalizeJourney) and serialized: what a
  // store that rewrote each journey whole held.
  std::string DigestForm(std::string_view family, std::string_view value) const override;

 private:
  explicit CepProjection(std::unique_ptr<ActivityCounts> counts);
  absl::Status FoldCep(const v1::Event& event);

  std::unique_ptr<ActivityCounts> counts_;
  // Per "<lot>\0<pseudonym>", the Journey records of the batch's facts,
  // serialized one after the other (to append as they are).
  absl::flat_hash_map<std::string, std::string> journeys_;
  store::v1::Journey fact_;  // scratch: one event's fact
  std::string key_;          // scratch
  std::map<std::string, int64_t> reporting_;
  std::set<std::string> refused_;
  std::map<std::string, int64_t> imported_;
  std::map<std::string, int64_t> imported_days_;
  std::map<std::string, store::v1::TermsRecord> terms_;
  std::map<std::string, store::v1::LotRecord> awards_;
  std::unique_ptr<SteeringDelta> steering_;
};

// What a reader sees of one lot in a cep store.
struct LotReadModel {
  domain::LotFacts facts;
  // Every terms version stored for the lot, by version string.
  std::vector<v1::ContractTerms> terms;
};

// The lots that have any state in `store`, sorted.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListLots(const store::Store& store);

// Everything stored for `lot_id` (empty facts when none).
[[nodiscard]] absl::StatusOr<LotReadModel> ReadLot(const store::Store& store,
                                                   std::string_view lot_id);

// A TermsHistory of `terms`; versions refused by TermsHistory::Add (e.g.
// overlapping another) are left out and their errors appended to `problems`.
domain::TermsHistory HistoryOf(const std::vector<v1::ContractTerms>& terms,
                               std::vector<std::string>* problems);

}  // namespace pilotage::projector
