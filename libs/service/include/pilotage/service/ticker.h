#pragma once
// Ticker: runs some work periodically on a thread of its own until it is
// destroyed (a service's background catch-up, end-offset polling, metrics
// refresh). The destructor wakes the thread at once and joins it: it waits
// only for a run of the work in progress, never for the interval.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace pilotage::service {

class Ticker {
 public:
  enum class First {
    kNow,            // work() runs at once, then every interval
    kAfterInterval,  // the first run comes one interval after construction
  };

  Ticker(std::chrono::milliseconds interval, std::function<void()> work, First first = First::kNow);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  void Loop(std::chrono::milliseconds interval, const std::function<void()>& work, First first);

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace pilotage::service
