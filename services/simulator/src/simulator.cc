#include "pilotage/simulator/simulator.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>

#include "calendar.h"
#include "fmt/format.h"
#include "ids.h"
#include "journey.h"
#include "random.h"

namespace pilotage::simulator {

namespace {

using std::chrono::days;
using std::chrono::year_month_day;

constexpr double kLowUptake = 0.7;

// A request waiting to be turned into a journey.
struct RequestSlot {
  int64_t ms = 0;
  int32_t day = 0;  // local day, days since the epoch
  int16_t minute = 0;
  uint16_t lot = 0;
  uint32_t beneficiary = 0;
};

// How many requests a day gets, relatively: seasons (quiet August and late
// December, busy September and January), weekdays (the web never closes) and
// public holidays.
double RequestWeight(Day day, TimeZone zone) {
  static constexpr double kMonth[] = {1.15, 1.05, 1.10, 1.00, 0.90, 1.05,
                                      0.85, 0.45, 1.20, 1.15, 1.05, 0.85};
  static constexpr double kWeekday[] = {0.12, 1.15, 1.05, 1.0, 1.0, 0.85, 0.2};  // Sun..Sat
  const year_month_day ymd{day};
  const unsigned month = static_cast<unsigned>(ymd.month());
  double w = kMonth[month - 1] * kWeekday[std::chrono::weekday{day}.c_encoding()];
  if (IsPublicHoliday(day, zone)) w *= 0.2;
  if (month == 12 && static_cast<unsigned>(ymd.day()) >= 22) w *= 0.4;
  return w;
}

std::string FormatDate(Day day) {
  const year_month_day ymd{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// Everything the simulation needs about one lot, computed once.
struct LotState {
  const Lot* lot = nullptr;
  bool selected = false;
  uint64_t hash = 0;
  double share = 0;  // of the national volume
  Day contract_start, contract_end;
  int64_t cutoff_ms = 0;
  double late_rate = 0;
  Weighted<uint8_t> residence;
  std::vector<std::string> departements;  // codes, for the events
};

// The requests of one lot in one year of the window, numbered later.
void PlanRequests(const LotState& state, uint16_t lot_index, int year_index, Day from, Day to,
                  const SimulationOptions& options, std::vector<RequestSlot>* out) {
  const TimeZone zone = state.lot->timezone;
  Weighted<int32_t> calendar;
  double year_mass = 0;
  for (Day d = from; d < to; d += days{1}) {
    const double w = RequestWeight(d, zone);
    year_mass += w;
    if (d >= state.contract_start && d <= state.contract_end) {
      calendar.Add(d.time_since_epoch().count(), w);
    }
  }
  if (calendar.size() == 0) return;
  const double expected = static_cast<double>(options.beneficiaries_per_year) * options.scale *
                          state.share * calendar.total() / year_mass;
  const int64_t count = std::llround(expected);
  Rng rng(HashValues({options.seed, state.hash, static_cast<uint64_t>(year_index), 0x726571ULL}));
  for (int64_t i = 0; i < count; ++i) {
    RequestSlot slot;
    slot.day = calendar.Sample(rng);
    const Day day{days{slot.day}};
    slot.minute = static_cast<int16_t>(IsWorkingDay(day, zone) ? rng.Between(8 * 60, 20 * 60 - 1)
                                                               : rng.Between(9 * 60, 22 * 60 - 1));
    slot.ms = LocalToUtcMillis(day, slot.minute, zone) + rng.Between(0, 59'999);
    slot.lot = lot_index;
    out->push_back(slot);
  }
}

// Later events first out of the priority queue; ties broken on identity so
// that the order is total (and the output deterministic).
struct SendsLater {
  bool operator()(const PlannedEvent& a, const PlannedEvent& b) const {
    auto key = [](const PlannedEvent& e) {
      return std::tuple(e.recorded_ms, e.lot, e.beneficiary, e.seq, e.resend);
    };
    return key(a) > key(b);
  }
};

void SetTimestamp(int64_t ms, google::protobuf::Timestamp* ts) {
  const int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>((ms - seconds * 1000) * 1'000'000));
}

// Builds the protobuf event of a planned one into `event` (cleared first).
void Materialise(const PlannedEvent& p, const LotState& state, uint64_t seed, v1::Event* event) {
  event->Clear();
  const Lot& lot = *state.lot;
  event->set_event_id(EventId(seed, state.hash, p.beneficiary, p.seq));
  event->set_lot_id(lot.entry.lot_id);
  event->set_operator_id(lot.entry.operator_id);
  SetTimestamp(p.occurred_ms, event->mutable_occurred_at());
  SetTimestamp(p.recorded_ms, event->mutable_recorded_at());
  const std::string beneficiary = BeneficiaryToken(seed, lot.entry.lot_id, p.beneficiary);
  switch (p.type) {
    case ActivityType::kRequestReceived: {
      const RequestBody& b = p.body.request;
      auto* r = event->mutable_request_received();
      r->set_beneficiary(beneficiary);
      r->set_channel(static_cast<v1::Channel::Value>(b.channel));
      auto* profile = r->mutable_profile();
      profile->set_age_band(static_cast<v1::AgeBand::Value>(b.age_band));
      profile->set_sex(static_cast<v1::Sex::Value>(b.sex));
      profile->set_qualification(static_cast<v1::Qualification::Value>(b.qualification));
      profile->set_status(static_cast<v1::WorkStatus::Value>(b.status));
      profile->set_company_size(static_cast<v1::CompanySize::Value>(b.company_size));
      profile->set_departement(state.departements[p.departement]);
      break;
    }
    case ActivityType::kAppointmentHeld: {
      const HeldBody& b = p.body.held;
      auto* h = event->mutable_appointment_held();
      h->set_beneficiary(beneficiary);
      h->set_appointment_id(AppointmentId(seed, state.hash, p.beneficiary, p.appointment));
      h->set_level(static_cast<v1::Level::Value>(b.level));
      h->set_modality(static_cast<v1::Modality::Value>(b.modality));
      h->set_kind(static_cast<v1::SupportKind::Value>(b.kind));
      h->set_duration_minutes(b.duration_minutes);
      h->set_departement(state.departements[p.departement]);
      break;
    }
    case ActivityType::kAppointmentMissed: {
      auto* m = event->mutable_appointment_missed();
      m->set_beneficiary(beneficiary);
      m->set_appointment_id(AppointmentId(seed, state.hash, p.beneficiary, p.appointment));
      m->set_reason(static_cast<v1::MissReason::Value>(p.body.missed.reason));
      break;
    }
    case ActivityType::kDeliverableIssued: {
      auto* d = event->mutable_deliverable_issued();
      d->set_beneficiary(beneficiary);
      d->set_type(static_cast<v1::DeliverableType::Value>(p.body.deliverable.type));
      break;
    }
    case ActivityType::kJourneyClosed: {
      auto* c = event->mutable_journey_closed();
      c->set_beneficiary(beneficiary);
      c->set_outcome(static_cast<v1::Outcome::Value>(p.body.closed.outcome));
      c->set_referred_to(static_cast<v1::Referral::Value>(p.body.closed.referred_to));
      break;
    }
    case ActivityType::kSurveyAnswered: {
      const SurveyBody& b = p.body.survey;
      auto* s = event->mutable_survey_answered();
      s->set_beneficiary(beneficiary);
      s->set_wave(static_cast<v1::SurveyWave::Value>(b.wave));
      s->set_satisfaction(b.satisfaction);
      s->set_useful(b.useful);
      s->set_situation_improved(b.situation_improved);
      break;
    }
  }
}

}  // namespace

double Progress::Fraction() const {
  if (done) return 1.0;
  if (beneficiaries_total <= 0) return 0.0;
  return static_cast<double>(beneficiaries_started) / static_cast<double>(beneficiaries_total);
}

absl::Status ValidateOptions(const SimulationOptions& options, const LotCatalogue& lots) {
  if (!ParseDate(options.start_date)) {
    return absl::InvalidArgumentError(
        fmt::format("start date must be YYYY-MM-DD, got '{}'", options.start_date));
  }
  if (options.years < 1 || options.years > 10) {
    return absl::InvalidArgumentError(
        fmt::format("--years must be in [1, 10], got {}", options.years));
  }
  if (options.run_on_days < 0 || options.run_on_days > 366) {
    return absl::InvalidArgumentError(
        fmt::format("--run-on must be in [0, 366] days, got {}", options.run_on_days));
  }
  if (options.beneficiaries_per_year < 0 || options.beneficiaries_per_year > 10'000'000) {
    return absl::InvalidArgumentError(fmt::format(
        "--beneficiaries must be in [0, 10000000], got {}", options.beneficiaries_per_year));
  }
  if (!(options.scale > 0 && options.scale <= 10)) {
    return absl::InvalidArgumentError(
        fmt::format("--scale must be in (0, 10], got {}", options.scale));
  }
  if (!(options.late_rate >= 0 && options.late_rate <= 1)) {
    return absl::InvalidArgumentError(
        fmt::format("--late-rate must be in [0, 1], got {}", options.late_rate));
  }
  if (!(options.resend_rate >= 0 && options.resend_rate <= 1)) {
    return absl::InvalidArgumentError(
        fmt::format("--resend-rate must be in [0, 1], got {}", options.resend_rate));
  }
  for (const std::string& id : options.only_lots) {
    if (lots.Find(id) == nullptr) {
      std::string known;
      for (const Lot& lot : lots.lots) known += (known.empty() ? "" : ", ") + lot.entry.lot_id;
      return absl::InvalidArgumentError(
          fmt::format("--lot {}: no such lot in the lot file (known: {})", id, known));
    }
  }
  if (lots.lots.size() > 0xffff) return absl::InvalidArgumentError("too many lots");
  return absl::OkStatus();
}

absl::StatusOr<Summary> Simulate(const LotCatalogue& lots, const SimulationOptions& options,
                                 EventSink& sink, ProgressListener* progress) {
  if (absl::Status s = ValidateOptions(options, lots); !s.ok()) return s;
  const Day window_start = *ParseDate(options.start_date);
  const Day window_end{year_month_day{window_start} + std::chrono::years{options.years}};

  // Lots: shares of the national volume are computed over every lot of the
  // catalogue, so that leaving some out changes nothing for the others.
  std::vector<LotState> states(lots.lots.size());
  double total_weight = 0;
  for (const Lot& lot : lots.lots) {
    total_weight += lot.entry.working_population_k * (lot.profile.low_uptake ? kLowUptake : 1.0);
  }
  for (size_t i = 0; i < lots.lots.size(); ++i) {
    const Lot& lot = lots.lots[i];
    LotState& s = states[i];
    s.lot = &lot;
    s.selected = options.only_lots.empty() ||
                 std::find(options.only_lots.begin(), options.only_lots.end(), lot.entry.lot_id) !=
                     options.only_lots.end();
    s.hash = HashText(lot.entry.lot_id);
    s.share =
        lot.entry.working_population_k * (lot.profile.low_uptake ? kLowUptake : 1.0) / total_weight;
    s.contract_start = *ParseDate(lot.entry.start_date);
    s.contract_end = *ParseDate(lot.entry.end_date);
    s.cutoff_ms =
        LocalToUtcMillis(window_end + std::chrono::days{options.run_on_days}, 0, lot.timezone);
    s.late_rate =
        lot.profile.late_reporting ? std::max(0.25, options.late_rate) : options.late_rate;
    for (size_t d = 0; d < lot.entry.departements.size(); ++d) {
      s.residence.Add(static_cast<uint8_t>(d), lot.entry.departements[d].population_k);
      s.departements.push_back(lot.entry.departements[d].code);
    }
  }

  // Every request of the window, numbered per lot in time order.
  std::vector<RequestSlot> requests;
  for (size_t i = 0; i < states.size(); ++i) {
    if (!states[i].selected) continue;
    const size_t first = requests.size();
    for (int y = 0; y < options.years; ++y) {
      const Day from{year_month_day{window_start} + std::chrono::years{y}};
      const Day to{year_month_day{window_start} + std::chrono::years{y + 1}};
      PlanRequests(states[i], static_cast<uint16_t>(i), y, from, to, options, &requests);
    }
    std::sort(requests.begin() + static_cast<std::ptrdiff_t>(first), requests.end(),
              [](const RequestSlot& a, const RequestSlot& b) { return a.ms < b.ms; });
    uint32_t n = 0;
    for (size_t r = first; r < requests.size(); ++r) requests[r].beneficiary = ++n;
  }
  std::sort(requests.begin(), requests.end(), [](const RequestSlot& a, const RequestSlot& b) {
    return std::tie(a.ms, a.lot, a.beneficiary) < std::tie(b.ms, b.lot, b.beneficiary);
  });

  Summary summary;
  summary.seed = options.seed;
  summary.years = options.years;
  summary.scale = options.scale;
  summary.window_start = FormatDate(window_start);
  summary.window_end = FormatDate(window_end);
  std::vector<LotSummary> per_lot(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    per_lot[i].lot_id = states[i].lot->entry.lot_id;
    per_lot[i].operator_id = states[i].lot->entry.operator_id;
  }

  Progress report;
  report.beneficiaries_total = static_cast<int64_t>(requests.size());
  std::priority_queue<PlannedEvent, std::vector<PlannedEvent>, SendsLater> due;
  std::vector<PlannedEvent> journey;
  v1::Event event;

  auto send = [&](const PlannedEvent& p) -> absl::Status {
    const LotState& state = states[p.lot];
    Materialise(p, state, options.seed, &event);
    if (absl::Status s = sink.Send(event); !s.ok()) return s;
    LotSummary& lot = per_lot[p.lot];
    const auto type = static_cast<size_t>(p.type);
    if (p.resend) {
      ++lot.resends[type];
    } else {
      ++lot.events[type];
      if (p.type == ActivityType::kRequestReceived) ++lot.beneficiaries;
      if (p.recorded_ms - p.occurred_ms >= kMillisPerDay) ++lot.late;
    }
    if (++report.messages % 4096 == 0 && progress != nullptr) progress->OnProgress(report);
    return absl::OkStatus();
  };
  auto send_due_until = [&](int64_t until_ms) -> absl::Status {
    while (!due.empty() && due.top().recorded_ms <= until_ms) {
      if (absl::Status s = send(due.top()); !s.ok()) return s;
      due.pop();
    }
    return absl::OkStatus();
  };

  for (const RequestSlot& r : requests) {
    // Whatever a later journey sends is recorded after its request occurred,
    // so everything recorded until then can go now.
    if (absl::Status s = send_due_until(r.ms); !s.ok()) return s;
    const LotState& state = states[r.lot];
    JourneyInput input;
    input.seed = options.seed;
    input.lot = state.lot;
    input.lot_index = r.lot;
    input.lot_hash = state.hash;
    input.beneficiary = r.beneficiary;
    input.request_day = Day{days{r.day}};
    input.request_minute = r.minute;
    input.request_ms = r.ms;
    input.cutoff_ms = state.cutoff_ms;
    input.late_rate = state.late_rate;
    input.resend_rate = options.resend_rate;
    input.residence = &state.residence;
    journey.clear();
    PlanJourney(input, &journey);
    for (const PlannedEvent& p : journey) due.push(p);
    ++report.beneficiaries_started;
  }
  if (absl::Status s = send_due_until(INT64_MAX); !s.ok()) return s;
  report.done = true;
  if (progress != nullptr) progress->OnProgress(report);

  for (size_t i = 0; i < states.size(); ++i) {
    if (states[i].selected) summary.lots.push_back(std::move(per_lot[i]));
  }
  return summary;
}

}  // namespace pilotage::simulator
