// The journey model. Its figures follow docs/domain.md where it
// gives them (profile shares, first appointment within 10 days and about
// 1h30, two levels, satisfaction and usefulness rates, support up to 18
// months) and are plausible guesses elsewhere; services/simulator/README.md
// lists them all.
#include "journey.h"

#include <algorithm>

#include "pilotage/v1/profile.pb.h"

namespace pilotage::simulator {

namespace {

using std::chrono::days;
namespace v1 = ::pilotage::v1;

template <typename E>
constexpr uint8_t U8(E value) {
  return static_cast<uint8_t>(value);
}

// ---- Profile (docs/domain.md: 62% women, 15% over 50, >25% CAP/BEP or none).
// 45-54 and 55+ give "over 50" as about half of 45-54 plus 55+: 10% + 6%.
const Weighted<uint8_t> kAgeBand = {{U8(v1::AgeBand::UNDER_26), 11},
                                    {U8(v1::AgeBand::AGE_26_44), 63},
                                    {U8(v1::AgeBand::AGE_45_54), 20},
                                    {U8(v1::AgeBand::AGE_55_PLUS), 6}};
const Weighted<uint8_t> kAgeBandLowPriority = {{U8(v1::AgeBand::UNDER_26), 14},
                                               {U8(v1::AgeBand::AGE_26_44), 70},
                                               {U8(v1::AgeBand::AGE_45_54), 13},
                                               {U8(v1::AgeBand::AGE_55_PLUS), 3}};
const Weighted<uint8_t> kSex = {
    {U8(v1::Sex::FEMALE), 62}, {U8(v1::Sex::MALE), 37}, {U8(v1::Sex::NOT_STATED), 1}};
const Weighted<uint8_t> kQualification = {{U8(v1::Qualification::NONE), 8},
                                          {U8(v1::Qualification::CAP_BEP), 21},
                                          {U8(v1::Qualification::BAC), 24},
                                          {U8(v1::Qualification::BAC_2), 20},
                                          {U8(v1::Qualification::BAC_3_PLUS), 27}};
const Weighted<uint8_t> kQualificationLowPriority = {{U8(v1::Qualification::NONE), 3},
                                                     {U8(v1::Qualification::CAP_BEP), 11},
                                                     {U8(v1::Qualification::BAC), 24},
                                                     {U8(v1::Qualification::BAC_2), 25},
                                                     {U8(v1::Qualification::BAC_3_PLUS), 37}};
const Weighted<uint8_t> kStatus = {{U8(v1::WorkStatus::EMPLOYEE), 87},
                                   {U8(v1::WorkStatus::SELF_EMPLOYED), 10},
                                   {U8(v1::WorkStatus::OTHER), 3}};
const Weighted<uint8_t> kEmployerSize = {{U8(v1::CompanySize::UNDER_11), 19},
                                         {U8(v1::CompanySize::FROM_11_TO_49), 22},
                                         {U8(v1::CompanySize::FROM_50_TO_249), 19},
                                         {U8(v1::CompanySize::FROM_250), 32},
                                         {U8(v1::CompanySize::UNKNOWN), 8}};
const Weighted<uint8_t> kEmployerSizeLowPriority = {{U8(v1::CompanySize::UNDER_11), 10},
                                                    {U8(v1::CompanySize::FROM_11_TO_49), 18},
                                                    {U8(v1::CompanySize::FROM_50_TO_249), 22},
                                                    {U8(v1::CompanySize::FROM_250), 44},
                                                    {U8(v1::CompanySize::UNKNOWN), 6}};
const Weighted<uint8_t> kSelfEmployedSize = {{U8(v1::CompanySize::UNDER_11), 92},
                                             {U8(v1::CompanySize::UNKNOWN), 8}};
const Weighted<uint8_t> kOtherStatusSize = {{U8(v1::CompanySize::UNDER_11), 20},
                                            {U8(v1::CompanySize::UNKNOWN), 80}};
// On a working day before 19:00; otherwise the request can only come from the web.
const Weighted<uint8_t> kChannel = {{U8(v1::Channel::WEB), 36},
                                    {U8(v1::Channel::PHONE), 30},
                                    {U8(v1::Channel::REFERRAL), 20},
                                    {U8(v1::Channel::IN_PERSON), 14}};

// ---- First appointment, in working days after the request. Normal: about
// 91% within 10 (docs/domain.md: "offered within 10 days"); slow: about 45%.
Weighted<int> FirstDelay(bool slow) {
  Weighted<int> w;
  if (!slow) {
    const double head[] = {6, 12, 14, 13, 12, 10, 8, 7, 5, 4};
    for (int d = 1; d <= 10; ++d) w.Add(d, head[d - 1]);
    for (int d = 11; d <= 15; ++d) w.Add(d, 1.2);
    for (int d = 16; d <= 25; ++d) w.Add(d, 0.3);
  } else {
    for (int d = 3; d <= 10; ++d) w.Add(d, 45.0 / 8);
    for (int d = 11; d <= 20; ++d) w.Add(d, 4.5);
    for (int d = 21; d <= 40; ++d) w.Add(d, 0.5);
  }
  return w;
}
const Weighted<int> kFirstDelay = FirstDelay(false);
const Weighted<int> kFirstDelaySlow = FirstDelay(true);

// ---- Appointments. Level 1 "about 1h30"; level 2 shorter.
const Weighted<uint16_t> kLevel1Minutes = {{60, 15}, {75, 15}, {90, 55}, {105, 5}, {120, 10}};
const Weighted<uint16_t> kLevel2Minutes = {{45, 15}, {60, 50}, {75, 15}, {90, 20}};
const Weighted<uint8_t> kLevel1Modality = {{U8(v1::Modality::IN_PERSON), 62},
                                           {U8(v1::Modality::PHONE), 22},
                                           {U8(v1::Modality::VIDEO), 16}};
const Weighted<uint8_t> kLevel2Modality = {{U8(v1::Modality::IN_PERSON), 55},
                                           {U8(v1::Modality::PHONE), 20},
                                           {U8(v1::Modality::VIDEO), 25}};
constexpr double kSecondWelcome = 0.2;  // a second level-1 appointment
constexpr double kGoesToLevel2 = 0.5;
constexpr double kLongTerm = 0.82;  // of level-2 journeys; the rest is one-off help
const Weighted<int> kLongTermCount = {{2, 15}, {3, 22}, {4, 25}, {5, 22}, {6, 16}};
const Weighted<int> kOneOffCount = {{2, 70}, {3, 30}};
constexpr double kDropOut = 0.03;  // before each level-2 appointment

// ---- Missed appointments: about 8% of those booked.
constexpr double kMissed = 0.08;
const Weighted<uint8_t> kMissReason = {{U8(v1::MissReason::NO_SHOW), 50},
                                       {U8(v1::MissReason::CANCELLED_BY_BENEFICIARY), 38},
                                       {U8(v1::MissReason::CANCELLED_BY_OPERATOR), 12}};
constexpr double kAbandonAfterFirstMiss = 0.22;
constexpr double kAbandonAfterLaterMiss = 0.15;

// ---- Deliverables.
constexpr double kSummaryDocument = 0.7;
constexpr double kActionPlanLongTerm = 0.88;
constexpr double kActionPlanOneOff = 0.6;

// ---- Closure.
const Weighted<uint8_t> kLevel1Outcome = {{U8(v1::Outcome::PROJECT_DEFINED), 30},
                                          {U8(v1::Outcome::REFERRED), 40},
                                          {U8(v1::Outcome::TRAINING_STARTED), 5},
                                          {U8(v1::Outcome::JOB_CHANGE), 5},
                                          {U8(v1::Outcome::OTHER), 20}};
const Weighted<uint8_t> kLevel2Outcome = {
    {U8(v1::Outcome::PROJECT_DEFINED), 28}, {U8(v1::Outcome::TRAINING_STARTED), 27},
    {U8(v1::Outcome::JOB_CHANGE), 17},      {U8(v1::Outcome::BUSINESS_CREATION), 8},
    {U8(v1::Outcome::REFERRED), 12},        {U8(v1::Outcome::OTHER), 8}};

const Weighted<uint8_t>& ReferralFor(uint8_t outcome) {
  static const Weighted<uint8_t> kReferred = {{U8(v1::Referral::CPF), 25},
                                              {U8(v1::Referral::TRANSITIONS_PRO), 20},
                                              {U8(v1::Referral::FRANCE_TRAVAIL), 20},
                                              {U8(v1::Referral::APEC), 20},
                                              {U8(v1::Referral::VAE), 15}};
  static const Weighted<uint8_t> kTraining = {{U8(v1::Referral::CPF), 55},
                                              {U8(v1::Referral::TRANSITIONS_PRO), 35},
                                              {U8(v1::Referral::VAE), 10}};
  static const Weighted<uint8_t> kBusiness = {{U8(v1::Referral::FRANCE_TRAVAIL), 40},
                                              {U8(v1::Referral::NONE), 60}};
  static const Weighted<uint8_t> kProject = {{U8(v1::Referral::NONE), 60},
                                             {U8(v1::Referral::CPF), 20},
                                             {U8(v1::Referral::APEC), 10},
                                             {U8(v1::Referral::VAE), 10}};
  static const Weighted<uint8_t> kJobChange = {{U8(v1::Referral::NONE), 85},
                                               {U8(v1::Referral::APEC), 15}};
  static const Weighted<uint8_t> kNone = {{U8(v1::Referral::NONE), 1}};
  switch (outcome) {
    case U8(v1::Outcome::REFERRED):
      return kReferred;
    case U8(v1::Outcome::TRAINING_STARTED):
      return kTraining;
    case U8(v1::Outcome::BUSINESS_CREATION):
      return kBusiness;
    case U8(v1::Outcome::PROJECT_DEFINED):
      return kProject;
    case U8(v1::Outcome::JOB_CHANGE):
      return kJobChange;
    default:
      return kNone;
  }
}

// ---- Surveys (docs/domain.md: ~91-92% satisfied; useful for 87% after level 2,
// 67% after level 1; a wave at the end and one six months later).
constexpr double kEndSurvey = 0.63;
constexpr double kEndSurveyAbandoned = 0.25;
constexpr double kSixMonthSurvey = 0.35;
constexpr double kSixMonthSurveyAbandoned = 0.2;
// About 90% of scores at 7 or more.
const Weighted<uint8_t> kScore = {{1, 1},   {2, 1},  {3, 1.5}, {4, 2},  {5, 2},
                                  {6, 2.5}, {7, 10}, {8, 28},  {9, 27}, {10, 25}};
// About 68% at 7 or more.
const Weighted<uint8_t> kScoreLow = {{1, 3}, {2, 3},  {3, 4},  {4, 5},  {5, 8},
                                     {6, 9}, {7, 16}, {8, 22}, {9, 17}, {10, 13}};

class JourneyPlanner {
 public:
  JourneyPlanner(const JourneyInput& in, std::vector<PlannedEvent>* out)
      : in_(in),
        profile_(in.lot->profile),
        zone_(in.lot->timezone),
        rng_(HashValues({in.seed, in.lot_hash, in.beneficiary, 0x6a6f75726e6579ULL})),
        out_(out),
        first_(out->size()) {}

  void Plan() {
    const RequestBody request = Profile();
    PlannedEvent& ev = Emit(ActivityType::kRequestReceived, in_.request_ms);
    ev.body.request = request;
    ev.departement = residence_;

    level2_ = rng_.Chance(kGoesToLevel2);
    long_term_ = level2_ && rng_.Chance(kLongTerm);
    kind_ = U8(long_term_ ? v1::SupportKind::LONG_TERM : v1::SupportKind::ONE_OFF);

    bool abandoned = false;
    Day day = AddWorkingDays(
        in_.request_day,
        (profile_.slow_first_appointment ? kFirstDelaySlow : kFirstDelay).Sample(rng_), zone_);
    const int welcomes = rng_.Chance(kSecondWelcome) ? 2 : 1;
    for (int i = 0; i < welcomes && !abandoned && open_; ++i) {
      if (i > 0) day = AddWorkingDays(day, static_cast<int>(rng_.Between(3, 10)), zone_);
      abandoned = !Attend(U8(v1::Level::LEVEL_1_WELCOME), &day);
    }
    if (!abandoned && rng_.Chance(kSummaryDocument)) {
      Deliver(U8(v1::DeliverableType::SUMMARY_DOCUMENT), day);
    }
    if (!abandoned && level2_) {
      const int count = (long_term_ ? kLongTermCount : kOneOffCount).Sample(rng_);
      for (int i = 0; i < count && !abandoned && open_; ++i) {
        const int gap =
            i == 0 ? static_cast<int>(rng_.Between(5, 20))
                   : static_cast<int>(long_term_ ? rng_.Between(5, 30) : rng_.Between(3, 10));
        day = AvoidSummerLeave(AddWorkingDays(day, gap, zone_));
        abandoned = rng_.Chance(kDropOut) || !Attend(U8(v1::Level::LEVEL_2_SUPPORT), &day);
      }
      if (!abandoned && rng_.Chance(long_term_ ? kActionPlanLongTerm : kActionPlanOneOff)) {
        Deliver(U8(v1::DeliverableType::ACTION_PLAN), day);
      }
    }
    Close(abandoned, day);
    Record();
  }

 private:
  RequestBody Profile() {
    const bool low = profile_.low_priority_publics;
    RequestBody r{};
    r.age_band = (low ? kAgeBandLowPriority : kAgeBand).Sample(rng_);
    r.sex = kSex.Sample(rng_);
    r.qualification = (low ? kQualificationLowPriority : kQualification).Sample(rng_);
    r.status = kStatus.Sample(rng_);
    switch (r.status) {
      case U8(v1::WorkStatus::EMPLOYEE):
        r.company_size = (low ? kEmployerSizeLowPriority : kEmployerSize).Sample(rng_);
        break;
      case U8(v1::WorkStatus::SELF_EMPLOYED):
        r.company_size = kSelfEmployedSize.Sample(rng_);
        break;
      default:
        r.company_size = kOtherStatusSize.Sample(rng_);
    }
    residence_ = in_.residence->Sample(rng_);
    qualification_ = r.qualification;
    const bool office_hours = IsWorkingDay(in_.request_day, zone_) && in_.request_minute < 19 * 60;
    r.channel = office_hours ? kChannel.Sample(rng_) : U8(v1::Channel::WEB);
    return r;
  }

  // Books appointments from `*day` until one is held (true, *day = its day)
  // or the beneficiary gives up after a miss (false).
  bool Attend(uint8_t level, Day* day) {
    for (int misses = 0;; ++misses) {
      const uint8_t number = ++appointments_;
      const int64_t slot = Slot(*day, 8 * 60 + 30, 17 * 60 + 30);
      if (rng_.Chance(kMissed)) {
        const uint8_t reason = kMissReason.Sample(rng_);
        const int64_t when = reason == U8(v1::MissReason::NO_SHOW)
                                 ? slot + 20 * kMillisPerMinute
                                 : slot - rng_.Between(2 * kMillisPerHour, 72 * kMillisPerHour);
        PlannedEvent& ev = Emit(ActivityType::kAppointmentMissed, when);
        ev.appointment = number;
        ev.body.missed = MissedBody{reason};
        const double give_up = misses >= 2   ? 1.0
                               : number == 1 ? kAbandonAfterFirstMiss
                                             : kAbandonAfterLaterMiss;
        if (reason != U8(v1::MissReason::CANCELLED_BY_OPERATOR) && rng_.Chance(give_up)) {
          return false;
        }
        *day = AddWorkingDays(*day, static_cast<int>(rng_.Between(2, 8)), zone_);
        continue;
      }
      const bool welcome = level == U8(v1::Level::LEVEL_1_WELCOME);
      HeldBody held{};
      held.level = level;
      held.modality = (welcome ? kLevel1Modality : kLevel2Modality).Sample(rng_);
      held.kind = kind_;
      held.duration_minutes = (welcome ? kLevel1Minutes : kLevel2Minutes).Sample(rng_);
      uint8_t venue = residence_;
      if (held.modality == U8(v1::Modality::IN_PERSON) && in_.lot->entry.departements.size() > 1 &&
          rng_.Chance(0.08)) {
        venue = static_cast<uint8_t>(
            rng_.Between(0, static_cast<int64_t>(in_.lot->entry.departements.size()) - 1));
      }
      PlannedEvent& ev = Emit(ActivityType::kAppointmentHeld, slot);
      ev.appointment = number;
      ev.departement = venue;
      ev.body.held = held;
      last_end_ms_ = slot + held.duration_minutes * kMillisPerMinute;
      return true;
    }
  }

  void Deliver(uint8_t type, Day day) {
    const int64_t when = std::max(
        last_end_ms_ + 10 * kMillisPerMinute,
        Slot(AddWorkingDays(day, static_cast<int>(rng_.Between(0, 3)), zone_), 10 * 60, 18 * 60));
    PlannedEvent& ev = Emit(ActivityType::kDeliverableIssued, when);
    ev.body.deliverable = DeliverableBody{type};
  }

  void Close(bool abandoned, Day last_day) {
    uint8_t outcome = U8(v1::Outcome::ABANDONED);
    int wait = static_cast<int>(rng_.Between(10, 40));  // the operator closes after no news
    if (!abandoned) {
      outcome = (level2_ ? kLevel2Outcome : kLevel1Outcome).Sample(rng_);
      wait = static_cast<int>(level2_ ? rng_.Between(1, 10) : rng_.Between(0, 5));
    }
    uint8_t referral = ReferralFor(outcome).Sample(rng_);
    if (referral == U8(v1::Referral::APEC) &&
        qualification_ < U8(v1::Qualification::BAC_2)) {  // APEC serves managers
      referral = U8(v1::Referral::CPF);
    }
    const Day day = AddWorkingDays(last_day, wait, zone_);
    PlannedEvent& ev =
        Emit(ActivityType::kJourneyClosed,
             std::max(last_end_ms_ + 15 * kMillisPerMinute, Slot(day, 9 * 60, 18 * 60)));
    ev.body.closed = ClosedBody{outcome, referral};
    const int64_t closed_ms = ev.occurred_ms;

    const bool low = profile_.low_satisfaction || abandoned;
    if (rng_.Chance(abandoned ? kEndSurveyAbandoned : kEndSurvey)) {
      SurveyBody s{};
      s.wave = U8(v1::SurveyWave::END_OF_SERVICE);
      s.satisfaction = (low ? kScoreLow : kScore).Sample(rng_);
      double useful = s.satisfaction >= 7 ? (level2_ ? 0.94 : 0.72) : 0.3;
      if (profile_.low_satisfaction) useful -= 0.1;
      s.useful = rng_.Chance(useful);
      Survey(s, day + days{rng_.Between(1, 21)}, closed_ms);
    }
    if (rng_.Chance(abandoned ? kSixMonthSurveyAbandoned : kSixMonthSurvey)) {
      SurveyBody s{};
      s.wave = U8(v1::SurveyWave::SIX_MONTHS);
      s.satisfaction = (low ? kScoreLow : kScore).Sample(rng_);
      s.useful = rng_.Chance(profile_.low_satisfaction ? 0.72 : 0.87);
      s.situation_improved = rng_.Chance(s.useful ? 0.72 : 0.25);
      Survey(s, day + days{rng_.Between(175, 200)}, closed_ms);
    }
  }

  void Survey(const SurveyBody& body, Day day, int64_t after_ms) {
    const int64_t when =
        std::max(after_ms + kMillisPerHour,
                 LocalToUtcMillis(day, static_cast<int>(rng_.Between(8 * 60, 22 * 60 - 1)), zone_) +
                     rng_.Between(0, 59'999));
    PlannedEvent& ev = Emit(ActivityType::kSurveyAnswered, when);
    ev.body.survey = body;
  }

  // Level-2 appointments falling in the first three weeks of August are
  // mostly moved after the summer break.
  Day AvoidSummerLeave(Day day) {
    const std::chrono::year_month_day ymd{day};
    if (ymd.month() == std::chrono::August && static_cast<unsigned>(ymd.day()) <= 20 &&
        rng_.Chance(0.6)) {
      const Day after = Day{ymd.year() / std::chrono::August / 21};
      return AddWorkingDays(after, static_cast<int>(rng_.Between(0, 5)), zone_);
    }
    return day;
  }

  // A quarter-hour slot in [from, to] local time on `day`.
  int64_t Slot(Day day, int from_minute, int to_minute) {
    const int minute =
        from_minute + 15 * static_cast<int>(rng_.Between(0, (to_minute - from_minute) / 15));
    return LocalToUtcMillis(day, minute, zone_);
  }

  // Adds the next event of the journey, at least a minute after the previous
  // one. Once an event falls past the cutoff the journey is cut there: later
  // events go to a scratch slot that is dropped.
  PlannedEvent& Emit(ActivityType type, int64_t occurred_ms) {
    occurred_ms = std::max(occurred_ms, last_ms_ + kMillisPerMinute);
    last_ms_ = occurred_ms;
    if (occurred_ms >= in_.cutoff_ms) open_ = false;
    if (!open_) {
      scratch_ = PlannedEvent{};
      return scratch_;
    }
    PlannedEvent& ev = out_->emplace_back();
    ev.occurred_ms = occurred_ms;
    ev.beneficiary = in_.beneficiary;
    ev.lot = in_.lot_index;
    ev.seq = seq_++;
    ev.type = type;
    return ev;
  }

  // Gateway receipt times, late reports and resent copies.
  void Record() {
    const double late_rate = in_.late_rate;
    const int64_t late_min = (profile_.late_reporting ? 5 : 2) * kMillisPerDay;
    const int64_t late_max = (profile_.late_reporting ? 45 : 20) * kMillisPerDay;
    const size_t end = out_->size();
    for (size_t i = first_; i < end; ++i) {
      PlannedEvent& ev = (*out_)[i];
      ev.recorded_ms =
          ev.occurred_ms + (rng_.Chance(late_rate) ? rng_.Between(late_min, late_max)
                                                   : rng_.Between(5'000, 2 * kMillisPerHour));
      if (rng_.Chance(in_.resend_rate)) {
        PlannedEvent copy = ev;
        copy.resend = true;
        copy.recorded_ms = ev.recorded_ms + rng_.Between(30'000, 36 * kMillisPerHour);
        out_->push_back(copy);
      }
    }
  }

  const JourneyInput& in_;
  const LotProfile& profile_;
  const TimeZone zone_;
  Rng rng_;
  std::vector<PlannedEvent>* out_;
  const size_t first_;
  PlannedEvent scratch_;
  bool open_ = true;
  int64_t last_ms_ = 0;
  int64_t last_end_ms_ = 0;
  uint8_t seq_ = 0;
  uint8_t appointments_ = 0;
  uint8_t residence_ = 0;
  uint8_t qualification_ = 0;
  bool level2_ = false;
  bool long_term_ = false;
  uint8_t kind_ = 0;
};

}  // namespace

void PlanJourney(const JourneyInput& input, std::vector<PlannedEvent>* out) {
  JourneyPlanner(input, out).Plan();
}

}  // namespace pilotage::simulator
