// ReloadSignal: real SIGHUPs sent to this process. The test binary holds
// this one test, so no other thread can take the signal.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "pilotage/service/service.h"

namespace pilotage::service {
namespace {

TEST(ReloadSignal, EachSighupRunsTheCallbackAndTheProcessLivesOn) {
  std::mutex mutex;
  std::condition_variable changed;
  int calls = 0;
  {
    // As in the services' main(): StopSignal first. Its thread must not
    // take the SIGHUP (whose default action would end this process).
    StopSignal stop;
    ReloadSignal reload;
    // Before a callback is set, SIGHUP is dropped, not fatal (its default
    // action would end this process). It may also be taken once the
    // callback below is set: each round only needs a call after its kill.
    ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
    reload.OnReload([&] {
      std::lock_guard lock(mutex);
      ++calls;
      changed.notify_all();
    });
    for (int round = 1; round <= 3; ++round) {
      std::unique_lock lock(mutex);
      const int before = calls;
      ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
      ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(30), [&] { return calls > before; }))
          << "round " << round;
    }
    // Removing the callback waits for a call in progress: none runs after.
    reload.OnReload(nullptr);
  }
  // The destructor woke and joined the signal thread (no hang), and the
  // process is still here after four SIGHUPs.
  EXPECT_GE(calls, 3);
}

}  // namespace
}  // namespace pilotage::service
