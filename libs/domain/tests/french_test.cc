#include "pilotage/domain/french.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace pilotage::domain {
namespace {

// Spelled out so that each expected string is visibly what Intl.NumberFormat
// ('fr-FR') writes in the dashboard: U+202F between groups of digits, U+00A0
// before "€" and "%".
#define NNBSP "\u202f"
#define NBSP "\u00a0"

TEST(FrenchInteger, GroupsDigitsByThreeWithNarrowNoBreakSpaces) {
  EXPECT_EQ(FrenchInteger(0), "0");
  EXPECT_EQ(FrenchInteger(950), "950");
  EXPECT_EQ(FrenchInteger(1000), "1" NNBSP "000");
  EXPECT_EQ(FrenchInteger(13500), "13" NNBSP "500");
  EXPECT_EQ(FrenchInteger(1452520), "1" NNBSP "452" NNBSP "520");
  EXPECT_EQ(FrenchInteger(-13500), "-13" NNBSP "500");
  EXPECT_EQ(FrenchInteger(std::numeric_limits<int64_t>::min()),
            "-9" NNBSP "223" NNBSP "372" NNBSP "036" NNBSP "854" NNBSP "775" NNBSP "808");
}

TEST(FrenchCount, RoundsToTheNearestWholeNumber) {
  EXPECT_EQ(FrenchCount(8.95), "9");
  EXPECT_EQ(FrenchCount(1234567.4), "1" NNBSP "234" NNBSP "567");
  EXPECT_EQ(FrenchCount(2.5), "3");
  EXPECT_EQ(FrenchCount(-2.5), "-3");
}

TEST(FrenchEuros, WritesCentsAfterACommaAndTheEuroSignAfterANoBreakSpace) {
  EXPECT_EQ(FrenchEuros(0), "0,00" NBSP "€");
  EXPECT_EQ(FrenchEuros(5), "0,05" NBSP "€");
  EXPECT_EQ(FrenchEuros(73500), "735,00" NBSP "€");
  EXPECT_EQ(FrenchEuros(148624), "1" NNBSP "486,24" NBSP "€");
  EXPECT_EQ(FrenchEuros(145252000), "1" NNBSP "452" NNBSP "520,00" NBSP "€");
  EXPECT_EQ(FrenchEuros(-23000), "-230,00" NBSP "€");
  EXPECT_EQ(FrenchEuros(-5), "-0,05" NBSP "€");
}

TEST(FrenchPercent, WritesADecimalCommaAndThePercentSignAfterANoBreakSpace) {
  EXPECT_EQ(FrenchPercent(0.786), "78,6" NBSP "%");
  EXPECT_EQ(FrenchPercent(0.825), "82,5" NBSP "%");
  EXPECT_EQ(FrenchPercent(1.0), "100,0" NBSP "%");
  EXPECT_EQ(FrenchPercent(0.0), "0,0" NBSP "%");
  EXPECT_EQ(FrenchPercent(0.0125, 2), "1,25" NBSP "%");
  EXPECT_EQ(FrenchPercent(0.1, 2), "10,00" NBSP "%");
}

TEST(FrenchDay, WritesAnIsoDayAsDayMonthYear) {
  EXPECT_EQ(FrenchDay("2024-07-05"), "05/07/2024");
  EXPECT_EQ(FrenchDay("2025-01-15"), "15/01/2025");
}

TEST(FrenchDay, LeavesTextThatIsNotADayAsItIs) {
  EXPECT_EQ(FrenchDay(""), "");
  EXPECT_EQ(FrenchDay("2024-02-30"), "2024-02-30");
  EXPECT_EQ(FrenchDay("demain"), "demain");
}

TEST(FrenchCapitalized, CapitalizesTheFirstLetterAccentedOrNot) {
  EXPECT_EQ(FrenchCapitalized("atteint"), "Atteint");
  EXPECT_EQ(FrenchCapitalized("\u00e0 risque"), "\u00c0 risque");
  EXPECT_EQ(FrenchCapitalized("\u00e9cart"), "\u00c9cart");
  EXPECT_EQ(FrenchCapitalized("D\u00e9j\u00e0"), "D\u00e9j\u00e0");
  EXPECT_EQ(FrenchCapitalized("\u00f7 2"), "\u00f7 2");
  EXPECT_EQ(FrenchCapitalized("2 lots"), "2 lots");
  EXPECT_EQ(FrenchCapitalized(""), "");
}

TEST(FormatEuros, KeepsTheAsciiFormatOfRecordedText) {
  EXPECT_EQ(FormatEuros(0), "0,00 EUR");
  EXPECT_EQ(FormatEuros(123456), "1 234,56 EUR");
  EXPECT_EQ(FormatEuros(100000000), "1 000 000,00 EUR");
  EXPECT_EQ(FormatEuros(-23000), "-230,00 EUR");
}

}  // namespace
}  // namespace pilotage::domain
