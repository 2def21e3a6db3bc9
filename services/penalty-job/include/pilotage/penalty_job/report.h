#pragma once
// The penalty job's report: the same content as JSON (--report FILE, English
// keys, raw integers in euro cents) and as French text for pilots (stdout).
//
// A pure function of the plans and the store's positions: no clock, no
// ledger state that the job's own emission changes (whether a proposal was
// sent by this run or an earlier one is said on stderr, not here), lots
// sorted by id, proposals in the terms' rule order (actions by id). So a rerun
// on the same store writes the same bytes. Once the projector folded what a
// run sent, the period is priced (decision 0027): a rerun reports the
// ledger's proposals and actions, the same ones, and says so.
//
// Traceability: each breach names its KPI, the period, the closing day, the
// counters it was computed from (numerator and sample with what they count)
// and the `pilotagectl counters` command showing them; each proposal names
// its rule, KPI, terms version, inputs, formula and the limit applied.

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "pilotage/domain/period.h"
#include "pilotage/penalty_job/plan.h"

namespace pilotage::penalty_job {

using Json = nlohmann::ordered_json;

// `mode`: "run" or "dry-run". `input_offsets`: where the store read stood
// (printed as "Données lues"); each proposal prints its own provenance (the
// offsets and terms version it was computed on: for a period priced already,
// those recorded in the ledger then).
Json ReportJson(const domain::Period& period, const std::string& mode,
                const std::vector<LotPlan>& plans,
                const std::vector<pilotage::v1::SourceOffset>& input_offsets = {});

// The French text of a ReportJson.
std::string RenderReport(const Json& report);

// --what-if: per lot, each proposal's amount under the terms in force and
// under the draft (matched by rule and action; null when absent on a side),
// the KPIs breached on each side, and the totals.
Json WhatIfJson(const domain::Period& period, const std::string& draft_version,
                const std::vector<LotPlan>& in_force, const std::vector<LotPlan>& draft);

// The French text of a WhatIfJson.
std::string RenderWhatIf(const Json& what_if);

// "1 234,56 €" (domain::FrenchEuros), or "—" for null.
std::string EurosOrDash(const Json& cents);

}  // namespace pilotage::penalty_job
