#pragma once
// Typed reading of a lot's CEP read models (layout.h): its journeys,
// reporting cells, award, terms versions and data-quality counts.
//
// Every function reads `store` as given: the caller passes one consistent
// view (a ReadStore, open.h) and reads everything a page needs from it.
// kDataLoss when a stored record or key does not parse.
// Thread-safety: pure functions of the store; safe from any thread.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/store/store.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::readmodel {

// What a reader sees of one lot.
struct LotReadModel {
  domain::LotFacts facts;
  // Every terms version stored for the lot, by version string.
  std::vector<v1::ContractTerms> terms;
};

// The lots that have any state in `store`, sorted.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ListLots(const store::Store& store);

struct ReadLotOptions {
  // Whether to read the lot's journeys (facts.journeys). KPI evaluations and
  // activity counters read the KPI cells instead (kpis.h): leave it false
  // for them, so that memory does not grow with the number of journeys.
  bool journeys = true;
};

// Everything stored for `lot_id` (empty facts when none), its journeys only
// when options.journeys.
[[nodiscard]] absl::StatusOr<LotReadModel> ReadLot(const store::Store& store,
                                                   std::string_view lot_id,
                                                   ReadLotOptions options = {});

// The ingest gateway's refusals stored for `lot_id` (cep_refusals, decision
// 0045), by Paris day of refusal and intake code; `lot_id` empty: those
// naming no lot. Errors: the store's, kDataLoss for a bad key or count.
[[nodiscard]] absl::StatusOr<std::map<absl::CivilDay, std::map<std::string, int64_t>>>
ReadGatewayRefusals(const store::Store& store, std::string_view lot_id);

// A TermsHistory of `terms`; versions refused by TermsHistory::Add (e.g.
// overlapping another) are left out and their errors appended to `problems`
// (may be null).
domain::TermsHistory HistoryOf(const std::vector<v1::ContractTerms>& terms,
                               std::vector<std::string>* problems);

}  // namespace pilotage::readmodel
