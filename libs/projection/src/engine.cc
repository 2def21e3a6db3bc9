#include "pilotage/projection/engine.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/projection/batch_fold.h"
#include "pilotage/projection/projection_store.h"
#include "spdlog/spdlog.h"

namespace pilotage::projection {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct DeadLetterRecord {
  std::string key;
  std::string value;
  // Written by the producer's delivery thread, read after Flush().
  std::shared_ptr<std::atomic<int>> state = std::make_shared<std::atomic<int>>(0);
  static constexpr int kPending = 0, kDelivered = 1, kFailed = 2;
};

}  // namespace

class Engine::Impl : public kafka::RebalanceListener {
 public:
  Impl(const EngineOptions& options, Projection* projection, store::Store* store)
      : options_(options), store_(store), fold_(projection, store, options.seen_cache_ids) {
    writer_ = std::thread([this] { WriterLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(writer_mu_);
      writer_done_ = true;
    }
    writer_cv_.notify_all();
    writer_.join();
  }

  absl::Status Init() {
    auto producer = kafka::Producer::Create(
        {.bootstrap = options_.bootstrap, .client_id = options_.client_id + "-deadletters"});
    if (!producer.ok()) return producer.status();
    producer_ = std::move(*producer);
    auto admin = kafka::Admin::Create(options_.bootstrap);
    if (!admin.ok()) return admin.status();
    admin_ = std::move(*admin);
    return absl::OkStatus();
  }

  absl::Status Run() {
    kafka::ConsumerOptions consumer_options{.bootstrap = options_.bootstrap,
                                            .group_id = options_.group_id,
                                            .topics = options_.topics,
                                            .client_id = options_.client_id};
    if (!options_.instance_id.empty()) {
      consumer_options.extra["group.instance.id"] = options_.instance_id;
    }
    auto consumer = kafka::Consumer::Create(consumer_options, this);
    if (!consumer.ok()) return consumer.status();
    consumer_ = std::move(*consumer);
    const kafka::Consumer::MessageHandler handler = [this](const kafka::Message& m) { Handle(m); };
    while (!stop_ && fatal_.ok()) {
      const size_t room = options_.batch_max_events - fold_.events();
      auto wait = options_.batch_max_wait;
      if (fold_.pending()) {
        wait = std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                 batch_started_ + options_.batch_max_wait - Clock::now()));
      }
      auto handed = consumer_->Poll(room, wait, handler);
      if (!handed.ok()) {
        fatal_ = handed.status();
        break;
      }
      SkipPastMarkers();
      const bool full = fold_.events() >= options_.batch_max_events;
      const bool old = fold_.pending() && Clock::now() - batch_started_ >= options_.batch_max_wait;
      if (full || old) {
        if (absl::Status s = FlushWithRetry(/*wait=*/false); !s.ok()) fatal_ = s;
      }
      if (*handed == 0 && !fold_.pending() && options_.stop_at_end) {
        if (absl::Status s = WaitForWriter(); !s.ok()) break;
        if (AtEnd()) break;
      }
    }
    if (fatal_.ok()) {
      if (absl::Status s = FlushWithRetry(); !s.ok()) fatal_ = s;
    }
    consumer_->Close();
    consumer_.reset();
    return fatal_;
  }

  void RequestStop() { stop_ = true; }
  const EngineStats& stats() const { return stats_; }

  // RebalanceListener

  absl::StatusOr<std::map<kafka::TopicPartition, int64_t>> OnAssigned(
      const std::vector<kafka::TopicPartition>& partitions) override {
    std::map<kafka::TopicPartition, int64_t> start;
    for (const auto& tp : partitions) {
      auto next = fold_.Assign(tp.topic, tp.partition);
      if (!next.ok()) return next.status();
      start[tp] = *next;
      spdlog::info("projector: {} starts at offset {}", tp.ToString(), *next);
    }
    return start;
  }

  void OnRevoked(const std::vector<kafka::TopicPartition>& partitions) override {
    // Their state must be durable before another projector reads it.
    if (absl::Status s = Flush(); !s.ok()) {
      // The batch is not written: the next owner replays from the stored
      // offsets; this engine stops, since its other partitions' positions are
      // now ahead of what is stored.
      fatal_ =
          absl::AbortedError(fmt::format("projector: flush on revoke failed: {}", s.ToString()));
      stop_ = true;
    }
    for (const auto& tp : partitions) fold_.Revoke(tp.topic, tp.partition);
  }

 private:
  void Handle(const kafka::Message& m) {
    if (!fold_.pending()) batch_started_ = Clock::now();
    const Origin origin{m.topic, m.partition, m.offset};
    std::string reason;
    auto outcome = fold_.Add(origin, m.value, &reason);
    if (!outcome.ok()) {
      Fatal(outcome.status()).IgnoreError();
      return;
    }
    switch (*outcome) {
      case BatchFold::Outcome::kFolded:
        ++stats_.folded;
        break;
      case BatchFold::Outcome::kDuplicate:
        ++stats_.duplicates;
        break;
      case BatchFold::Outcome::kDeadLetter:
        dead_letters_.push_back(
            {std::string(m.key), MakeDeadLetter(origin, m.value, reason).SerializeAsString()});
        Send(dead_letters_.back());
        ++stats_.dead_letters;
        spdlog::warn("projector: dead letter from {}/{} offset {}: {}", m.topic, m.partition,
                     m.offset, reason);
        break;
    }
  }

  // A partition whose last records are transaction markers (decision 0026)
  // would otherwise stay stored one or more offsets short of the log's end
  // forever: the consumer never hands markers over, so no event moves the
  // offset past them. The consumer's position is past them (and past
  // aborted records); record it, as the progress of an event-less batch if
  // need be. Every committed record before it has been handed over already.
  void SkipPastMarkers() {
    for (const auto& p : fold_.partitions()) {
      auto position = consumer_->Position({p.topic, p.partition});
      if (!position.ok()) continue;  // nothing read yet
      const bool was_pending = fold_.pending();
      if (fold_.SkipTo(p.topic, p.partition, *position) && !was_pending) {
        batch_started_ = Clock::now();
      }
    }
  }

  void Send(DeadLetterRecord& record) {
    record.state->store(DeadLetterRecord::kPending);
    auto state = record.state;
    absl::Status s = producer_->Send(
        {options_.dead_letter_topic, record.key, record.value}, [state](const kafka::Delivery& d) {
          state->store(d.status.ok() ? DeadLetterRecord::kDelivered : DeadLetterRecord::kFailed);
        });
    if (!s.ok()) record.state->store(DeadLetterRecord::kFailed);
  }

  // Dead letters first (acknowledged by Kafka), then one atomic store batch,
  // written by the writer thread while the next batch is being folded.
  // Returns once the batch is handed over; WaitForWriter() says how it went.
  absl::Status StartFlush() {
    if (!fold_.pending()) return absl::OkStatus();
    if (!dead_letters_.empty()) {
      if (absl::Status s = producer_->Flush(30s); !s.ok()) return s;
      bool failed = false;
      for (auto& record : dead_letters_) {
        if (record.state->load() != DeadLetterRecord::kDelivered) {
          failed = true;
          Send(record);  // retried at the next attempt
        }
      }
      if (failed) {
        return absl::UnavailableError(fmt::format("projector: dead letters not acknowledged by {}",
                                                  options_.dead_letter_topic));
      }
    }
    // The projection reads the state the previous batch wrote.
    if (absl::Status s = WaitForWriter(); !s.ok()) return s;
    auto sealed = fold_.Seal();
    if (!sealed.ok()) return Fatal(sealed.status());
    std::map<kafka::TopicPartition, int64_t> commit;
    for (const auto& [tp, next] : sealed->report.next_offsets) commit[{tp.first, tp.second}] = next;
    dead_letters_.clear();
    {
      std::lock_guard lock(writer_mu_);
      to_write_.emplace(std::move(sealed->batch));
      to_write_report_ = std::move(sealed->report);
      inflight_commit_ = std::move(commit);
    }
    writer_cv_.notify_all();
    return absl::OkStatus();
  }

  // Waits until the batch handed to the writer (if any) is written.
  absl::Status WaitForWriter() {
    std::map<kafka::TopicPartition, int64_t> commit;
    {
      std::unique_lock lock(writer_mu_);
      writer_cv_.wait(lock, [this] { return !to_write_.has_value(); });
      if (!write_status_.ok()) return Fatal(write_status_);
      commit = std::move(inflight_commit_);
      inflight_commit_.clear();
    }
    if (!commit.empty()) {
      ++stats_.batches;
      if (consumer_) consumer_->CommitForMonitoring(commit).IgnoreError();
    }
    return absl::OkStatus();
  }

  // Everything folded so far, durably written.
  absl::Status Flush() {
    if (absl::Status s = StartFlush(); !s.ok()) return s;
    return WaitForWriter();
  }

  void WriterLoop() {
    std::unique_lock lock(writer_mu_);
    while (true) {
      writer_cv_.wait(lock, [this] { return to_write_.has_value() || writer_done_; });
      if (!to_write_.has_value()) return;
      lock.unlock();
      const auto started = Clock::now();
      absl::Status s = store_->Write(*to_write_);
      if (s.ok() && options_.batch_observer != nullptr) {
        to_write_report_.write_time = Clock::now() - started;
        options_.batch_observer->OnBatchWritten(to_write_report_);
      }
      lock.lock();
      if (!s.ok() && write_status_.ok()) write_status_ = s;
      to_write_.reset();
      writer_cv_.notify_all();
    }
  }

  // A store that cannot be written stops the engine: what is stored stays
  // the fold of an exact prefix, and a restart resumes from it.
  absl::Status Fatal(absl::Status s) {
    fatal_ = s;
    stop_ = true;
    return s;
  }

  absl::Status FlushWithRetry(bool wait = true) {
    while (true) {
      absl::Status s = wait ? Flush() : StartFlush();
      if (s.ok() || s.code() != absl::StatusCode::kUnavailable || !fatal_.ok()) return s;
      ++stats_.flush_retries;
      spdlog::warn("{} (retrying)", s.ToString());
      if (stop_) return s;
      std::this_thread::sleep_for(500ms);
    }
  }

  bool AtEnd() {
    if (fold_.partitions().empty()) return false;
    for (const auto& p : fold_.partitions()) {
      auto marks = admin_->QueryWatermarks({p.topic, p.partition});
      if (!marks.ok()) return false;
      if (p.progress.next_offset >= marks->high) continue;
      // A transaction's commit or abort marker (decision 0026) takes the
      // last offset but is never handed over: the consumer's position is
      // past it.
      auto position = consumer_->Position({p.topic, p.partition});
      if (!position.ok() || *position < marks->high) return false;
    }
    return true;
  }

  EngineOptions options_;
  store::Store* store_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Admin> admin_;
  std::unique_ptr<kafka::Consumer> consumer_;
  EngineStats stats_;
  std::atomic<bool> stop_{false};
  absl::Status fatal_;

  // The open batch: partitions, dedup memory, counts.
  BatchFold fold_;

  // The writer thread and what it is writing.
  std::thread writer_;
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  std::optional<store::WriteBatch> to_write_;
  std::map<kafka::TopicPartition, int64_t> inflight_commit_;
  BatchReport to_write_report_;
  absl::Status write_status_;
  bool writer_done_ = false;
  std::vector<DeadLetterRecord> dead_letters_;
  Clock::time_point batch_started_;
};

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options,
                                                       Projection* projection,
                                                       store::Store* store) {
  if (projection == nullptr || store == nullptr) {
    return absl::InvalidArgumentError("projector: engine needs a projection and a store");
  }
  if (options.batch_max_events == 0) {
    return absl::InvalidArgumentError("projector: batch_max_events must be at least 1");
  }
  auto impl = std::make_unique<Impl>(options, projection, store);
  if (absl::Status s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;
absl::Status Engine::Run() { return impl_->Run(); }
void Engine::RequestStop() { impl_->RequestStop(); }
const EngineStats& Engine::stats() const { return impl_->stats(); }

}  // namespace pilotage::projection
