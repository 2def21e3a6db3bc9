#pragma once
// The CEP read models, pure and I/O-free: folding activity events into a
// beneficiary's journey, and evaluating a lot's KPIs for a period from the
// journeys, the reporting delays and the contract terms.
//
// Event time and arrival order. A journey is a set of facts (requests,
// appointments, deliverables, closures, surveys), each with the Paris day it
// happened and the instant it was recorded; AddToJourney keeps each list
// sorted by (day, event_id) without duplicate ids, so a journey is the same
// whatever order its events were added in. Every KPI is computed from these
// sets when it is read: results depend on when things happened, never on
// when they arrived.
//
// Successive journeys. The facts of a (lot, pseudonym) are kept together
// (one stored Journey) and split into the beneficiary's successive journeys
// when read, on the facts known (recorded before the closing instant, below):
// requests and closures are taken in (day, requests before closures,
// event_id) order; a request that comes after a closure opens a new journey;
// otherwise a request belongs to the open journey (a repeat changes nothing)
// and a closure closes it (a further closure with no request between is
// ignored). A closure known before any request closes a journey with no
// request. Each appointment and deliverable belongs to the journey whose
// span holds its day: journey k > 1 runs from its request's day to the day
// before journey k + 1's request (the first one from the beginning). The
// split depends only on the facts' days and ids, never on arrival order, so
// a new request recorded before the previous closure gives, once both are
// known, the same journeys as in the other order.
// Per journey: its first appointment (first appointment delay from its own
// request), level 2 and action plan reached (formalised outcomes), its
// closure (formalised outcomes, referral shares, closure counters). New
// beneficiaries and priority publics count a person once, at the first
// request ever known in the lot (decision 0021, docs/kpis.md).
//
// Closing. A period P closes on P.ClosingDay(grace) (the terms'
// delays.closing_grace_days). P is evaluated on the facts recorded BEFORE its
// closing day (Europe/Paris): the journeys "as known at closing". A fact
// recorded on or after the closing day is kept (it counts for later periods
// and for data quality, where it is flagged late) but never changes P's
// results. For a period still open this is every fact recorded so far.
//
// Thread-safety: every function is pure; call them from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/kpi.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/terms.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::domain {

// Whether `event` is an activity event about a beneficiary (request,
// appointment held or missed, deliverable, closure, survey).
bool IsActivityEvent(const pilotage::v1::Event& event);

// The beneficiary pseudonym of an activity event ("" for other events).
std::string_view BeneficiaryOf(const pilotage::v1::Event& event);

// Checks what the read models need of an activity event: event_id,
// occurred_at, recorded_at and a beneficiary pseudonym. kInvalidArgument
// naming the missing field.
[[nodiscard]] absl::Status CheckActivityEvent(const pilotage::v1::Event& event);

// Adds the fact of `event` (checked as above) to `journey`. An event id
// already present changes nothing; AppointmentMissed adds no fact.
[[nodiscard]] absl::Status AddToJourney(const pilotage::v1::Event& event,
                                        pilotage::store::v1::Journey& journey);

// Makes `journey` what AddToJourney would have made of the same facts added
// in the order they appear in each list: sorted by (day, event_id), the first
// fact of each event id kept. A journey parsed from concatenated Journey
// records (the cep projection appends one per batch, decision 0016) is thus
// read as their union. A journey already in that form is left unchanged.
void NormalizeJourney(pilotage::store::v1::Journey& journey);

// Calendar days between the Paris day an activity event occurred and the
// Paris day it was recorded (0 when recorded first, a clock skew).
[[nodiscard]] absl::StatusOr<int> ReportingDelayDays(const pilotage::v1::Event& event);

// Activity events of a lot that occurred on `day` and were recorded
// `delay_days` later: the input of reporting timeliness and data quality.
struct ReportingCell {
  absl::CivilDay day;
  int delay_days = 0;
  int64_t count = 0;
};

// Everything stored for one lot.
struct LotFacts {
  std::string lot_id;
  std::vector<pilotage::store::v1::Journey> journeys;
  std::vector<ReportingCell> reporting;
  // The lot's award (départements, start date), if published.
  std::optional<pilotage::v1::LotAwarded> award;
  // Events of the lot the projection refused (sent to dead letters).
  int64_t refused = 0;
  // Copies of an event id already folded that came with other content (sent
  // to dead letters, decision 0036), all periods.
  int64_t conflicting_resends = 0;
  // The same, by Paris day of the copy's occurred_at (counted from decision
  // 0045 on: a store folded before has them in the total only).
  std::map<absl::CivilDay, int64_t> conflicting_resends_by_day;
  // Refusals of the ingest gateway naming the lot, by Paris day of refusal
  // and intake code (e.g. "PERSONAL_DATA"), decision 0045.
  std::map<absl::CivilDay, std::map<std::string, int64_t>> gateway_refusals_by_day;
  // Events of the lot written by historical imports (HistoryImported), all periods.
  int64_t imported = 0;
  // Distinct activity events whose first copy in the log came from a
  // historical import (marked `imported`), by day of occurrence.
  std::map<absl::CivilDay, int64_t> imported_events_by_day;
  // Events written by historical imports, by day of occurrence, each import
  // (HistoryImported) counted once, duplicates of events already in the log
  // included.
  std::map<absl::CivilDay, int64_t> imported_lines_by_day;
};

// Data quality of a lot for a period.
struct DataQuality {
  // Activity events that occurred in the period.
  int64_t events = 0;
  // Of those, recorded on or after the period's closing day: kept, flagged
  // late, left out of the period's KPIs.
  int64_t late = 0;
  // Reporting delay distribution of `events`, by bucket:
  // "0-1", "2-5", "6-15", "16-30", "31+" (calendar days).
  std::map<std::string, int64_t> timeliness;
  // Events of the lot refused by the projection (all periods).
  int64_t refused = 0;
  // Resends of an event id already folded with other content, dead-lettered
  // (all periods): "renvois contradictoires".
  int64_t conflicting_resends = 0;
  // Of those, the copies whose occurred_at falls in the period.
  int64_t conflicting_resends_in_period = 0;
  // Refusals of the ingest gateway naming the lot on the period's days, by
  // intake code (decision 0045).
  std::map<std::string, int64_t> gateway_refusals;
  // Of `events`, those loaded from files by historical imports rather than
  // reported live: distinct events whose first copy in the log was imported.
  int64_t imported = 0;
  // Events of the period an import wrote again although the log already had
  // them (sent live or by an earlier import): lines written minus `imported`,
  // never below 0 (an import's record folded before its events).
  int64_t imported_duplicates = 0;
};

// A lot's KPI results for a period, as known on its closing day.
struct LotEvaluation {
  std::string lot_id;
  Period period;
  // The terms that govern the period (a copy).
  pilotage::v1::ContractTerms terms;
  absl::CivilDay closing_day;
  std::vector<KpiResult> kpis;
  DataQuality quality;
};

// Counts what the KPI `kpi` observes for `period` in `facts`, known before
// `closing_day`. For NEW_BENEFICIARIES only the numerator is set.
// NEW_BENEFICIARIES and PRIORITY_PUBLICS_SHARE: beneficiaries whose first
// request ever falls in the period; FIRST_APPOINTMENT_WITHIN_DELAY: journeys
// whose opening request falls in it (a returning beneficiary's too);
// FORMALISED_OUTCOMES, REFERRAL_SHARE: journeys closed in it.
KpiObservation Observe(const pilotage::v1::KpiDefinition& kpi, const LotFacts& facts,
                       const Period& period, absl::CivilDay closing_day);

// Evaluates every KPI of the terms governing `facts.lot_id` for `period`.
// kNotFound when no terms govern it.
[[nodiscard]] absl::StatusOr<LotEvaluation> EvaluateLot(const LotFacts& facts,
                                                        const TermsHistory& terms,
                                                        const Period& period);

// The national view: per KPI of the first evaluation's terms, numerators and
// samples summed over the lots; the target is the terms' default target for
// a share, and the sum of the lots' (pro-rated) targets and margins for
// NEW_BENEFICIARIES. Data quality is summed too. lot_id is "national".
[[nodiscard]] absl::StatusOr<LotEvaluation> EvaluateNational(const std::vector<LotEvaluation>& lots,
                                                             const Period& period);

// Counters by month x metric x dimension for a lot, on every fact known:
// (month "YYYY-MM", metric, dimension "name=VALUE") -> count. Metrics:
// new_beneficiaries (first request ever; age_band, sex, qualification,
// status, company_size, channel), appointments (level, modality, kind),
// closures (of every journey; outcome, referral), surveys (wave). Each
// metric also has dimension "all".
using CounterKey = std::tuple<std::string, std::string, std::string>;
std::map<CounterKey, int64_t> CountActivity(const LotFacts& facts, const Period& period);

}  // namespace pilotage::domain
