// ASSERT_OK, EXPECT_OK and ASSERT_OK_AND_ASSIGN: they pass on OK, and on an error they fail
// with the expression and the status's code and message in the failure text.
#include "pilotage/testing/status.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pilotage::testing {
namespace {

absl::Status Refused() { return absl::NotFoundError("no lot 'LOT-99'"); }
absl::StatusOr<int> NoNumber() { return absl::InvalidArgumentError("'x' is not a number"); }
absl::StatusOr<std::unique_ptr<std::string>> Boxed() {
  return std::make_unique<std::string>("lot");
}

TEST(StatusAssertions, PassOnOk) {
  EXPECT_OK(absl::OkStatus());
  ASSERT_OK(absl::StatusOr<int>(3));
  ASSERT_OK_AND_ASSIGN(const int three, absl::StatusOr<int>(3));
  EXPECT_EQ(three, 3);
  std::unique_ptr<std::string> box;
  ASSERT_OK_AND_ASSIGN(box, Boxed());  // a move-only value, into an existing variable
  ASSERT_NE(box, nullptr);
  EXPECT_EQ(*box, "lot");
}

TEST(StatusAssertions, ExpectOkPrintsTheExpressionAndTheStatus) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Refused()), "Refused() is not OK: NOT_FOUND: no lot 'LOT-99'");
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(NoNumber()),
                          "NoNumber() is not OK: INVALID_ARGUMENT: 'x' is not a number");
}

TEST(StatusAssertions, AssertOkPrintsTheStatusAndStops) {
  EXPECT_FATAL_FAILURE(ASSERT_OK(Refused()), "NOT_FOUND: no lot 'LOT-99'");
}

void AssignOrStop() {
  ASSERT_OK_AND_ASSIGN(const int number, NoNumber());
  ADD_FAILURE() << "went on after a failed ASSERT_OK_AND_ASSIGN with " << number;
}

TEST(StatusAssertions, AssertOkAndAssignPrintsTheStatusAndStops) {
  EXPECT_FATAL_FAILURE(AssignOrStop(),
                       "NoNumber() is not OK: INVALID_ARGUMENT: 'x' is not a number");
}

}  // namespace
}  // namespace pilotage::testing
