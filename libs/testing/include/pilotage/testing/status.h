// Assertions on absl::Status and absl::StatusOr<T> that print the status on failure.
//
//   EXPECT_OK(store.Put(key, value));          // Status or StatusOr<T>
//   ASSERT_OK(terms);                          // a StatusOr<T> variable
//   ASSERT_OK_AND_ASSIGN(auto period, domain::ParsePeriod("2024-Q1"));
//   ASSERT_OK_AND_ASSIGN(lots, ReadLots(path));  // assigns to an existing variable
//
// On failure the message names the expression and prints the status (code and message), e.g.
//   store.Put(key, value) is not OK: NOT_FOUND: no column family 'x'
// which a bare `EXPECT_TRUE(x.ok())` does not. ASSERT_OK and ASSERT_OK_AND_ASSIGN return from the
// enclosing function on failure (as every ASSERT_*), so they need a function returning void.
// ASSERT_OK_AND_ASSIGN evaluates its expression once, moves the value out of the StatusOr, and
// its left-hand side must not contain an unparenthesised comma.
// Header-only, no state: usable from any thread GoogleTest allows assertions on.
#ifndef PILOTAGE_TESTING_STATUS_H_
#define PILOTAGE_TESTING_STATUS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace pilotage::testing {

// The status of a Status (itself) or of a StatusOr<T>.
inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Predicate formatter for EXPECT_PRED_FORMAT1: success when OK, else the expression and status.
template <typename S>
::testing::AssertionResult IsOkFormat(const char* expression, const S& value) {
  const absl::Status& status = StatusOf(value);
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expression << " is not OK: " << status.ToString();
}

}  // namespace pilotage::testing

#define EXPECT_OK(expression) EXPECT_PRED_FORMAT1(::pilotage::testing::IsOkFormat, expression)
#define ASSERT_OK(expression) ASSERT_PRED_FORMAT1(::pilotage::testing::IsOkFormat, expression)

#define PILOTAGE_TESTING_CONCAT_INNER(a, b) a##b
#define PILOTAGE_TESTING_CONCAT(a, b) PILOTAGE_TESTING_CONCAT_INNER(a, b)
#define PILOTAGE_TESTING_ASSERT_OK_AND_ASSIGN(status_or, lhs, expression)                       \
  auto status_or = (expression);                                                                \
  GTEST_ASSERT_(::pilotage::testing::IsOkFormat(#expression, status_or), GTEST_FATAL_FAILURE_); \
  lhs = std::move(status_or).value()

#define ASSERT_OK_AND_ASSIGN(lhs, expression)                                                   \
  PILOTAGE_TESTING_ASSERT_OK_AND_ASSIGN(PILOTAGE_TESTING_CONCAT(pilotage_status_or_, __LINE__), \
                                        lhs, expression)

#endif  // PILOTAGE_TESTING_STATUS_H_
