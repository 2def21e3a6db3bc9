// Background work of the query service (background.h).
#include "background.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include "spdlog/spdlog.h"

namespace pilotage::query {
namespace {

// Background work yields the CPU to requests: computations and catch-ups
// run at this nice value (Linux: per thread), requests at the process's.
constexpr int kBackgroundNice = 10;

}  // namespace

void LowerThisThreadPriority() {
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice) != 0) {
    spdlog::debug("query: cannot lower a background thread's priority: errno {}", errno);
  }
}

Refresher::Refresher() : thread_([this] { Loop(); }) {}

Refresher::~Refresher() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Refresher::Submit(const std::string& key, std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    if (!pending_.insert(key).second) return;
    queue_.emplace_back(key, std::move(work));
  }
  cv_.notify_one();
}

void Refresher::Loop() {
  LowerThisThreadPriority();
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return done_ || !queue_.empty(); });
    if (done_) return;
    auto [key, work] = std::move(queue_.front());
    queue_.pop_front();
    pending_.erase(key);
    lock.unlock();
    work();
    lock.lock();
  }
}

}  // namespace pilotage::query
