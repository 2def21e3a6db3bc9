#include "gtest/gtest.h"
#include "pilotage/pilotagectl/kpis.h"

namespace pilotage::pilotagectl {
namespace {

TEST(FrenchFormat, GroupsThousandsWithSpaces) {
  EXPECT_EQ(FrenchCount(13500), "13 500");
  EXPECT_EQ(FrenchCount(950), "950");
  EXPECT_EQ(FrenchCount(1234567.4), "1 234 567");
}

TEST(FrenchFormat, WritesSharesAsPercentWithADecimalComma) {
  EXPECT_EQ(FrenchPercent(0.825), "82,5 %");
  EXPECT_EQ(FrenchPercent(1.0), "100,0 %");
}

}  // namespace
}  // namespace pilotage::pilotagectl
