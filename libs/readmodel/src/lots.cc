#include "pilotage/readmodel/lots.h"

#include <set>

#include "absl/functional/function_ref.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/readmodel/layout.h"
#include "pilotage/store/coding.h"
#include "pilotage/store/v1/readmodel.pb.h"

namespace pilotage::readmodel {
namespace {

namespace sv1 = ::pilotage::store::v1;
using layout::Key;
using layout::Parts;

// Calls `visit` with each stored journey of `lot_id`, normalized.
// kDataLoss when one does not parse.
absl::Status ForEachJourney(const store::Store& store, std::string_view lot_id,
                            absl::FunctionRef<void(sv1::Journey&)> visit) {
  absl::Status bad;
  sv1::Journey j;
  absl::Status s = store.ForEach(layout::kJourneys, Key({lot_id, ""}),
                                 [&](std::string_view, std::string_view v) {
                                   j.Clear();
                                   if (!j.ParseFromArray(v.data(), static_cast<int>(v.size()))) {
                                     bad = absl::DataLossError("cannot parse a stored journey");
                                     return false;
                                   }
                                   domain::NormalizeJourney(j);
                                   visit(j);
                                   return true;
                                 });
  return s.ok() ? bad : s;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ListLots(const store::Store& store) {
  std::set<std::string> lots;
  // A lot with journeys has reporting cells, which are far fewer (one per
  // day and delay): no need to visit the journeys.
  for (auto family : {layout::kContract, layout::kReporting, layout::kQuality}) {
    absl::Status s = store.ForEach(family, "", [&](std::string_view key, std::string_view) {
      lots.insert(std::string(layout::LotOf(key)));
      return true;
    });
    if (!s.ok()) return s;
  }
  return std::vector<std::string>(lots.begin(), lots.end());
}

absl::StatusOr<LotReadModel> ReadLot(const store::Store& store, std::string_view lot_id,
                                     ReadLotOptions options) {
  LotReadModel out;
  out.facts.lot_id = std::string(lot_id);
  const std::string prefix = Key({lot_id, ""});
  absl::Status bad;
  absl::Status s;
  if (options.journeys) {
    s = ForEachJourney(store, lot_id,
                       [&](sv1::Journey& j) { out.facts.journeys.push_back(std::move(j)); });
  }
  if (!s.ok()) return s;
  s = store.ForEach(layout::kReporting, prefix, [&](std::string_view key, std::string_view v) {
    auto parts = Parts(key);
    auto day = parts.size() == 3 ? domain::ParseDay(parts[1])
                                 : absl::StatusOr<absl::CivilDay>(absl::DataLossError("bad key"));
    auto count = store::DecodeFixed64(v, "cep count");
    if (!day.ok() || !count.ok()) {
      bad = absl::DataLossError("bad reporting cell in the store");
      return false;
    }
    out.facts.reporting.push_back(
        {.day = *day, .delay_days = std::stoi(std::string(parts[2])), .count = *count});
    return true;
  });
  if (!s.ok()) return s;
  s = store.ForEach(layout::kContract, prefix, [&](std::string_view key, std::string_view v) {
    auto parts = Parts(key);
    if (parts.size() >= 2 && parts[1] == layout::kAward) {
      sv1::LotRecord r;
      if (!r.ParseFromString(std::string(v))) {
        bad = absl::DataLossError("cannot parse a stored award");
        return false;
      }
      out.facts.award = r.lot();
    } else if (parts.size() == 3 && parts[1] == layout::kTerms) {
      sv1::TermsRecord r;
      if (!r.ParseFromString(std::string(v))) {
        bad = absl::DataLossError("cannot parse stored terms");
        return false;
      }
      out.terms.push_back(r.terms());
    }
    return true;
  });
  if (!s.ok()) return s;
  s = store.ForEach(layout::kQuality, Key({lot_id, layout::kRefused, ""}),
                    [&](std::string_view, std::string_view) {
                      ++out.facts.refused;
                      return true;
                    });
  if (!s.ok()) return s;
  // Counts of one kind summed over the lot's keys.
  const auto sum = [&](std::string_view kind, std::string_view what, int64_t& into) {
    return store.ForEach(layout::kQuality, Key({lot_id, kind, ""}),
                         [&](std::string_view, std::string_view v) {
                           auto n = store::DecodeFixed64(v, what);
                           if (!n.ok()) {
                             bad = n.status();
                             return false;
                           }
                           into += *n;
                           return true;
                         });
  };
  s = sum(layout::kConflicting, "cep conflicting resends", out.facts.conflicting_resends);
  if (!s.ok()) return s;
  s = sum(layout::kImported, "cep imported count", out.facts.imported);
  if (!s.ok()) return s;
  auto refusals = ReadGatewayRefusals(store, lot_id);
  if (!refusals.ok()) return refusals.status();
  out.facts.gateway_refusals_by_day = std::move(*refusals);
  // Per day: distinct imported events folded, lines written by imports, and
  // conflicting resends.
  for (auto kind : {layout::kImportedDay, layout::kImportedLines, layout::kConflictingDay}) {
    s = store.ForEach(
        layout::kQuality, Key({lot_id, kind, ""}), [&](std::string_view key, std::string_view v) {
          auto parts = Parts(key);
          auto day = parts.size() >= 3
                         ? domain::ParseDay(parts[2])
                         : absl::StatusOr<absl::CivilDay>(absl::DataLossError("bad key"));
          auto n = store::DecodeFixed64(v, "cep imported count");
          if (!day.ok() || !n.ok()) {
            bad = absl::DataLossError(fmt::format("bad {} count in the store", kind));
            return false;
          }
          auto& by_day = kind == layout::kImportedDay     ? out.facts.imported_events_by_day
                         : kind == layout::kImportedLines ? out.facts.imported_lines_by_day
                                                          : out.facts.conflicting_resends_by_day;
          by_day[*day] += *n;
          return true;
        });
    if (!s.ok()) return s;
  }
  if (!bad.ok()) return bad;
  return out;
}

absl::StatusOr<std::map<absl::CivilDay, std::map<std::string, int64_t>>> ReadGatewayRefusals(
    const store::Store& store, std::string_view lot_id) {
  std::map<absl::CivilDay, std::map<std::string, int64_t>> out;
  absl::Status bad;
  absl::Status s = store.ForEach(
      layout::kRefusals, Key({lot_id, ""}), [&](std::string_view key, std::string_view v) {
        auto parts = Parts(key);
        auto day = parts.size() == 3
                       ? domain::ParseDay(parts[1])
                       : absl::StatusOr<absl::CivilDay>(absl::DataLossError("bad key"));
        auto n = store::DecodeFixed64(v, "cep refusal count");
        if (!day.ok() || !n.ok()) {
          bad = absl::DataLossError("bad gateway refusal count in the store");
          return false;
        }
        out[*day][std::string(parts[2])] += *n;
        return true;
      });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return out;
}

domain::TermsHistory HistoryOf(const std::vector<v1::ContractTerms>& terms,
                               std::vector<std::string>* problems) {
  domain::TermsHistory history;
  for (const auto& t : terms) {
    if (auto s = history.Add(t); !s.ok() && problems) problems->push_back(s.ToString());
  }
  return history;
}

}  // namespace pilotage::readmodel
