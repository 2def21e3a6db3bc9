#include "pilotage/projection/engine.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/store/coding.h"
#include "spdlog/spdlog.h"

namespace pilotage::projection {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct PartitionState {
  std::string topic;
  int32_t partition = 0;
  std::string key;  // "topic/partition"
  PartitionProgress progress;
  bool dirty = false;
};

struct DeadLetterRecord {
  std::string key;
  std::string value;
  // Written by the producer's delivery thread, read after Flush().
  std::shared_ptr<std::atomic<int>> state = std::make_shared<std::atomic<int>>(0);
  static constexpr int kPending = 0, kDelivered = 1, kFailed = 2;
};

// Dedup (decision 0015): the ids of the events folded are grouped by lot and
// week of occurred_at — a resend is the same event, so it lands in the same
// group — and each group is one value in the seen family: the XXH3-64 of
// every event id folded in it, 8 bytes each, appended batch after batch
// (Store's Append). A batch thus writes one key per (lot, week) it touched
// instead of one per event, and a lookup reads a group once, then checks it
// in memory (keys and ids: SeenGroupKey, SeenIdOf in projection_store.h).

// One seen group in memory: the ids folded in it (stored or not yet), those
// the open batch adds (encoded, to append), and the last batch that added
// some.
struct SeenBucket {
  absl::flat_hash_set<uint64_t> ids;
  std::string pending;
  uint64_t last_batch = 0;
};
using SeenMap = absl::node_hash_map<std::string, SeenBucket>;

bool RefusedByProjection(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInvalidArgument ||
         s.code() == absl::StatusCode::kFailedPrecondition;
}

}  // namespace

class Engine::Impl : public kafka::RebalanceListener {
 public:
  Impl(const EngineOptions& options, Projection* projection, store::Store* store)
      : options_(options), projection_(projection), store_(store) {
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
      const size_t room = options_.batch_max_events - batch_events_;
      auto wait = options_.batch_max_wait;
      if (batch_events_ > 0) {
        wait = std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                 batch_started_ + options_.batch_max_wait - Clock::now()));
      }
      auto handed = consumer_->Poll(room, wait, handler);
      if (!handed.ok()) {
        fatal_ = handed.status();
        break;
      }
      const bool full = batch_events_ >= options_.batch_max_events;
      const bool old =
          batch_events_ > 0 && Clock::now() - batch_started_ >= options_.batch_max_wait;
      if (full || old) {
        if (absl::Status s = FlushWithRetry(/*wait=*/false); !s.ok()) fatal_ = s;
      }
      if (*handed == 0 && batch_events_ == 0 && options_.stop_at_end) {
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
      PartitionState state{tp.topic, tp.partition, tp.ToString(), {}, false};
      auto stored = store_->Get(kProgressFamily, state.key);
      if (!stored.ok()) return stored.status();
      if (stored->has_value()) {
        auto progress = DecodeProgress(**stored);
        if (!progress.ok()) return progress.status();
        state.progress = *progress;
      }
      start[tp] = state.progress.next_offset;
      spdlog::info("projector: {} starts at offset {}", state.key, state.progress.next_offset);
      partitions_.push_back(std::move(state));
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
    for (const auto& tp : partitions) {
      std::erase_if(partitions_, [&](const PartitionState& p) {
        return p.partition == tp.partition && p.topic == tp.topic;
      });
    }
  }

 private:
  PartitionState& StateOf(std::string_view topic, int32_t partition) {
    for (auto& p : partitions_) {
      if (p.partition == partition && p.topic == topic) return p;
    }
    // A message of a partition not (or no longer) assigned: librdkafka does
    // not hand those over, but keep going safely if it ever did.
    std::string t(topic);
    partitions_.push_back({t, partition, fmt::format("{}/{}", t, partition), {}, false});
    return partitions_.back();
  }

  void Handle(const kafka::Message& m) {
    PartitionState& part = StateOf(m.topic, m.partition);
    part.progress.next_offset = m.offset + 1;
    part.dirty = true;
    if (batch_events_++ == 0) batch_started_ = Clock::now();

    event_.Clear();
    if (!event_.ParseFromArray(m.value.data(), static_cast<int>(m.value.size()))) {
      return DeadLetter(m, part, "payload does not decode as pilotage.v1.Event");
    }
    if (event_.event_id().empty()) return DeadLetter(m, part, "event has no event_id");
    if (event_.lot_id().empty()) return DeadLetter(m, part, "event has no lot_id");
    if (event_.body_case() == v1::Event::BODY_NOT_SET) {
      return DeadLetter(m, part, "event has no body (unknown event type?)");
    }
    SeenMap::value_type* group = BucketOf(SeenGroupKey(event_));
    if (group == nullptr) return;  // the store failed: fatal_ is set
    SeenBucket* bucket = &group->second;
    const uint64_t id = SeenIdOf(event_.event_id());
    if (bucket->ids.contains(id)) {
      ++part.progress.duplicates;
      ++stats_.duplicates;
      ++batch_report_.duplicates;
      return;
    }
    absl::Status s = projection_->Fold(event_, Origin{m.topic, m.partition, m.offset});
    if (RefusedByProjection(s)) return DeadLetter(m, part, std::string(s.message()));
    if (!s.ok()) {
      fatal_ = s;
      stop_ = true;
      return;
    }
    bucket->ids.insert(id);
    ++seen_cached_ids_;
    if (bucket->pending.empty()) touched_.push_back(group);
    store::AppendFixed64(bucket->pending, static_cast<int64_t>(id));
    bucket->last_batch = batch_number_;
    ++part.progress.folded;
    ++stats_.folded;
    ++batch_report_.folded;
  }

  // The seen group `key`, read from the store on first use. Every group a
  // batch not yet written touched is in memory (EvictSeen keeps them), so
  // a group read here holds everything folded in it.
  SeenMap::value_type* BucketOf(std::string_view key) {
    if (last_bucket_ != nullptr && last_bucket_key_ == key) return last_bucket_;
    auto it = seen_.find(absl::string_view(key.data(), key.size()));
    if (it == seen_.end()) {
      auto stored = store_->Get(kSeenFamily, key);
      if (!stored.ok()) {
        Fatal(stored.status()).IgnoreError();
        return nullptr;
      }
      SeenBucket loaded;
      if (stored->has_value()) {
        const std::string& bytes = **stored;
        if (bytes.size() % 8 != 0) {
          Fatal(absl::DataLossError(fmt::format(
                    "projector: seen group of {} bytes, not a multiple of 8: rebuild the "
                    "store (pilotage-projector rebuild --into NEW_DIR)",
                    bytes.size())))
              .IgnoreError();
          return nullptr;
        }
        loaded.ids.reserve(bytes.size() / 8);
        for (size_t i = 0; i < bytes.size(); i += 8) {
          loaded.ids.insert(static_cast<uint64_t>(store::ReadFixed64(bytes.data() + i)));
        }
        seen_cached_ids_ += loaded.ids.size();
      }
      it = seen_.emplace(std::string(key), std::move(loaded)).first;
    }
    last_bucket_key_.assign(key);
    last_bucket_ = &*it;
    return last_bucket_;
  }

  // Forgets the least recently used seen groups beyond the memory budget,
  // except those of the batch being handed to the writer (the batch before
  // it is written): forgotten groups are read again from the store.
  void EvictSeen() {
    if (seen_cached_ids_ <= options_.seen_cache_ids) return;
    std::vector<std::pair<uint64_t, const std::string*>> candidates;
    for (const auto& [key, bucket] : seen_) {
      if (bucket.last_batch < batch_number_) candidates.emplace_back(bucket.last_batch, &key);
    }
    std::sort(candidates.begin(), candidates.end());
    const size_t target = options_.seen_cache_ids - options_.seen_cache_ids / 4;
    std::vector<std::string> evicted;
    for (const auto& [last, key] : candidates) {
      if (seen_cached_ids_ <= target) break;
      seen_cached_ids_ -= seen_.at(*key).ids.size();
      evicted.push_back(*key);
    }
    for (const auto& key : evicted) seen_.erase(key);
    last_bucket_ = nullptr;
    last_bucket_key_.clear();
  }

  void DeadLetter(const kafka::Message& m, PartitionState& part, std::string reason) {
    v1::DeadLetter letter;
    letter.set_origin_topic(std::string(m.topic));
    letter.set_origin_partition(m.partition);
    letter.set_origin_offset(m.offset);
    letter.set_reason(reason);
    letter.set_payload(std::string(m.value));
    *letter.mutable_recorded_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    dead_letters_.push_back({std::string(m.key), letter.SerializeAsString()});
    Send(dead_letters_.back());
    ++part.progress.dead_letters;
    ++stats_.dead_letters;
    ++batch_report_.dead_letters;
    spdlog::warn("projector: dead letter from {} offset {}: {}", part.key, m.offset, reason);
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
    if (batch_events_ == 0) return absl::OkStatus();
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
    store::WriteBatch batch = store_->NewWriteBatch();
    if (absl::Status s = projection_->Flush(*store_, batch); !s.ok()) return Fatal(s);
    // One append per seen group the batch touched, with the ids it folded.
    for (SeenMap::value_type* group : touched_) {
      batch.Append(kSeenFamily, group->first, group->second.pending);
      group->second.pending.clear();
    }
    touched_.clear();
    EvictSeen();
    ++batch_number_;
    std::map<kafka::TopicPartition, int64_t> commit;
    for (auto& p : partitions_) {
      if (!p.dirty) continue;
      batch.Put(kProgressFamily, p.key, EncodeProgress(p.progress));
      commit[{p.topic, p.partition}] = p.progress.next_offset;
      p.dirty = false;
    }
    dead_letters_.clear();
    batch_events_ = 0;
    BatchReport report = std::exchange(batch_report_, {});
    report.events = report.folded + report.duplicates + report.dead_letters;
    for (const auto& [tp, next] : commit) report.next_offsets[{tp.topic, tp.partition}] = next;
    {
      std::lock_guard lock(writer_mu_);
      to_write_.emplace(std::move(batch));
      to_write_report_ = std::move(report);
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
    if (partitions_.empty()) return false;
    for (const auto& p : partitions_) {
      auto marks = admin_->QueryWatermarks({p.topic, p.partition});
      if (!marks.ok() || p.progress.next_offset < marks->high) return false;
    }
    return true;
  }

  EngineOptions options_;
  Projection* projection_;
  store::Store* store_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Admin> admin_;
  std::unique_ptr<kafka::Consumer> consumer_;
  EngineStats stats_;
  std::atomic<bool> stop_{false};
  absl::Status fatal_;

  std::vector<PartitionState> partitions_;
  // Seen groups in memory, by key (node map: pointers stay valid), with the
  // number of ids they hold; the groups the open batch touched; the open
  // batch's number.
  SeenMap seen_;
  size_t seen_cached_ids_ = 0;
  std::vector<SeenMap::value_type*> touched_;
  uint64_t batch_number_ = 1;
  std::string last_bucket_key_;
  SeenMap::value_type* last_bucket_ = nullptr;

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
  size_t batch_events_ = 0;
  BatchReport batch_report_;
  Clock::time_point batch_started_;
  v1::Event event_;
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
