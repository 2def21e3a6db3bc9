#include "pilotage/domain/kpi_cells.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <set>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "fmt/format.h"
#include "known_journey.h"
#include "per_thread_table.h"
#include "pilotage/domain/calendar.h"

namespace pilotage::domain {
namespace {

namespace v1 = ::pilotage::v1;
namespace sv1 = ::pilotage::store::v1;

using internal::ClosingInstant;
using internal::DayOf;
using internal::KnownJourney;
using internal::SplitKnown;

absl::CivilDay RecordedDaySlow(int64_t recorded_at) {
  auto day = ParisDay(absl::FromUnixSeconds(recorded_at));
  if (day.ok()) return *day;
  return absl::ToCivilDay(absl::FromUnixSeconds(recorded_at), absl::UTCTimeZone());
}

// The Paris day an instant (Unix seconds) falls on: the known day of a fact
// recorded then. ClosingInstant(day + 1) is after it, ClosingInstant(day) not.
// The fold asks it several times for every fact it touches: since 1970
// Paris's offsets are whole hours, so its day changes only on a whole UTC
// hour and is remembered per hour (a small per-thread table).
absl::CivilDay RecordedDay(int64_t recorded_at) {
  if (recorded_at < 0) return RecordedDaySlow(recorded_at);
  struct Slot {
    int64_t hour = -1;
    absl::CivilDay day;
  };
  auto& cache = PerThreadTable<Slot, 512>();
  const int64_t hour = recorded_at / 3600;
  Slot& slot = cache[static_cast<uint64_t>(hour) % cache.size()];
  if (slot.hour != hour) {
    slot.day = RecordedDaySlow(hour * 3600);
    slot.hour = hour;
  }
  return slot.day;
}

// Appends the decimal form of `v` to `out`.
void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  out.append(buf, end);
}

// The dot-separated integer fields of a dimension; the text after the last
// integer field wanted is left in `rest`.
std::vector<int> Fields(std::string_view dim, size_t n, std::string_view* rest = nullptr) {
  std::vector<int> out;
  while (out.size() < n && !dim.empty()) {
    const size_t dot = dim.find('.');
    const std::string_view field = dim.substr(0, dot);
    int v = 0;
    std::from_chars(field.data(), field.data() + field.size(), v);
    out.push_back(v);
    dim = dot == std::string_view::npos ? std::string_view() : dim.substr(dot + 1);
  }
  out.resize(n, 0);
  if (rest) *rest = dim;
  return out;
}

// A request dimension's profile (the fields the priority predicate reads).
v1::Profile ProfileOf(const std::vector<int>& f) {
  v1::Profile p;
  p.set_qualification(static_cast<v1::Qualification::Value>(f[1]));
  p.set_age_band(static_cast<v1::AgeBand::Value>(f[2]));
  p.set_status(static_cast<v1::WorkStatus::Value>(f[3]));
  p.set_company_size(static_cast<v1::CompanySize::Value>(f[4]));
  p.set_sex(static_cast<v1::Sex::Value>(f[5]));
  return p;
}

constexpr absl::CivilDay kEpoch(1970, 1, 1);

int32_t DayNumber(absl::CivilDay day) { return static_cast<int32_t>(day - kEpoch); }

// WorkingDaysBetween, remembered per pair of days in a small per-thread
// table: the fold asks it for every journey's first appointment, and each
// call lists the public holidays of every year between the two days.
int64_t WorkingDays(absl::CivilDay from, absl::CivilDay to) {
  struct Slot {
    int64_t from = std::numeric_limits<int64_t>::min();
    int64_t to = 0;
    int64_t days = 0;
  };
  auto& cache = PerThreadTable<Slot, 1024>();
  const int64_t f = from - kEpoch, t = to - kEpoch;
  Slot& slot = cache[static_cast<uint64_t>(f * 31 + t) % cache.size()];
  if (slot.from != f || slot.to != t) slot = {f, t, WorkingDaysBetween(from, to)};
  return slot.days;
}

// Cells and their counts: what is known before an instant (FlatCell::known
// 0), or the signed cells of contributions before they are combined.
using Counted = std::vector<std::pair<FlatCell, int64_t>>;

}  // namespace

struct ContributionFolder::Scratch {
  std::vector<KnownJourney> split;
  Counted previous, current;
  Counted deltas;
  std::vector<int32_t> days;
  absl::flat_hash_set<std::string_view> ids;
  absl::flat_hash_map<std::string, int32_t> departement_numbers;
  std::vector<std::string> departements;

  int32_t DepartementNumber(const std::string& name) {
    auto [it, inserted] =
        departement_numbers.try_emplace(name, static_cast<int32_t>(departements.size()));
    if (inserted) departements.push_back(name);
    return it->second;
  }

  static void Push(Counted& out, CellKind kind, absl::CivilDay day, int32_t known,
                   std::initializer_list<int32_t> fields, int64_t n, int32_t departement = -1) {
    FlatCell cell{.kind = kind,
                  .day = DayNumber(day),
                  .known = known,
                  .departement = departement,
                  .size = static_cast<uint8_t>(fields.size())};
    std::copy(fields.begin(), fields.end(), cell.fields.begin());
    out.emplace_back(cell, n);
  }

  // Sorts `cells` and sums the counts of equal cells, leaving out those
  // summed to 0.
  static void Combine(Counted& cells) {
    std::sort(cells.begin(), cells.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t kept = 0;
    for (size_t i = 0; i < cells.size();) {
      int64_t n = 0;
      size_t j = i;
      for (; j < cells.size() && cells[j].first == cells[i].first; ++j) n += cells[j].second;
      if (n != 0) cells[kept++] = {cells[i].first, n};
      i = j;
    }
    cells.resize(kept);
  }

  // What a beneficiary's facts give as known before `before` (Unix
  // seconds): its cells without their known day, combined.
  void KnownBefore(const sv1::Journey& j, int64_t before, Counted& out) {
    out.clear();
    SplitKnown(j, before, split);
    for (const KnownJourney& k : split) {
      if (k.request != nullptr) {
        const absl::CivilDay requested = DayOf(k.request->day());
        if (k.first_ever) {
          const auto& r = *k.request;
          const auto& p = r.profile();
          Push(out, CellKind::kRequest, requested, 0,
               {1, p.qualification(), p.age_band(), p.status(), p.company_size(), p.sex(),
                r.channel()},
               1);
        } else {
          Push(out, CellKind::kRequest, requested, 0, {0}, 1);
        }
        if (k.first_appointment) {
          Push(out, CellKind::kFirstAppointment, requested, 0,
               {static_cast<int32_t>(WorkingDays(requested, *k.first_appointment))}, 1);
        }
      }
      if (k.closure != nullptr) {
        Push(out, CellKind::kClosure, DayOf(k.closure->day()), 0,
             {(k.level2 && k.action_plan) ? 1 : 0, k.closure->outcome(), k.closure->referred_to()},
             1);
      }
    }
    ids.clear();
    for (const auto& a : j.appointments()) {
      if (a.recorded_at() >= before) continue;
      const bool counted = a.appointment_id().empty() || ids.insert(a.appointment_id()).second;
      Push(out, CellKind::kAppointment, DayOf(a.day()), 0,
           {counted ? 1 : 0, a.level(), a.modality(), a.kind()}, 1,
           DepartementNumber(a.departement()));
    }
    for (const auto& s : j.surveys()) {
      if (s.recorded_at() >= before) continue;
      Push(out, CellKind::kSurvey, DayOf(s.day()), 0,
           {s.wave(), s.satisfaction(), s.useful() ? 1 : 0}, 1);
    }
    Combine(out);
  }

  // Adds `sign` times the kPriced cells of a beneficiary to `deltas`.
  void AddPriced(const sv1::Journey& j, int64_t sign) {
    ids.clear();
    for (const auto& a : j.appointments()) {
      if (!a.appointment_id().empty() && !ids.insert(a.appointment_id()).second) continue;
      Push(deltas, CellKind::kPriced, DayOf(a.day()), DayNumber(RecordedDay(a.recorded_at())),
           {a.level(), a.modality(), a.kind()}, sign);
    }
  }

  // Adds `sign` times the kFunnel cell of a beneficiary to `deltas`. Its
  // known day is its day: the funnel counts every fact, so the retraction
  // and insertion of a later batch land on keys the store sums into one.
  void AddFunnel(const sv1::Journey& j, int64_t sign) {
    if (j.requests().empty()) return;
    bool level_1 = false, level_2 = false, action_plan = false;
    for (const auto& a : j.appointments()) {
      level_1 |= a.level() == v1::Level::LEVEL_1_WELCOME;
      level_2 |= a.level() == v1::Level::LEVEL_2_SUPPORT;
    }
    for (const auto& d : j.deliverables()) {
      action_plan |= d.type() == v1::DeliverableType::ACTION_PLAN;
    }
    const absl::CivilDay requested = DayOf(j.requests(0).day());
    Push(deltas, CellKind::kFunnel, requested, DayNumber(requested),
         {level_1 ? 1 : 0, level_2 ? 1 : 0, action_plan ? 1 : 0, j.closures().empty() ? 0 : 1},
         sign);
  }

  // Adds `sign` times the beneficiary's contribution (ContributionOf) to
  // `deltas`, uncombined; its kPriced cells only `with_priced`, its kFunnel
  // cell only `with_funnel`.
  void AddContribution(const sv1::Journey& journey, std::optional<absl::CivilDay> from,
                       bool with_priced, bool with_funnel, int64_t sign) {
    days.clear();
    auto add = [&](const auto& list) {
      for (const auto& f : list) {
        const absl::CivilDay d = RecordedDay(f.recorded_at());
        if (!from || d >= *from) days.push_back(DayNumber(d));
      }
    };
    add(journey.requests());
    add(journey.appointments());
    add(journey.deliverables());
    add(journey.closures());
    add(journey.surveys());
    std::sort(days.begin(), days.end());
    days.erase(std::unique(days.begin(), days.end()), days.end());
    if (with_priced) AddPriced(journey, sign);
    if (with_funnel) AddFunnel(journey, sign);
    if (days.empty()) return;
    // Steps before `from` are the same for any facts recorded on or after it.
    if (from) {
      KnownBefore(journey, ClosingInstant(*from), previous);
    } else {
      previous.clear();
    }
    for (const int32_t d : days) {
      KnownBefore(journey, ClosingInstant(kEpoch + d + 1), current);
      // Both sorted: what changed from `previous` to `current`, at known day d.
      size_t p = 0, c = 0;
      auto emit = [&](FlatCell cell, int64_t n) {
        cell.known = d;
        deltas.emplace_back(cell, sign * n);
      };
      while (p < previous.size() || c < current.size()) {
        if (c == current.size() || (p < previous.size() && previous[p].first < current[c].first)) {
          emit(previous[p].first, -previous[p].second);
          ++p;
        } else if (p == previous.size() || current[c].first < previous[p].first) {
          emit(current[c].first, current[c].second);
          ++c;
        } else {
          if (current[c].second != previous[p].second) {
            emit(current[c].first, current[c].second - previous[p].second);
          }
          ++p;
          ++c;
        }
      }
      std::swap(previous, current);
    }
  }
};

std::optional<CellKind> CellKindOf(char c) {
  switch (c) {
    case 'r':
    case 'f':
    case 'a':
    case 'c':
    case 's':
    case 'p':
    case 'u':
      return static_cast<CellKind>(c);
    default:
      return std::nullopt;
  }
}

ContributionFolder::ContributionFolder() : scratch_(std::make_unique<Scratch>()) {}

ContributionFolder::~ContributionFolder() = default;

void ContributionFolder::AddFacts(sv1::Journey& journey, const sv1::Journey& added) {
  Scratch& s = *scratch_;
  s.deltas.clear();
  std::optional<absl::CivilDay> from;
  auto earliest = [&](const auto& list) {
    for (const auto& f : list) {
      const absl::CivilDay d = RecordedDay(f.recorded_at());
      if (!from || d < *from) from = d;
    }
  };
  earliest(added.requests());
  earliest(added.appointments());
  earliest(added.deliverables());
  earliest(added.closures());
  earliest(added.surveys());
  if (!from) return;
  // The kPriced cells depend on the appointments only: without one added,
  // they are the same before and after.
  const bool priced = added.appointments_size() > 0;
  // The kFunnel cell reads every fact but the surveys.
  const bool funnel = added.requests_size() > 0 || priced || added.deliverables_size() > 0 ||
                      added.closures_size() > 0;
  s.AddContribution(journey, from, priced, funnel, -1);
  journey.MergeFrom(added);
  NormalizeJourney(journey);
  s.AddContribution(journey, from, priced, funnel, 1);
  Scratch::Combine(s.deltas);
}

const std::vector<std::pair<FlatCell, int64_t>>& ContributionFolder::deltas() const {
  return scratch_->deltas;
}

KpiCell ContributionFolder::ToKpiCell(const FlatCell& cell) const {
  KpiCell out{.kind = cell.kind, .day = kEpoch + cell.day, .known = kEpoch + cell.known};
  out.dim.reserve(24);
  for (uint8_t i = 0; i < cell.size; ++i) {
    if (i > 0) out.dim.push_back('.');
    AppendInt(out.dim, cell.fields[i]);
  }
  if (cell.departement >= 0) {
    out.dim.push_back('.');
    out.dim.append(scratch_->departements[static_cast<size_t>(cell.departement)]);
  }
  return out;
}

void ContributionFolder::Clear() {
  scratch_->departement_numbers.clear();
  scratch_->departements.clear();
}

KpiCells ContributionOf(const sv1::Journey& journey, std::optional<absl::CivilDay> from) {
  ContributionFolder folder;
  folder.scratch_->AddContribution(journey, from, true, true, 1);
  KpiCells out;
  for (const auto& [cell, n] : folder.scratch_->deltas) out[folder.ToKpiCell(cell)] += n;
  std::erase_if(out, [](const auto& entry) { return entry.second == 0; });
  return out;
}

void KnownCells::Add(const KpiCell& cell, int64_t n) {
  (cell.known < closing_day ? counts : later)[{cell.kind, cell.day, cell.dim}] += n;
}

KpiObservation ObserveCells(const v1::KpiDefinition& kpi, const LotFacts& facts,
                            const KnownCells& cells, const Period& period) {
  const absl::CivilDay closing_day = cells.closing_day;
  KpiObservation o;
  // Visits the cells of `kind` whose day is in the period.
  auto each = [&](CellKind kind, auto visit) {
    for (auto it = cells.counts.lower_bound({kind, period.FirstDay(), ""});
         it != cells.counts.end() && std::get<0>(it->first) == kind; ++it) {
      const absl::CivilDay day = std::get<1>(it->first);
      if (day > period.LastDay()) break;
      if (it->second != 0) visit(day, std::string_view(std::get<2>(it->first)), it->second);
    }
  };
  switch (kpi.formula()) {
    case v1::KpiFormula::NEW_BENEFICIARIES:
    case v1::KpiFormula::PRIORITY_PUBLICS_SHARE:
      each(CellKind::kRequest, [&](absl::CivilDay, std::string_view dim, int64_t n) {
        if (dim.empty() || dim[0] != '1') return;
        if (kpi.formula() == v1::KpiFormula::NEW_BENEFICIARIES) {
          o.numerator += n;
          return;
        }
        o.denominator += n;
        if (internal::IsPriority(kpi, ProfileOf(Fields(dim, 6)))) o.numerator += n;
      });
      break;
    case v1::KpiFormula::FIRST_APPOINTMENT_WITHIN_DELAY: {
      // Per request day: journeys opened, and those whose first appointment
      // is known; the others count as misses once the delay ran out.
      std::map<absl::CivilDay, int64_t> opened, seen;
      each(CellKind::kRequest,
           [&](absl::CivilDay day, std::string_view, int64_t n) { opened[day] += n; });
      each(CellKind::kFirstAppointment, [&](absl::CivilDay day, std::string_view dim, int64_t n) {
        seen[day] += n;
        o.denominator += n;
        if (Fields(dim, 1)[0] <= kpi.delay_working_days()) o.numerator += n;
      });
      for (const auto& [day, n] : opened) {
        if (AddWorkingDays(day, kpi.delay_working_days()) < closing_day) {
          o.denominator += n - seen[day];
        }
      }
      break;
    }
    case v1::KpiFormula::END_OF_SERVICE_SATISFACTION:
    case v1::KpiFormula::SIX_MONTH_USEFULNESS: {
      const bool end = kpi.formula() == v1::KpiFormula::END_OF_SERVICE_SATISFACTION;
      const int wave = end ? v1::SurveyWave::END_OF_SERVICE : v1::SurveyWave::SIX_MONTHS;
      each(CellKind::kSurvey, [&](absl::CivilDay, std::string_view dim, int64_t n) {
        const auto f = Fields(dim, 3);
        if (f[0] != wave) return;
        o.denominator += n;
        if (end ? f[1] >= kpi.min_score() : f[2] != 0) o.numerator += n;
      });
      break;
    }
    case v1::KpiFormula::FORMALISED_OUTCOMES:
    case v1::KpiFormula::REFERRAL_SHARE:
      each(CellKind::kClosure, [&](absl::CivilDay, std::string_view dim, int64_t n) {
        const auto f = Fields(dim, 3);
        o.denominator += n;
        if (kpi.formula() == v1::KpiFormula::FORMALISED_OUTCOMES ? f[0] != 0
                                                                 : f[2] == kpi.referral()) {
          o.numerator += n;
        }
      });
      break;
    case v1::KpiFormula::REPORTING_TIMELINESS:
      o = internal::ObserveReporting(kpi, facts, period, closing_day);
      break;
    case v1::KpiFormula::REMOTE_SHARE:
    case v1::KpiFormula::ONE_OFF_SHARE:
    case v1::KpiFormula::TERRITORIAL_COVERAGE: {
      std::set<std::string> covered;
      each(CellKind::kAppointment, [&](absl::CivilDay, std::string_view dim, int64_t n) {
        std::string_view departement;
        const auto f = Fields(dim, 4, &departement);
        if (f[0] == 0) return;  // a repeat of an appointment id
        if (kpi.formula() == v1::KpiFormula::TERRITORIAL_COVERAGE) {
          if (f[2] == v1::Modality::IN_PERSON && n > 0) covered.insert(std::string(departement));
          return;
        }
        o.denominator += n;
        if (kpi.formula() == v1::KpiFormula::REMOTE_SHARE
                ? (f[2] == v1::Modality::PHONE || f[2] == v1::Modality::VIDEO)
                : f[3] == v1::SupportKind::ONE_OFF) {
          o.numerator += n;
        }
      });
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

absl::StatusOr<absl::CivilDay> ClosingDayFor(const TermsHistory& terms, std::string_view lot_id,
                                             const Period& period) {
  auto governing = terms.TermsFor(lot_id, period);
  if (!governing.ok()) return governing.status();
  return period.ClosingDay((*governing)->delays().closing_grace_days());
}

absl::StatusOr<LotEvaluation> EvaluateLotCells(const LotFacts& facts, const TermsHistory& terms,
                                               const Period& period, const KnownCells& cells) {
  return internal::EvaluateLotWith(facts, terms, period, cells.closing_day,
                                   [&](const v1::KpiDefinition& kpi, absl::CivilDay) {
                                     return ObserveCells(kpi, facts, cells, period);
                                   });
}

std::map<CounterKey, int64_t> CountActivityCells(const KnownCells& cells, const Period& period) {
  std::map<CounterKey, int64_t> out;
  auto name = [](const google::protobuf::EnumDescriptor* d, int v) {
    const auto* value = d->FindValueByNumber(v);
    return value ? std::string(value->name()) : std::to_string(v);
  };
  for (const auto& [key, sum] : cells.counts) {
    const auto& [kind, day, dim] = key;
    if (sum == 0 || !period.Contains(day)) continue;
    const std::string m = Period::MonthOf(day).ToString();
    const int64_t n = sum;  // a lambda may not capture a structured binding (clang < 16)
    auto count = [&](const char* metric,
                     std::initializer_list<std::pair<const char*, std::string>> dims) {
      out[{m, metric, "all"}] += n;
      for (const auto& [d, value] : dims) out[{m, metric, fmt::format("{}={}", d, value)}] += n;
    };
    switch (kind) {
      case CellKind::kRequest: {
        if (dim.empty() || dim[0] != '1') break;
        const auto f = Fields(dim, 7);
        count("new_beneficiaries",
              {{"age_band", name(v1::AgeBand::Value_descriptor(), f[2])},
               {"sex", name(v1::Sex::Value_descriptor(), f[5])},
               {"qualification", name(v1::Qualification::Value_descriptor(), f[1])},
               {"status", name(v1::WorkStatus::Value_descriptor(), f[3])},
               {"company_size", name(v1::CompanySize::Value_descriptor(), f[4])},
               {"channel", name(v1::Channel::Value_descriptor(), f[6])}});
        break;
      }
      case CellKind::kAppointment: {
        const auto f = Fields(dim, 4);
        count("appointments", {{"level", name(v1::Level::Value_descriptor(), f[1])},
                               {"modality", name(v1::Modality::Value_descriptor(), f[2])},
                               {"kind", name(v1::SupportKind::Value_descriptor(), f[3])}});
        break;
      }
      case CellKind::kClosure: {
        const auto f = Fields(dim, 3);
        count("closures", {{"outcome", name(v1::Outcome::Value_descriptor(), f[1])},
                           {"referral", name(v1::Referral::Value_descriptor(), f[2])}});
        break;
      }
      case CellKind::kSurvey:
        count("surveys", {{"wave", name(v1::SurveyWave::Value_descriptor(), Fields(dim, 1)[0])}});
        break;
      case CellKind::kFirstAppointment:
      case CellKind::kPriced:
      case CellKind::kFunnel:
        break;
    }
  }
  return out;
}

absl::Status AddFunnelCell(std::string_view dim, int64_t n, JourneyFunnel& funnel) {
  // Exactly "b.b.b.b", each b 0 or 1.
  bool shaped = dim.size() == 7;
  for (size_t i = 0; shaped && i < dim.size(); ++i) {
    shaped = i % 2 == 1 ? dim[i] == '.' : (dim[i] == '0' || dim[i] == '1');
  }
  if (!shaped) {
    return absl::InvalidArgumentError(fmt::format("bad funnel cell dimension '{}'", dim));
  }
  funnel.requests += n;
  funnel.level_1 += dim[0] == '1' ? n : 0;
  funnel.level_2 += dim[2] == '1' ? n : 0;
  funnel.action_plan += dim[4] == '1' ? n : 0;
  funnel.closure += dim[6] == '1' ? n : 0;
  return absl::OkStatus();
}

}  // namespace pilotage::domain
