// Kafka's end offsets, polled (end_offsets.h).
#include "end_offsets.h"

#include <optional>
#include <utility>

#include "spdlog/spdlog.h"

namespace pilotage::query {
namespace {

// Kafka's end offsets of every partition of `topics`, keyed
// "topic/partition"; nullopt when Kafka did not answer.
std::optional<std::map<std::string, int64_t>> ReadEndOffsets(
    kafka::Admin& admin, const std::vector<std::string>& topics) {
  auto ends = admin.EndOffsets(topics, std::chrono::milliseconds(2000));
  if (!ends.ok()) {
    spdlog::debug("query: end offsets: {}", ends.status().ToString());
    return std::nullopt;
  }
  return *std::move(ends);
}

}  // namespace

EndOffsetsPoller::EndOffsetsPoller(std::unique_ptr<kafka::Admin> admin,
                                   std::vector<std::string> topics,
                                   std::chrono::milliseconds interval, Sink sink)
    : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
  thread_ = std::thread([state = state_, admin = std::shared_ptr<kafka::Admin>(std::move(admin)),
                         topics = std::move(topics), interval]() mutable {
    std::unique_lock lock(state->mu);
    while (!state->done) {
      lock.unlock();
      auto ends = ReadEndOffsets(*admin, topics);
      lock.lock();
      if (state->done) break;
      if (ends) state->sink(std::move(*ends));
      state->cv.wait_for(lock, interval, [&] { return state->done; });
    }
    lock.unlock();
    admin.reset();  // before saying it finished: the client is closed
    lock.lock();
    state->finished = true;
    state->cv.notify_all();
  });
}

EndOffsetsPoller::~EndOffsetsPoller() {
  bool finished = false;
  {
    std::unique_lock lock(state_->mu);
    state_->done = true;
    state_->sink = nullptr;
    state_->cv.notify_all();
    finished = state_->cv.wait_for(lock, std::chrono::seconds(5), [&] { return state_->finished; });
  }
  if (finished) {
    // Only the notification and the unlock were left to it: joined at once.
    thread_.join();
  } else {
    spdlog::warn("query: Kafka's end offsets: a request did not return; stopping without it");
    thread_.detach();  // it holds its own state and client (see the header)
  }
}

}  // namespace pilotage::query
