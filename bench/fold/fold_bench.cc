// bench/fold: how much folding costs beyond reading.
//
// Produces N synthetic events once to a fresh topic on the local broker, then
// in the same run measures (a) the raw rate of consuming and decoding them
// with librdkafka alone, and (b) the projector's fold rate (engine +
// activity counts projection + RocksDB) on the same topic from offset 0 to
// the end. Both are timed from the consumer's creation to the last event.
// Prints one line last:
//   BENCH fold events=N consume_per_s=… fold_per_s=… ratio=…
//
// With --consume-only TOPIC[,TOPIC…], produces nothing and measures only (a)
// on existing topics, from offset 0 to the end offsets they have at start:
//   BENCH consume events=N seconds=… consume_per_s=… cpu_us=…
// (scripts/bench compares a full projector rebuild of the same topics with it).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/projection/engine.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/activity_counts.h"
#include "pilotage/service/service.h"
#include "pilotage/testing/synthetic.h"
#include "pilotage/v1/event.pb.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) this process used so far, all threads.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class FromZero : public pilotage::kafka::RebalanceListener {
 public:
  absl::StatusOr<std::map<pilotage::kafka::TopicPartition, int64_t>> OnAssigned(
      const std::vector<pilotage::kafka::TopicPartition>&) override {
    return std::map<pilotage::kafka::TopicPartition, int64_t>{};
  }
  void OnRevoked(const std::vector<pilotage::kafka::TopicPartition>&) override {}
};

absl::StatusOr<double> RawConsumeSeconds(const std::string& bootstrap,
                                         const std::vector<std::string>& topics, int64_t expected) {
  FromZero listener;
  const auto start = Clock::now();
  auto consumer = pilotage::kafka::Consumer::Create(
      {.bootstrap = bootstrap,
       .group_id = fmt::format("{}.raw.{}", topics.front(), start.time_since_epoch().count()),
       .topics = topics},
      &listener);
  if (!consumer.ok()) return consumer.status();
  pilotage::v1::Event event;
  int64_t seen = 0, decoded = 0;
  while (seen < expected) {
    auto n = (*consumer)->Poll(20000, 1000ms, [&](const pilotage::kafka::Message& m) {
      ++seen;
      event.Clear();
      decoded += event.ParseFromArray(m.value.data(), static_cast<int>(m.value.size()));
    });
    if (!n.ok()) return n.status();
    if (Clock::now() - start > 30min) return absl::DeadlineExceededError("raw consume too slow");
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*consumer)->Close();
  std::cerr << fmt::format("raw: {} messages, {} decoded, {:.2f} s\n", seen, decoded, seconds);
  return seconds;
}

absl::StatusOr<double> FoldSeconds(const std::string& bootstrap, const std::string& topic,
                                   const std::filesystem::path& dir) {
  auto counts = pilotage::projector::ActivityCounts::Create();
  if (!counts.ok()) return counts.status();
  auto store = pilotage::projection::OpenProjectionStore(dir.string(), **counts);
  if (!store.ok()) return store.status();
  const auto start = Clock::now();
  auto engine = pilotage::projection::Engine::Create({.bootstrap = bootstrap,
                                                      .group_id = topic + ".fold",
                                                      .topics = {topic},
                                                      .dead_letter_topic = topic + ".dead",
                                                      .stop_at_end = true},
                                                     counts->get(), store->get());
  if (!engine.ok()) return engine.status();
  if (absl::Status s = (*engine)->Run(); !s.ok()) return s;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const auto& stats = (*engine)->stats();
  std::cerr << fmt::format("fold: {} folded, {} duplicates, {} batches, {:.2f} s\n",
                           stats.folded.load(), stats.duplicates.load(), stats.batches.load(),
                           seconds);
  return seconds;
}

int ConsumeOnly(const std::string& bootstrap, const std::vector<std::string>& topics) {
  auto admin = pilotage::kafka::Admin::Create(bootstrap);
  if (!admin.ok()) return pilotage::service::Fail("bench-fold", admin.status());
  int64_t expected = 0;
  for (const auto& topic : topics) {
    auto partitions = (*admin)->PartitionCount(topic);
    if (!partitions.ok()) return pilotage::service::Fail("bench-fold", partitions.status());
    for (int p = 0; p < *partitions; ++p) {
      auto marks = (*admin)->QueryWatermarks({topic, p});
      if (!marks.ok()) return pilotage::service::Fail("bench-fold", marks.status());
      expected += marks->high - marks->low;
    }
  }
  const double cpu0 = CpuSeconds();
  auto seconds = RawConsumeSeconds(bootstrap, topics, expected);
  if (!seconds.ok()) return pilotage::service::Fail("bench-fold", seconds.status());
  std::cout << fmt::format(
      "BENCH consume events={} seconds={:.2f} consume_per_s={:.0f} cpu_us={:.2f}\n", expected,
      *seconds, expected / *seconds, (CpuSeconds() - cpu0) * 1e6 / std::max<int64_t>(expected, 1));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench/fold: fold rate against raw consume-and-decode rate, same topic, same run"};
  std::string bootstrap;
  int64_t events = 2000000;
  int partitions = 4;
  std::string work_dir = std::filesystem::temp_directory_path().string();
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap servers")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP")
      ->required();
  app.add_option("--events", events, "events to produce and fold")->capture_default_str();
  app.add_option("--partitions", partitions, "partitions of the bench topic")
      ->capture_default_str();
  app.add_option("--work-dir", work_dir, "where the bench store goes")->capture_default_str();
  std::vector<std::string> consume_only;
  app.add_option("--consume-only", consume_only,
                 "only time consuming and decoding these existing topics (comma-separated) "
                 "from offset 0 to their current end")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  if (auto s = pilotage::service::SetupLogging(
          std::getenv("BENCH_LOG") ? std::getenv("BENCH_LOG") : "warn", false);
      !s.ok()) {
    return pilotage::service::Fail("bench-fold", s);
  }

  if (!consume_only.empty()) return ConsumeOnly(bootstrap, consume_only);

  const std::string topic =
      fmt::format("bench.fold.{}", std::chrono::system_clock::now().time_since_epoch().count());
  auto admin = pilotage::kafka::Admin::Create(bootstrap);
  if (!admin.ok()) return pilotage::service::Fail("bench-fold", admin.status());
  for (const auto& [name, n] : {std::pair{topic, partitions}, std::pair{topic + ".dead", 1}}) {
    if (auto s = (*admin)->CreateTopic(name, n); !s.ok()) {
      return pilotage::service::Fail("bench-fold", s);
    }
  }
  auto truth = pilotage::testing::ProduceSynthetic(
      {.bootstrap = bootstrap, .topic = topic, .events = events, .seed = 1, .progress = true});
  if (!truth.ok()) return pilotage::service::Fail("bench-fold", truth.status());
  // The topic stays on the broker: scripts/bench folds it again with the peers.
  std::cerr << "topic=" << topic << "\n";

  const double cpu0 = CpuSeconds();
  auto raw = RawConsumeSeconds(bootstrap, {topic}, truth->sent);
  if (!raw.ok()) return pilotage::service::Fail("bench-fold", raw.status());
  const double cpu1 = CpuSeconds();
  const auto dir = std::filesystem::path(work_dir) / (topic + ".store");
  auto fold = FoldSeconds(bootstrap, topic, dir);
  const double cpu2 = CpuSeconds();
  std::filesystem::remove_all(dir);
  if (!fold.ok()) return pilotage::service::Fail("bench-fold", fold.status());

  const double consume_per_s = truth->sent / *raw;
  const double fold_per_s = truth->sent / *fold;
  // The last line: the figures, then CPU microseconds per event of this
  // process (the broker's CPU is not counted).
  std::cout << fmt::format(
      "BENCH fold events={} consume_per_s={:.0f} fold_per_s={:.0f} ratio={:.2f} "
      "consume_cpu_us={:.2f} fold_cpu_us={:.2f}\n",
      truth->sent, consume_per_s, fold_per_s, fold_per_s / consume_per_s,
      (cpu1 - cpu0) * 1e6 / truth->sent, (cpu2 - cpu1) * 1e6 / truth->sent);
  return 0;
}
