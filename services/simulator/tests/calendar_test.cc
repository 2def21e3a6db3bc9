#include "calendar.h"

#include <string>

#include "gtest/gtest.h"

namespace pilotage::simulator {
namespace {

Day D(const char* text) { return *ParseDate(text); }

TEST(Calendar, ParsesOnlyValidIsoDates) {
  EXPECT_TRUE(ParseDate("2024-02-29"));
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-1-01", "24-01-01", "2024/01/01", ""}) {
    EXPECT_FALSE(ParseDate(bad)) << bad;
  }
}

TEST(Calendar, KnowsEasterAndTheMovableHolidays) {
  EXPECT_EQ(EasterSunday(2024), D("2024-03-31"));
  EXPECT_EQ(EasterSunday(2025), D("2025-04-20"));
  EXPECT_EQ(EasterSunday(2027), D("2027-03-28"));
  struct Case {
    const char* day;
    bool holiday;
  };
  for (const Case& c : {Case{"2024-04-01", true},   // Easter Monday
                        Case{"2024-05-09", true},   // Ascension
                        Case{"2024-05-20", true},   // Whit Monday
                        Case{"2024-07-14", true},   // national day
                        Case{"2024-11-11", true},   // armistice
                        Case{"2024-12-20", false},  // mainland
                        Case{"2024-04-02", false}}) {
    EXPECT_EQ(IsPublicHoliday(D(c.day), TimeZone::kEuropeParis), c.holiday) << c.day;
  }
  EXPECT_TRUE(IsPublicHoliday(D("2024-12-20"), TimeZone::kIndianReunion));
}

TEST(Calendar, WorkingDaysSkipWeekendsAndHolidays) {
  // Friday 10 May 2024 + 1 working day: Monday 13 May.
  EXPECT_EQ(AddWorkingDays(D("2024-05-10"), 1, TimeZone::kEuropeParis), D("2024-05-13"));
  // Tuesday 7 May + 2: Wed 8 May and Thu 9 May are holidays -> Fri 10, Mon 13.
  EXPECT_EQ(AddWorkingDays(D("2024-05-07"), 2, TimeZone::kEuropeParis), D("2024-05-13"));
  EXPECT_EQ(WorkingDayOnOrAfter(D("2024-12-25"), TimeZone::kEuropeParis), D("2024-12-26"));
}

TEST(Calendar, PlacesLocalTimeInUtc) {
  // 09:00 in Paris is 08:00 UTC in winter, 07:00 UTC in summer; 05:00 UTC in La Réunion.
  const int64_t winter = LocalToUtcMillis(D("2024-01-15"), 9 * 60, TimeZone::kEuropeParis);
  EXPECT_EQ(winter % kMillisPerDay, 8 * kMillisPerHour);
  const int64_t summer = LocalToUtcMillis(D("2024-07-15"), 9 * 60, TimeZone::kEuropeParis);
  EXPECT_EQ(summer % kMillisPerDay, 7 * kMillisPerHour);
  const int64_t reunion = LocalToUtcMillis(D("2024-07-15"), 9 * 60, TimeZone::kIndianReunion);
  EXPECT_EQ(reunion % kMillisPerDay, 5 * kMillisPerHour);
  EXPECT_EQ(LocalDayOf(summer, TimeZone::kEuropeParis), D("2024-07-15"));
  // 23:30 local in Paris is still the same local day although 21:30 UTC.
  EXPECT_EQ(LocalDayOf(LocalToUtcMillis(D("2024-07-15"), 23 * 60 + 30, TimeZone::kEuropeParis),
                       TimeZone::kEuropeParis),
            D("2024-07-15"));
}

}  // namespace
}  // namespace pilotage::simulator
