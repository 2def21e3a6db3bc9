#include "known_journey.h"

#include <algorithm>
#include <array>

#include "per_thread_table.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain::internal {
namespace {

namespace v1 = ::pilotage::v1;

template <typename T>
bool Lists(const google::protobuf::RepeatedField<int>& list, T value) {
  return list.empty() || std::find(list.begin(), list.end(), static_cast<int>(value)) != list.end();
}

}  // namespace

absl::CivilDay DayOf(const std::string& text) {
  // Asked several times for every fact the fold touches: a stored day is
  // "YYYY-MM-DD" (FormatDay), remembered by its digits in a small
  // per-thread table, so that it is not parsed and normalised every time.
  int64_t digits = 0;
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i = 0; shaped && i < text.size(); ++i) {
    if (i == 4 || i == 7) continue;
    const char c = text[i];
    if (c < '0' || c > '9') {
      digits = -1;
      break;
    }
    digits = digits * 10 + (c - '0');
  }
  auto parse = [&] {
    auto day = ParseDay(text);
    return day.ok() ? *day : absl::CivilDay(1970, 1, 1);
  };
  if (!shaped || digits < 0) return parse();
  struct Slot {
    int64_t digits = -1;
    absl::CivilDay day;
  };
  auto& cache = PerThreadTable<Slot, 1024>();
  Slot& slot = cache[static_cast<uint64_t>(digits) % cache.size()];
  if (slot.digits != digits) {
    slot.day = parse();
    slot.digits = digits;
  }
  return slot.day;
}

// The successive journeys of one stored Journey (every fact of a
// pseudonym), on the facts recorded before `before` (cep.h states the rule).
// Requests and closures are taken in (day, requests before closures,
// event_id) order: the lists are sorted by (day, event_id), so a merge.
std::vector<KnownJourney> SplitKnown(const pilotage::store::v1::Journey& j, int64_t before) {
  std::vector<KnownJourney> out;
  SplitKnown(j, before, out);
  return out;
}

void SplitKnown(const pilotage::store::v1::Journey& j, int64_t before,
                std::vector<KnownJourney>& out) {
  out.clear();
  auto closed = [&] { return !out.empty() && out.back().closure != nullptr; };
  int r = 0, c = 0;
  const int nr = j.requests_size(), nc = j.closures_size();
  while (true) {
    while (r < nr && j.requests(r).recorded_at() >= before) ++r;
    while (c < nc && j.closures(c).recorded_at() >= before) ++c;
    if (r == nr && c == nc) break;
    // On the same day, the request first: a request and a closure of one day
    // are one journey (one-off help), never a closed journey and a new one.
    const bool request = r < nr && (c == nc || j.requests(r).day() <= j.closures(c).day());
    if (request) {
      const auto& f = j.requests(r++);
      if (out.empty() || closed()) {
        KnownJourney k{.request = &f};
        if (!out.empty()) k.from = DayOf(f.day());
        out.push_back(k);
      } else if (out.back().request == nullptr) {
        out.back().request = &f;
      }  // else: a further request of the open journey, which changes nothing
    } else {
      const auto& f = j.closures(c++);
      if (out.empty()) {
        out.push_back({.closure = &f});
      } else if (!closed()) {
        out.back().closure = &f;
      }  // else: a further closure of a closed journey (no request between): ignored
    }
  }
  for (auto& k : out) {
    if (k.request) {
      k.first_ever = true;
      break;
    }
  }
  // Appointments and deliverables go to the journey whose span holds their day.
  auto owner = [&](const std::string& day) -> KnownJourney* {
    if (out.empty()) return nullptr;
    const absl::CivilDay d = DayOf(day);
    for (size_t i = out.size(); i-- > 1;) {
      if (*out[i].from <= d) return &out[i];
    }
    return &out.front();
  };
  for (const auto& a : j.appointments()) {
    if (a.recorded_at() >= before) continue;
    KnownJourney* k = owner(a.day());
    if (k == nullptr) break;
    if (!k->first_appointment) k->first_appointment = DayOf(a.day());
    if (a.level() == v1::Level::LEVEL_2_SUPPORT) k->level2 = true;
  }
  for (const auto& d : j.deliverables()) {
    if (d.recorded_at() >= before || d.type() != v1::DeliverableType::ACTION_PLAN) continue;
    KnownJourney* k = owner(d.day());
    if (k == nullptr) break;
    k->action_plan = true;
  }
}

bool IsPriority(const v1::KpiDefinition& kpi, const v1::Profile& p) {
  for (const auto& pred : kpi.priority_publics()) {
    if (Lists(pred.qualification_in(), p.qualification()) &&
        Lists(pred.age_band_in(), p.age_band()) && Lists(pred.status_in(), p.status()) &&
        Lists(pred.company_size_in(), p.company_size())) {
      return true;
    }
  }
  return false;
}

int64_t ClosingInstant(absl::CivilDay closing_day) {
  // The fold asks it for every day a touched journey's facts were recorded:
  // remembered per day in a small per-thread table, so that the time zone
  // is not searched every time.
  struct Slot {
    bool filled = false;
    absl::CivilDay day;
    int64_t instant = 0;
  };
  auto& cache = PerThreadTable<Slot, 512>();
  static constexpr absl::CivilDay kEpoch(1970, 1, 1);
  Slot& slot = cache[static_cast<uint64_t>(closing_day - kEpoch) % cache.size()];
  if (!slot.filled || slot.day != closing_day) {
    auto start = ParisStartOfDay(closing_day);
    // Without a time zone database nothing was folded either (the projector
    // needs it): UTC midnight is then as good as anything.
    slot.instant = start.ok()
                       ? absl::ToUnixSeconds(*start)
                       : absl::ToUnixSeconds(absl::FromCivil(closing_day, absl::UTCTimeZone()));
    slot.day = closing_day;
    slot.filled = true;
  }
  return slot.instant;
}

KpiObservation ObserveReporting(const v1::KpiDefinition& kpi, const LotFacts& facts,
                                const Period& period, absl::CivilDay closing_day) {
  KpiObservation o;
  for (const auto& c : facts.reporting) {
    if (!period.Contains(c.day) || c.day + c.delay_days >= closing_day) continue;
    o.denominator += c.count;
    if (c.delay_days <= kpi.reporting_delay_days()) o.numerator += c.count;
  }
  return o;
}

void ObserveCoverage(const LotFacts& facts, const std::set<std::string>& covered,
                     KpiObservation& o) {
  if (!facts.award) return;
  std::set<std::string> lot(facts.award->departements().begin(), facts.award->departements().end());
  o.denominator = static_cast<int64_t>(lot.size());
  for (const auto& d : lot) o.numerator += covered.count(d);
}

}  // namespace pilotage::domain::internal
