#pragma once
// The query service's background work: answers recomputed, and catch-ups,
// at a lower priority than the requests, so that they yield the CPU to
// them.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace pilotage::query {

// Lowers the calling thread's priority to the background's nice value
// (Linux: per thread); a failure is logged at debug level and ignored.
void LowerThisThreadPriority();

// One thread computing answers in the background, in submission order, at
// a lower priority (LowerThisThreadPriority); a key already waiting is not
// queued twice (the work computes on the newest view when it runs); pending
// work is dropped at destruction, which waits for the work running.
// Thread-safe: Submit may be called from any thread.
class Refresher {
 public:
  Refresher();
  ~Refresher();
  Refresher(const Refresher&) = delete;
  Refresher& operator=(const Refresher&) = delete;

  // Queues `work` under `key`, unless work of that key is already waiting.
  void Submit(const std::string& key, std::function<void()> work);

 private:
  void Loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::set<std::string> pending_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace pilotage::query
