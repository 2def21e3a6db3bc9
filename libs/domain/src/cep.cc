#include "pilotage/domain/cep.h"

#include <algorithm>
#include <limits>
#include <set>
#include <vector>

#include "absl/functional/function_ref.h"
#include "fmt/format.h"
#include "known_journey.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;
namespace sv1 = ::pilotage::store::v1;

using internal::ClosingInstant;
using internal::DayOf;
using internal::IsPriority;
using internal::KnownJourney;
using internal::SplitKnown;

// Inserts `fact` into `list` kept sorted by (day, event_id), unless its id is
// already there.
template <typename List, typename Fact>
void InsertFact(List& list, Fact fact) {
  for (const auto& f : list) {
    if (f.event_id() == fact.event_id()) return;
  }
  auto less = [](const Fact& a, const Fact& b) {
    return std::tie(a.day(), a.event_id()) < std::tie(b.day(), b.event_id());
  };
  const auto index = std::upper_bound(list.begin(), list.end(), fact, less) - list.begin();
  *list.Add() = std::move(fact);  // may reallocate: rotate by index
  std::rotate(list.begin() + index, list.end() - 1, list.end());
}

// NormalizeJourney for one list: the same list as inserting its facts one by
// one, in order, with InsertFact.
template <typename Fact>
void NormalizeFacts(google::protobuf::RepeatedPtrField<Fact>& list) {
  auto less = [](const Fact& a, const Fact& b) {
    return std::tie(a.day(), a.event_id()) < std::tie(b.day(), b.event_id());
  };
  bool canonical = true;
  for (int i = 1; i < list.size() && canonical; ++i) {
    if (!less(list[i - 1], list[i])) canonical = false;
    for (int j = 0; j < i && canonical; ++j) {
      if (list[j].event_id() == list[i].event_id()) canonical = false;
    }
  }
  if (canonical) return;
  std::vector<Fact> facts;
  facts.reserve(list.size());
  for (auto& f : list) facts.push_back(std::move(f));
  list.Clear();
  for (auto& f : facts) InsertFact(list, std::move(f));
}

template <typename Fact>
void Stamp(const v1::Event& event, absl::CivilDay day, Fact* fact) {
  fact->set_event_id(event.event_id());
  fact->set_day(FormatDay(day));
  fact->set_recorded_at(event.recorded_at().seconds());
}

std::string Bucket(int delay) {
  if (delay <= 1) return "0-1";
  if (delay <= 5) return "2-5";
  if (delay <= 15) return "6-15";
  if (delay <= 30) return "16-30";
  return "31+";
}

}  // namespace

bool IsActivityEvent(const v1::Event& event) {
  switch (event.body_case()) {
    case v1::Event::kRequestReceived:
    case v1::Event::kAppointmentHeld:
    case v1::Event::kAppointmentMissed:
    case v1::Event::kDeliverableIssued:
    case v1::Event::kJourneyClosed:
    case v1::Event::kSurveyAnswered:
      return true;
    default:
      return false;
  }
}

std::string_view BeneficiaryOf(const v1::Event& event) {
  switch (event.body_case()) {
    case v1::Event::kRequestReceived:
      return event.request_received().beneficiary();
    case v1::Event::kAppointmentHeld:
      return event.appointment_held().beneficiary();
    case v1::Event::kAppointmentMissed:
      return event.appointment_missed().beneficiary();
    case v1::Event::kDeliverableIssued:
      return event.deliverable_issued().beneficiary();
    case v1::Event::kJourneyClosed:
      return event.journey_closed().beneficiary();
    case v1::Event::kSurveyAnswered:
      return event.survey_answered().beneficiary();
    default:
      return "";
  }
}

absl::Status CheckActivityEvent(const v1::Event& event) {
  if (event.event_id().empty()) return absl::InvalidArgumentError("event_id: missing");
  if (!event.has_occurred_at()) return absl::InvalidArgumentError("occurred_at: missing");
  if (!event.has_recorded_at()) return absl::InvalidArgumentError("recorded_at: missing");
  if (!IsActivityEvent(event)) {
    return absl::InvalidArgumentError("body: not an activity event");
  }
  if (BeneficiaryOf(event).empty()) {
    const auto* field = v1::Event::descriptor()->FindFieldByNumber(event.body_case());
    return absl::InvalidArgumentError(fmt::format("{}.beneficiary: missing", field->name()));
  }
  return absl::OkStatus();
}

absl::Status AddToJourney(const v1::Event& event, sv1::Journey& journey) {
  if (auto s = CheckActivityEvent(event); !s.ok()) return s;
  auto day = ParisDay(event.occurred_at());
  if (!day.ok()) return day.status();
  switch (event.body_case()) {
    case v1::Event::kRequestReceived: {
      sv1::RequestFact f;
      Stamp(event, *day, &f);
      f.set_channel(event.request_received().channel());
      *f.mutable_profile() = event.request_received().profile();
      InsertFact(*journey.mutable_requests(), std::move(f));
      break;
    }
    case v1::Event::kAppointmentHeld: {
      const auto& b = event.appointment_held();
      sv1::AppointmentFact f;
      Stamp(event, *day, &f);
      f.set_appointment_id(b.appointment_id());
      f.set_level(b.level());
      f.set_modality(b.modality());
      f.set_kind(b.kind());
      f.set_departement(b.departement());
      InsertFact(*journey.mutable_appointments(), std::move(f));
      break;
    }
    case v1::Event::kDeliverableIssued: {
      sv1::DeliverableFact f;
      Stamp(event, *day, &f);
      f.set_type(event.deliverable_issued().type());
      InsertFact(*journey.mutable_deliverables(), std::move(f));
      break;
    }
    case v1::Event::kJourneyClosed: {
      sv1::ClosureFact f;
      Stamp(event, *day, &f);
      f.set_outcome(event.journey_closed().outcome());
      f.set_referred_to(event.journey_closed().referred_to());
      InsertFact(*journey.mutable_closures(), std::move(f));
      break;
    }
    case v1::Event::kSurveyAnswered: {
      const auto& b = event.survey_answered();
      sv1::SurveyFact f;
      Stamp(event, *day, &f);
      f.set_wave(b.wave());
      f.set_satisfaction(b.satisfaction());
      f.set_useful(b.useful());
      f.set_situation_improved(b.situation_improved());
      InsertFact(*journey.mutable_surveys(), std::move(f));
      break;
    }
    default:
      break;  // AppointmentMissed: counted in reporting only
  }
  return absl::OkStatus();
}

void NormalizeJourney(sv1::Journey& journey) {
  NormalizeFacts(*journey.mutable_requests());
  NormalizeFacts(*journey.mutable_appointments());
  NormalizeFacts(*journey.mutable_deliverables());
  NormalizeFacts(*journey.mutable_closures());
  NormalizeFacts(*journey.mutable_surveys());
}

absl::StatusOr<int> ReportingDelayDays(const v1::Event& event) {
  auto occurred = ParisDay(event.occurred_at());
  if (!occurred.ok()) return occurred.status();
  auto recorded = ParisDay(event.recorded_at());
  if (!recorded.ok()) return recorded.status();
  return static_cast<int>(std::max<int64_t>(0, *recorded - *occurred));
}

KpiObservation Observe(const v1::KpiDefinition& kpi, const LotFacts& facts, const Period& period,
                       absl::CivilDay closing_day) {
  const int64_t before = ClosingInstant(closing_day);
  KpiObservation o;
  auto in = [&](const std::string& day) { return period.Contains(DayOf(day)); };
  switch (kpi.formula()) {
    case v1::KpiFormula::NEW_BENEFICIARIES:
    case v1::KpiFormula::PRIORITY_PUBLICS_SHARE:
    case v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY:
      for (const auto& j : facts.journeys) {
        for (const KnownJourney& k : SplitKnown(j, before)) {
          if (k.request == nullptr) continue;
          const absl::CivilDay requested = DayOf(k.request->day());
          if (!period.Contains(requested)) continue;
          if (kpi.formula() == v1::KpiFormula::NEW_BENEFICIARIES) {
            if (k.first_ever) ++o.numerator;
          } else if (kpi.formula() == v1::KpiFormula::PRIORITY_PUBLICS_SHARE) {
            if (!k.first_ever) continue;
            ++o.denominator;
            if (IsPriority(kpi, k.request->profile())) ++o.numerator;
          } else if (k.first_appointment) {
            ++o.denominator;
            if (WorkingDaysBetween(requested, *k.first_appointment) <= kpi.delay_working_days()) {
              ++o.numerator;
            }
          } else if (AddWorkingDays(requested, kpi.delay_working_days()) < closing_day) {
            ++o.denominator;  // no appointment and the delay ran out before closing: a miss
          }
        }
      }
      break;
    case v1::KpiFormula::END_OF_SERVICE_SATISFACTION:
    case v1::KpiFormula::SIX_MONTH_USEFULNESS: {
      const bool end = kpi.formula() == v1::KpiFormula::END_OF_SERVICE_SATISFACTION;
      for (const auto& j : facts.journeys) {
        for (const auto& s : j.surveys()) {
          if (s.recorded_at() >= before || !in(s.day())) continue;
          if (s.wave() != (end ? v1::SurveyWave::END_OF_SERVICE : v1::SurveyWave::SIX_MONTHS)) {
            continue;
          }
          ++o.denominator;
          if (end ? s.satisfaction() >= kpi.min_score() : s.useful()) ++o.numerator;
        }
      }
      break;
    }
    case v1::KpiFormula::FORMALISED_OUTCOMES:
    case v1::KpiFormula::REFERRAL_SHARE:
      for (const auto& j : facts.journeys) {
        for (const KnownJourney& k : SplitKnown(j, before)) {
          if (!k.closure || !in(k.closure->day())) continue;
          ++o.denominator;
          if (kpi.formula() == v1::KpiFormula::FORMALISED_OUTCOMES
                  ? (k.level2 && k.action_plan)
                  : k.closure->referred_to() == kpi.referral()) {
            ++o.numerator;
          }
        }
      }
      break;
    case v1::KpiFormula::REPORTING_TIMELINESS:
      o = internal::ObserveReporting(kpi, facts, period, closing_day);
      break;
    case v1::KpiFormula::REMOTE_SHARE:
    case v1::KpiFormula::ONE_OFF_SHARE:
    case v1::KpiFormula::TERRITORIAL_COVERAGE: {
      std::set<std::string> seen_ids;
      std::set<std::string> covered;
      for (const auto& j : facts.journeys) {
        for (const auto& a : j.appointments()) {
          if (a.recorded_at() >= before || !in(a.day())) continue;
          if (!a.appointment_id().empty() && !seen_ids.insert(a.appointment_id()).second) continue;
          if (kpi.formula() == v1::KpiFormula::TERRITORIAL_COVERAGE) {
            if (a.modality() == v1::Modality::IN_PERSON) covered.insert(a.departement());
            continue;
          }
          ++o.denominator;
          if (kpi.formula() == v1::KpiFormula::REMOTE_SHARE
                  ? (a.modality() == v1::Modality::PHONE || a.modality() == v1::Modality::VIDEO)
                  : a.kind() == v1::SupportKind::ONE_OFF) {
            ++o.numerator;
          }
        }
      }
      if (kpi.formula() == v1::KpiFormula::TERRITORIAL_COVERAGE) {
        internal::ObserveCoverage(facts, covered, o);
      }
      break;
    }
    default:
      break;
  }
  return o;
}

absl::StatusOr<LotEvaluation> internal::EvaluateLotWith(
    const LotFacts& facts, const TermsHistory& history, const Period& period,
    std::optional<absl::CivilDay> expected_closing,
    absl::FunctionRef<KpiObservation(const v1::KpiDefinition&, absl::CivilDay)> observe) {
  auto terms = history.TermsFor(facts.lot_id, period);
  if (!terms.ok()) return terms.status();
  LotEvaluation out{.lot_id = facts.lot_id,
                    .period = period,
                    .terms = **terms,
                    .closing_day = period.ClosingDay((*terms)->delays().closing_grace_days())};
  if (expected_closing && *expected_closing != out.closing_day) {
    return absl::FailedPreconditionError(fmt::format(
        "lot '{}', period {}: cells read for closing day {}, the terms close it on {}",
        facts.lot_id, period.ToString(), FormatDay(*expected_closing), FormatDay(out.closing_day)));
  }
  for (const auto& kpi : (*terms)->kpis()) {
    auto result = EvaluateKpi(kpi, facts.lot_id, period, observe(kpi, out.closing_day));
    if (!result.ok()) return result.status();
    out.kpis.push_back(std::move(*result));
  }
  for (const char* b : {"0-1", "2-5", "6-15", "16-30", "31+"}) out.quality.timeliness[b] = 0;
  for (const auto& c : facts.reporting) {
    if (!period.Contains(c.day)) continue;
    out.quality.events += c.count;
    if (c.day + c.delay_days >= out.closing_day) out.quality.late += c.count;
    out.quality.timeliness[Bucket(c.delay_days)] += c.count;
  }
  out.quality.refused = facts.refused;
  out.quality.conflicting_resends = facts.conflicting_resends;
  for (const auto& [day, n] : facts.conflicting_resends_by_day) {
    if (period.Contains(day)) out.quality.conflicting_resends_in_period += n;
  }
  for (const auto& [day, codes] : facts.gateway_refusals_by_day) {
    if (!period.Contains(day)) continue;
    for (const auto& [code, n] : codes) out.quality.gateway_refusals[code] += n;
  }
  int64_t lines = 0;
  for (const auto& [day, n] : facts.imported_events_by_day) {
    if (period.Contains(day)) out.quality.imported += n;
  }
  for (const auto& [day, n] : facts.imported_lines_by_day) {
    if (period.Contains(day)) lines += n;
  }
  out.quality.imported_duplicates = std::max<int64_t>(0, lines - out.quality.imported);
  return out;
}

absl::StatusOr<LotEvaluation> EvaluateLot(const LotFacts& facts, const TermsHistory& history,
                                          const Period& period) {
  return internal::EvaluateLotWith(facts, history, period, std::nullopt,
                                   [&](const v1::KpiDefinition& kpi, absl::CivilDay closing_day) {
                                     return Observe(kpi, facts, period, closing_day);
                                   });
}

absl::StatusOr<LotEvaluation> EvaluateNational(const std::vector<LotEvaluation>& lots,
                                               const Period& period) {
  LotEvaluation out{.lot_id = "national", .period = period};
  if (lots.empty()) return out;
  out.terms = lots.front().terms;
  out.closing_day = lots.front().closing_day;
  for (const char* b : {"0-1", "2-5", "6-15", "16-30", "31+"}) out.quality.timeliness[b] = 0;
  for (const auto& lot : lots) {
    out.closing_day = std::max(out.closing_day, lot.closing_day);
    out.quality.events += lot.quality.events;
    out.quality.late += lot.quality.late;
    out.quality.refused += lot.quality.refused;
    out.quality.conflicting_resends += lot.quality.conflicting_resends;
    out.quality.conflicting_resends_in_period += lot.quality.conflicting_resends_in_period;
    for (const auto& [code, n] : lot.quality.gateway_refusals)
      out.quality.gateway_refusals[code] += n;
    out.quality.imported += lot.quality.imported;
    out.quality.imported_duplicates += lot.quality.imported_duplicates;
    for (const auto& [b, n] : lot.quality.timeliness) out.quality.timeliness[b] += n;
  }
  for (const auto& kpi : out.terms.kpis()) {
    v1::KpiDefinition national = kpi;
    national.clear_lot_targets();
    const bool count = IsCountFormula(kpi.formula());
    KpiObservation sum;
    double yearly_target = 0, yearly_margin = 0;
    for (const auto& lot : lots) {
      for (const auto& r : lot.kpis) {
        if (r.kpi_id != kpi.id()) continue;
        sum.numerator += r.numerator;
        sum.denominator += r.sample;
        if (count) {
          const double fraction = period.FractionOfYear();
          yearly_target += r.target / fraction;
          yearly_margin += r.at_risk_margin / fraction;
        }
      }
    }
    if (count) {
      national.set_target(yearly_target);
      national.set_at_risk_margin(yearly_margin);
    }
    auto result = EvaluateKpi(national, "national", period, sum);
    if (!result.ok()) return result.status();
    out.kpis.push_back(std::move(*result));
  }
  return out;
}

std::map<CounterKey, int64_t> CountActivity(const LotFacts& facts, const Period& period) {
  std::map<CounterKey, int64_t> out;
  auto name = [](const google::protobuf::EnumDescriptor* d, int v) {
    const auto* value = d->FindValueByNumber(v);
    return value ? std::string(value->name()) : std::to_string(v);
  };
  // Counts one observation of `metric` in the month of `day`, overall and
  // along each dimension.
  auto count = [&](const std::string& day, const char* metric,
                   std::initializer_list<std::pair<const char*, std::string>> dims) {
    const std::string m = Period::MonthOf(DayOf(day)).ToString();
    ++out[{m, metric, "all"}];
    for (const auto& [dim, value] : dims) ++out[{m, metric, fmt::format("{}={}", dim, value)}];
  };
  for (const auto& j : facts.journeys) {
    if (!j.requests().empty() && period.Contains(DayOf(j.requests(0).day()))) {
      const auto& r = j.requests(0);
      const auto& p = r.profile();
      count(r.day(), "new_beneficiaries",
            {{"age_band", name(v1::AgeBand::Value_descriptor(), p.age_band())},
             {"sex", name(v1::Sex::Value_descriptor(), p.sex())},
             {"qualification", name(v1::Qualification::Value_descriptor(), p.qualification())},
             {"status", name(v1::WorkStatus::Value_descriptor(), p.status())},
             {"company_size", name(v1::CompanySize::Value_descriptor(), p.company_size())},
             {"channel", name(v1::Channel::Value_descriptor(), r.channel())}});
    }
    for (const auto& a : j.appointments()) {
      if (!period.Contains(DayOf(a.day()))) continue;
      count(a.day(), "appointments",
            {{"level", name(v1::Level::Value_descriptor(), a.level())},
             {"modality", name(v1::Modality::Value_descriptor(), a.modality())},
             {"kind", name(v1::SupportKind::Value_descriptor(), a.kind())}});
    }
    for (const KnownJourney& k : SplitKnown(j, std::numeric_limits<int64_t>::max())) {
      if (!k.closure || !period.Contains(DayOf(k.closure->day()))) continue;
      const auto& c = *k.closure;
      count(c.day(), "closures",
            {{"outcome", name(v1::Outcome::Value_descriptor(), c.outcome())},
             {"referral", name(v1::Referral::Value_descriptor(), c.referred_to())}});
    }
    for (const auto& s : j.surveys()) {
      if (!period.Contains(DayOf(s.day()))) continue;
      count(s.day(), "surveys", {{"wave", name(v1::SurveyWave::Value_descriptor(), s.wave())}});
    }
  }
  return out;
}

}  // namespace pilotage::domain
