// StopSignal: a real SIGTERM sent to this process. The test binary holds
// this one test, so no other thread can take the signal.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "pilotage/service/service.h"

namespace pilotage::service {
namespace {

TEST(StopSignal, ASignalBeforeTheCallbackIsSetIsNotLost) {
  StopSignal stop;
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  while (!stop.stopped()) std::this_thread::yield();
  // The service was still starting when the signal came: its stop runs as
  // soon as it says how to stop, instead of serving until killed.
  int calls = 0;
  stop.OnStop([&calls] { ++calls; });
  EXPECT_EQ(calls, 1);
  // Removing the callback waits for none and calls nothing.
  stop.OnStop(nullptr);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace pilotage::service
