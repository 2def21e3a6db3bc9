#include "pilotage/projector/cep.h"

#include <algorithm>
#include <set>
#include <span>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/escaping.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/store/coding.h"
#include "steering_fold.h"

namespace pilotage::projector {
namespace {

namespace sv1 = ::pilotage::store::v1;

using readmodel::layout::Key;

template <typename Record>
bool Later(const Record& a, const Record& b) {
  if (a.occurred_at() != b.occurred_at()) return a.occurred_at() > b.occurred_at();
  return a.event_id() > b.event_id();
}

// Adds `delta` to the count stored under `key`.
absl::Status AddCount(const store::Store& store, store::WriteBatch& batch, std::string_view family,
                      const std::string& key, int64_t delta) {
  auto current = store.Get(family, key);
  if (!current.ok()) return current.status();
  int64_t value = 0;
  if (current->has_value()) {
    auto decoded = store::DecodeFixed64(**current, "cep count");
    if (!decoded.ok()) return decoded.status();
    value = *decoded;
  }
  batch.Put(family, key, store::EncodeFixed64(value + delta));
  return absl::OkStatus();
}

// Writes `record` under `key` unless the stored one is later.
template <typename Record>
absl::Status KeepLatest(const store::Store& store, store::WriteBatch& batch, const std::string& key,
                        const Record& record) {
  auto current = store.Get(CepProjection::kContract, key);
  if (!current.ok()) return current.status();
  if (current->has_value()) {
    Record stored;
    if (!stored.ParseFromString(**current)) {
      return absl::DataLossError(fmt::format("cannot parse stored contract record '{}'", key));
    }
    if (!Later(record, stored)) return absl::OkStatus();
  }
  batch.Put(CepProjection::kContract, key, record.SerializeAsString());
  return absl::OkStatus();
}

}  // namespace

// One thread's share of a batch's journeys (CepProjection::FlushJourneys).
class CellFolder {
 public:
  using Entry = std::pair<const std::string, std::string>;

  // Reads the stored journeys of `entries` ("<lot>\0<pseudonym>" -> the
  // batch's facts; sorted by key) with one MultiGet, adds the facts to each,
  // leaves the merged journeys serialized in `merged` (in the order of
  // `entries`) and the contributions' changes in `cells`.
  absl::Status Run(const store::Store& store, std::span<const Entry* const> entries) {
    merged.resize(entries.size());
    keys_.clear();
    for (const Entry* entry : entries) keys_.push_back(entry->first);
    auto stored = store.MultiGet(CepProjection::kJourneys, keys_, /*sorted=*/true);
    if (!stored.ok()) return stored.status();
    sums_.reserve(entries.size() * 2);
    for (size_t i = 0; i < entries.size(); ++i) {
      journey_.Clear();
      if (const auto& value = (*stored)[i];
          value.has_value() && !journey_.ParseFromString(*value)) {
        return absl::DataLossError("cannot parse a stored journey");
      }
      // Written whole and normalized since decision 0034, but a store may
      // still hold appended records (version 5 before it): normalized here.
      domain::NormalizeJourney(journey_);
      added_.Clear();
      if (!added_.ParseFromString(entries[i]->second)) {
        return absl::InternalError("cannot parse the journey facts of the batch");
      }
      folder_.AddFacts(journey_, added_);
      journey_.SerializeToString(&merged[i]);
      // Keys in order: a lot's journeys follow one another.
      const std::string_view lot = readmodel::layout::LotOf(entries[i]->first);
      if (lots_.empty() || lots_.back() != lot) lots_.push_back(lot);
      const auto lot_index = static_cast<uint32_t>(lots_.size() - 1);
      // Summed in their compact form: a key string is built once per
      // distinct cell of the share, not once per journey's change.
      for (const auto& [cell, n] : folder_.deltas()) sums_[{lot_index, cell}] += n;
    }
    cells.reserve(sums_.size());
    for (const auto& [key, n] : sums_) {
      if (n == 0) continue;
      readmodel::layout::KpiCellKey(key_, lots_[key.first], folder_.ToKpiCell(key.second));
      cells.emplace_back(key_, n);
    }
    return absl::OkStatus();
  }

  void Clear() {
    merged.clear();
    cells.clear();
    sums_.clear();
    lots_.clear();
    folder_.Clear();
  }

  // The cep_kpi_cells keys this share changes and their changes (non-zero,
  // each key once, in no order).
  std::vector<std::pair<std::string, int64_t>> cells;
  // The merged journeys, serialized.
  std::vector<std::string> merged;

 private:
  std::vector<std::string_view> keys_;
  sv1::Journey journey_;  // a stored journey, then merged
  sv1::Journey added_;    // the batch's facts of a journey
  domain::ContributionFolder folder_;
  // The lots of the share, in order; cells name them by index.
  std::vector<std::string_view> lots_;
  absl::flat_hash_map<std::pair<uint32_t, domain::FlatCell>, int64_t> sums_;
  std::string key_;
};

CepProjection::CepProjection(std::unique_ptr<ActivityCounts> counts, std::string rejected_topic)
    : counts_(std::move(counts)),
      folders_{std::make_unique<CellFolder>(), std::make_unique<CellFolder>()},
      rejected_topic_(std::move(rejected_topic)),
      steering_(std::make_unique<SteeringDelta>()) {}

CepProjection::~CepProjection() = default;

absl::StatusOr<std::unique_ptr<CepProjection>> CepProjection::Create(std::string rejected_topic) {
  auto counts = ActivityCounts::Create();
  if (!counts.ok()) return counts.status();
  if (auto zone = domain::ParisTimeZone(); !zone.ok()) return zone.status();
  return std::unique_ptr<CepProjection>(
      new CepProjection(std::move(*counts), std::move(rejected_topic)));
}

std::vector<store::ColumnFamilyOptions> CepProjection::StateColumnFamilies() const {
  return readmodel::layout::CepFamilies();
}

void CepProjection::Bind(const store::Store& store) { steering_->Bind(&store); }

bool CepProjection::ComparesContent(const v1::Event& event) const {
  return domain::IsActivityEvent(event);
}

absl::Status CepProjection::Fold(const v1::Event& event, const projection::Origin& origin) {
  // Checked first for every event, so that an event refused here changes
  // neither the CEP state nor the activity counts.
  absl::Status s =
      event.has_occurred_at() ? FoldCep(event) : absl::InvalidArgumentError("occurred_at: missing");
  if (absl::IsInvalidArgument(s) || absl::IsFailedPrecondition(s)) {
    // A set of ids, not a counter: the engine does not mark a refused event
    // as seen, so its resends are refused again and must not count twice.
    refused_.insert(Key({event.lot_id(), readmodel::layout::kRefused, event.event_id()}));
    if (on_penalty_conflict_ && SteeringDelta::IsPenaltyConflict(s)) on_penalty_conflict_();
    return s;
  }
  if (!s.ok()) return s;
  return counts_->Fold(event, origin);
}

absl::Status CepProjection::OnConflictingResend(const v1::Event& event, const projection::Origin&) {
  ++conflicting_[Key({event.lot_id(), readmodel::layout::kConflicting, event.event_id()})];
  // The folded copy had a valid occurred_at; this one may not (it differs):
  // then it is counted in the total only.
  if (event.has_occurred_at()) {
    if (auto day = domain::ParisDay(event.occurred_at()); day.ok()) {
      ++conflicting_days_[Key(
          {event.lot_id(), readmodel::layout::kConflictingDay, domain::FormatDay(*day)})];
    }
  }
  return absl::OkStatus();
}

bool CepProjection::FoldsRecords(std::string_view topic) const {
  return !rejected_topic_.empty() && topic == rejected_topic_;
}

absl::Status CepProjection::FoldRecord(std::string_view payload, const projection::Origin&) {
  rejection_.Clear();
  if (!rejection_.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::InvalidArgumentError("payload does not decode as pilotage.v1.Rejection");
  }
  if (rejection_.reason().empty()) return absl::InvalidArgumentError("rejection has no reason");
  if (!rejection_.has_recorded_at()) {
    return absl::InvalidArgumentError("rejection has no recorded_at");
  }
  auto day = domain::ParisDay(rejection_.recorded_at());
  if (!day.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("rejection recorded_at: {}", std::string(day.status().message())));
  }
  ++refusals_[Key({rejection_.lot_id(), domain::FormatDay(*day), rejection_.reason()})];
  return absl::OkStatus();
}

absl::Status CepProjection::FoldCep(const v1::Event& event) {
  if (domain::IsActivityEvent(event)) {
    if (auto s = domain::CheckActivityEvent(event); !s.ok()) return s;
    auto day = domain::ParisDay(event.occurred_at());
    if (!day.ok()) return day.status();
    auto delay = domain::ReportingDelayDays(event);
    if (!delay.ok()) return delay.status();
    if (event.body_case() != v1::Event::kAppointmentMissed) {
      // The event's fact as a Journey record of its own, appended to those
      // of the batch: a serialized protobuf message concatenated with
      // another parses as their merge (repeated fields concatenated).
      fact_.Clear();
      if (auto s = domain::AddToJourney(event, fact_); !s.ok()) return s;
      readmodel::layout::JourneyKey(key_, event.lot_id(), domain::BeneficiaryOf(event));
      fact_.AppendToString(&journeys_[key_]);
    }
    readmodel::layout::ReportingKey(key_, event.lot_id(), *day, *delay);
    ++reporting_[key_];
    if (event.imported()) {
      // The engine folds an event id once: this is the log's first copy.
      ++imported_days_[Key(
          {event.lot_id(), readmodel::layout::kImportedDay, domain::FormatDay(*day)})];
    }
    return absl::OkStatus();
  }
  if (readmodel::IsSteeringEvent(event)) return steering_->Fold(event);
  if (event.has_terms_published()) {
    const auto& terms = event.terms_published().terms();
    if (auto s = domain::ValidateTerms(terms); !s.ok()) return s;
    if (!domain::GovernsLot(terms, event.lot_id())) {
      return absl::InvalidArgumentError(fmt::format(
          "terms_published.terms.lot_ids: version '{}' does not govern lot '{}', the event's key",
          terms.version(), event.lot_id()));
    }
    sv1::TermsRecord record;
    *record.mutable_terms() = terms;
    record.set_occurred_at(event.occurred_at().seconds());
    record.set_event_id(event.event_id());
    auto& slot = terms_[Key({event.lot_id(), readmodel::layout::kTerms, terms.version()})];
    if (slot.event_id().empty() || Later(record, slot)) slot = std::move(record);
    return absl::OkStatus();
  }
  if (event.has_history_imported()) {  // data quality: imported history, apart from live
    const auto& h = event.history_imported();
    imported_[Key({event.lot_id(), readmodel::layout::kImported, event.event_id()})] = h.events();
    for (const auto& d : h.days()) {
      if (auto day = domain::ParseDay(d.day()); !day.ok() || d.events() < 0) {
        return absl::InvalidArgumentError(
            fmt::format("history_imported.days: bad day '{}' or count {}", d.day(), d.events()));
      }
      imported_[Key({event.lot_id(), readmodel::layout::kImportedLines, d.day(),
                     event.event_id()})] = d.events();
    }
    return absl::OkStatus();
  }
  if (event.has_lot_awarded()) {
    if (auto day = domain::ParseDay(event.lot_awarded().start_date()); !day.ok()) {
      return absl::InvalidArgumentError(
          fmt::format("lot_awarded.start_date: {}", std::string(day.status().message())));
    }
    sv1::LotRecord record;
    *record.mutable_lot() = event.lot_awarded();
    record.set_occurred_at(event.occurred_at().seconds());
    record.set_event_id(event.event_id());
    auto& slot = awards_[Key({event.lot_id(), readmodel::layout::kAward})];
    if (slot.event_id().empty() || Later(record, slot)) slot = std::move(record);
  }
  return absl::OkStatus();
}

absl::Status CepProjection::Flush(const store::Store& store, store::WriteBatch& batch) {
  if (auto s = FlushJourneys(store, batch); !s.ok()) return s;
  for (const auto& [key, n] : reporting_) {
    if (auto s = AddCount(store, batch, kReporting, key, n); !s.ok()) return s;
  }
  for (const auto& key : refused_) batch.Put(kQuality, key, "");
  for (const auto& [key, n] : imported_) batch.Put(kQuality, key, store::EncodeFixed64(n));
  for (const auto& [key, n] : imported_days_) {
    if (auto s = AddCount(store, batch, kQuality, key, n); !s.ok()) return s;
  }
  for (const auto& [key, n] : conflicting_) {
    if (auto s = AddCount(store, batch, kQuality, key, n); !s.ok()) return s;
  }
  for (const auto& [key, n] : conflicting_days_) {
    if (auto s = AddCount(store, batch, kQuality, key, n); !s.ok()) return s;
  }
  for (const auto& [key, n] : refusals_) {
    if (auto s = AddCount(store, batch, kRefusals, key, n); !s.ok()) return s;
  }
  for (const auto& [key, record] : terms_) {
    if (auto s = KeepLatest(store, batch, key, record); !s.ok()) return s;
  }
  for (const auto& [key, record] : awards_) {
    if (auto s = KeepLatest(store, batch, key, record); !s.ok()) return s;
  }
  if (auto s = steering_->Flush(store, kContract, batch); !s.ok()) return s;
  if (auto s = counts_->Flush(store, batch); !s.ok()) return s;
  Discard();
  return absl::OkStatus();
}

absl::Status CepProjection::FlushJourneys(const store::Store& store, store::WriteBatch& batch) {
  // In key order: RocksDB's MultiGet and memtable inserts go faster on keys
  // in order (the skiplist keeps the last insert position), while keys in
  // hash order each cost a full search of a large memtable.
  std::vector<const CellFolder::Entry*> sorted;
  sorted.reserve(journeys_.size());
  for (const auto& entry : journeys_) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  if (defer_cells_) {
    // A rebuild's fold (decision 0048): the facts appended, nothing read;
    // WriteCellsOfJourneys computes the cells from the final journeys.
    for (const auto* entry : sorted) batch.Append(kJourneys, entry->first, entry->second);
    return absl::OkStatus();
  }
  // Since every touched journey is read anyway, it is written back whole:
  // a later read stops at the first value found instead of collecting
  // appended operands across memtables and levels (decision 0034).
  // The second half is computed on a thread of its own while this one does
  // the first: Flush runs after the previous batch's write, so this work
  // would otherwise leave the second core idle. For a live batch's few
  // journeys (split_above_), starting the thread costs more than it saves.
  const std::span<const CellFolder::Entry* const> all(sorted);
  const size_t half = sorted.size() > split_above_ ? sorted.size() / 2 : sorted.size();
  CellFolder& first = *folders_[0];
  CellFolder& second = *folders_[1];
  absl::Status second_status;
  std::thread worker;
  if (half < sorted.size()) {
    worker = std::thread([&] { second_status = second.Run(store, all.subspan(half)); });
  }
  const absl::Status first_status = first.Run(store, all.first(half));
  if (worker.joinable()) worker.join();
  if (!first_status.ok()) return first_status;
  if (!second_status.ok()) return second_status;
  for (size_t i = 0; i < sorted.size(); ++i) {
    batch.Put(kJourneys, sorted[i]->first, i < half ? first.merged[i] : second.merged[i - half]);
  }
  // The two halves' sums of a cell added (addition commutes: the same
  // deltas whatever the split), then written as deltas the store sums
  // without a read (one Get per cell cost more than the whole fold of main
  // before the cells), in key order as above.
  std::vector<std::pair<std::string_view, int64_t>> cells;
  cells.reserve(first.cells.size() + second.cells.size());
  for (const auto* half_cells : {&first.cells, &second.cells}) {
    for (const auto& [key, n] : *half_cells) cells.emplace_back(key, n);
  }
  std::sort(cells.begin(), cells.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < cells.size();) {
    int64_t n = 0;
    size_t j = i;
    for (; j < cells.size() && cells[j].first == cells[i].first; ++j) n += cells[j].second;
    if (n != 0) batch.Add(readmodel::layout::kKpiCells, cells[i].first, n);
    i = j;
  }
  return absl::OkStatus();
}

std::optional<std::string> CepProjection::DigestForm(std::string_view family,
                                                     std::string_view value) const {
  if (family == readmodel::layout::kKpiCells) {
    // A cell summed back to 0 is stored by some batchings and never written
    // by others: the same state.
    if (value.size() == 8 && store::ReadFixed64(value.data()) == 0) return std::nullopt;
    return std::string(value);
  }
  if (family != kJourneys) return std::string(value);
  sv1::Journey journey;
  if (!journey.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return std::string(value);
  }
  domain::NormalizeJourney(journey);
  return journey.SerializeAsString();
}

void CepProjection::Discard() {
  journeys_.clear();
  folders_[0]->Clear();
  folders_[1]->Clear();
  reporting_.clear();
  refused_.clear();
  imported_.clear();
  imported_days_.clear();
  conflicting_.clear();
  conflicting_days_.clear();
  refusals_.clear();
  terms_.clear();
  awards_.clear();
  steering_->Clear();
  counts_->Discard();
}

absl::StatusOr<CellsWritten> WriteCellsOfJourneys(
    store::Store& store, const std::function<void(int64_t journeys)>& progress) {
  namespace layout = readmodel::layout;
  bool has_cells = false;
  if (auto s = store.ForEach(layout::kKpiCells, "",
                             [&](std::string_view, std::string_view) {
                               has_cells = true;
                               return false;
                             });
      !s.ok()) {
    return s;
  }
  if (has_cells) {
    return absl::FailedPreconditionError(fmt::format(
        "{} already holds KPI cells: the cells of journeys are computed once, into a store "
        "whose fold deferred them (a rebuild's new store)",
        store.path()));
  }
  CellsWritten written;
  domain::ContributionFolder folder;
  sv1::Journey empty;
  sv1::Journey stored;
  // One lot's cells at a time: the journeys come in key order, a lot's
  // journeys one after the other.
  absl::flat_hash_map<domain::FlatCell, int64_t> sums;
  std::string lot;
  bool in_lot = false;
  std::vector<std::pair<std::string, int64_t>> cells;
  store::WriteBatch batch = store.NewWriteBatch();
  auto write_lot = [&]() -> absl::Status {
    cells.clear();
    for (const auto& [cell, n] : sums) {
      if (n == 0) continue;
      cells.emplace_back();
      layout::KpiCellKey(cells.back().first, lot, folder.ToKpiCell(cell));
      cells.back().second = n;
    }
    sums.clear();
    // The départements' numbers are the folder's: forgotten once the lot's
    // cells have their text form.
    folder.Clear();
    // In key order: memtable inserts go faster (the skiplist keeps the last
    // insert position).
    std::sort(cells.begin(), cells.end());
    for (const auto& [key, n] : cells) {
      // A Put, not an Add: the store holds no cell (checked above), and a
      // value needs no merge when read.
      batch.Put(layout::kKpiCells, key, store::EncodeFixed64(n));
      ++written.cells;
      if (batch.ApproximateBytes() >= (8u << 20)) {
        if (auto s = store.Write(batch); !s.ok()) return s;
        batch.Clear();
      }
    }
    return absl::OkStatus();
  };
  absl::Status failed;
  absl::Status read =
      store.ForEach(layout::kJourneys, "", [&](std::string_view key, std::string_view value) {
        if (const std::string_view of = layout::LotOf(key); !in_lot || of != lot) {
          if (in_lot) failed = write_lot();
          if (!failed.ok()) return false;
          lot.assign(of);
          in_lot = true;
        }
        // The records appended batch after batch parse as their union.
        if (!stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          failed = absl::DataLossError(
              fmt::format("cannot parse the stored journey '{}' of lot '{}'",
                          absl::CEscape(absl::string_view(key.data() + lot.size() + 1,
                                                          key.size() - lot.size() - 1)),
                          lot));
          return false;
        }
        // From no facts to all of them: the change is the whole contribution.
        empty.Clear();
        folder.AddFacts(empty, stored);
        for (const auto& [cell, n] : folder.deltas()) sums[cell] += n;
        ++written.journeys;
        if (progress && written.journeys % 10000 == 0) progress(written.journeys);
        return true;
      });
  if (!read.ok()) return read;
  if (!failed.ok()) return failed;
  if (in_lot) {
    if (auto s = write_lot(); !s.ok()) return s;
  }
  if (batch.Count() > 0) {
    if (auto s = store.Write(batch); !s.ok()) return s;
  }
  if (progress) progress(written.journeys);
  return written;
}

}  // namespace pilotage::projector
