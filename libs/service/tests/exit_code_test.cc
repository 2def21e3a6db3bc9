// The exit codes every program documents in its --help and in
// docs/operations.md, from the status a program ends with.
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "pilotage/service/service.h"

namespace pilotage::service {
namespace {

TEST(ExitCodeFor, EachKindOfFailureHasTheDocumentedCode) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 1);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::OutOfRangeError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("x")), 3);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 5);
  EXPECT_EQ(ExitCodeFor(absl::AlreadyExistsError("x")), 6);
}

// A principal the broker refuses is a configuration to fix, not an
// unexplained 1 that systemd would restart forever.
TEST(ExitCodeFor, TheBrokerRefusingThePrincipalIsEleven) {
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("TOPIC_AUTHORIZATION_FAILED")), 11);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("SASL authentication failed")), 11);
}

}  // namespace
}  // namespace pilotage::service
