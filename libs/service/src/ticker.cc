#include "pilotage/service/ticker.h"

namespace pilotage::service {

Ticker::Ticker(std::chrono::milliseconds interval, std::function<void()> work, First first)
    : thread_([this, interval, work = std::move(work), first] { Loop(interval, work, first); }) {}

Ticker::~Ticker() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Ticker::Loop(std::chrono::milliseconds interval, const std::function<void()>& work,
                  First first) {
  std::unique_lock lock(mu_);
  if (first == First::kAfterInterval && cv_.wait_for(lock, interval, [this] { return done_; })) {
    return;
  }
  while (!done_) {
    lock.unlock();
    work();
    lock.lock();
    if (cv_.wait_for(lock, interval, [this] { return done_; })) return;
  }
}

}  // namespace pilotage::service
