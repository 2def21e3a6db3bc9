#include "pilotage/service/ticker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pilotage::service {
namespace {

using namespace std::chrono_literals;

TEST(Ticker, RunsAtOnceThenRepeatsUntilDestroyed) {
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  {
    Ticker ticker(1ms, [&] {
      std::lock_guard lock(mu);
      ++runs;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return runs >= 3; });
  }
  std::lock_guard lock(mu);
  const int after = runs;
  EXPECT_GE(after, 3);
}

TEST(Ticker, AfterIntervalNeverRunsWhenDestroyedFirst) {
  // An hour's interval: destruction wakes the thread, which returns without
  // running the work (and without waiting the hour).
  std::atomic<int> runs{0};
  {
    Ticker ticker(
        std::chrono::hours(1), [&] { ++runs; }, Ticker::First::kAfterInterval);
  }
  EXPECT_EQ(runs.load(), 0);
}

TEST(Ticker, NowRunsOnceEvenWithALongInterval) {
  std::mutex mu;
  std::condition_variable cv;
  int runs = 0;
  {
    Ticker ticker(std::chrono::hours(1), [&] {
      std::lock_guard lock(mu);
      ++runs;
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return runs >= 1; });
  }
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace pilotage::service
