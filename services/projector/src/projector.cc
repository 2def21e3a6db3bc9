#include "pilotage/projector/projector.h"

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <unistd.h>

#include "absl/strings/cord.h"
#include "backups.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/metrics/metrics.h"
#include "pilotage/projection/engine.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/activity_counts.h"
#include "pilotage/projector/cep.h"
#include "pilotage/readmodel/coverage.h"
#include "pilotage/service/service.h"
#include "pilotage/service/ticker.h"
#include "projector_metrics.h"
#include "spdlog/spdlog.h"
#include "store_files.h"

namespace pilotage::projector {
namespace fs = std::filesystem;
namespace {

using namespace std::chrono_literals;

absl::Status FromFilesystem(const std::error_code& ec, std::string_view what,
                            const fs::path& path) {
  return absl::UnavailableError(fmt::format("{} {}: {}", what, path.string(), ec.message()));
}

projection::EngineOptions EngineOptionsFor(const ProjectorOptions& o,
                                           projection::BatchObserver* observer) {
  return {.bootstrap = o.bootstrap,
          .group_id = o.group_id,
          .topics = FoldedTopics(o),
          .dead_letter_topic = o.dead_letter_topic,
          .batch_max_events = o.batch_events,
          .batch_max_wait = o.batch_wait,
          .stop_at_end = o.until_caught_up,
          .instance_id = o.instance_id,
          .batch_observer = observer};
}

// The projector's metrics and the server exposing them; all null when the
// options ask for none.
struct MetricsExport {
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<ProjectorMetrics> metrics;
  std::unique_ptr<metrics::MetricsServer> server;
};

absl::StatusOr<MetricsExport> StartMetrics(const ProjectorOptions& options) {
  MetricsExport out;
  if (options.metrics_port < 0) return out;
  out.registry = std::make_shared<prometheus::Registry>();
  out.metrics = std::make_unique<ProjectorMetrics>(*out.registry);
  auto server = metrics::MetricsServer::Start(
      {.address = options.metrics_address, .port = options.metrics_port}, out.registry);
  if (!server.ok()) return server.status();
  out.server = std::move(*server);
  spdlog::info("projector: metrics at http://{}/metrics", out.server->endpoint());
  return out;
}

// Seeds the stored-offset gauges from what the store holds.
void ExportStoredOffsets(const store::Store& store, ProjectorMetrics& metrics) {
  auto progress = projection::ReadProgress(store);
  if (!progress.ok()) {
    spdlog::warn("projector: stored offsets for metrics: {}", progress.status().ToString());
    return;
  }
  for (const auto& [key, pp] : *progress) {
    const size_t slash = key.rfind('/');
    if (slash == std::string::npos) continue;
    int32_t partition = 0;
    try {
      partition = std::stoi(key.substr(slash + 1));
    } catch (const std::exception&) {
      continue;
    }
    metrics.SetStoredOffset(key.substr(0, slash), partition, pp.next_offset);
  }
}

// Asks Kafka for the end offset of every partition of `topics`.
void ExportEndOffsets(kafka::Admin& admin, const std::vector<std::string>& topics,
                      ProjectorMetrics& metrics) {
  for (const auto& topic : topics) {
    auto partitions = admin.PartitionCount(topic);
    if (!partitions.ok()) {
      spdlog::warn("projector: end offsets for metrics: {}", partitions.status().ToString());
      return;
    }
    for (int p = 0; p < *partitions; ++p) {
      auto marks = admin.QueryWatermarks({topic, p});
      if (!marks.ok()) {
        spdlog::warn("projector: end offsets for metrics: {}", marks.status().ToString());
        return;
      }
      metrics.SetEndOffset(topic, p, marks->high);
    }
  }
}

// The work of a tick runs one interval after the start, never at once.
class Ticker : public service::Ticker {
 public:
  Ticker(std::chrono::milliseconds interval, std::function<void()> work)
      : service::Ticker(interval, std::move(work), First::kAfterInterval) {}
};

// This process's peak resident memory (VmHWM), in MiB; -1 if unknown.
int64_t PeakResidentMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      try {
        return std::stoll(line.substr(6)) / 1024;  // kB
      } catch (const std::exception&) {
        return -1;
      }
    }
  }
  return -1;
}

// The current store, read-only, with the projection that reads it.
struct ReadOnlyView {
  fs::path path;
  std::unique_ptr<projection::Projection> projection;
  std::unique_ptr<store::Store> store;
};

// Counts the cep projection's refusals of re-priced proposals in `metrics`.
void CountPenaltyConflicts(projection::Projection& projection, ProjectorMetrics* metrics) {
  auto* cep = dynamic_cast<CepProjection*>(&projection);
  if (cep == nullptr || metrics == nullptr) return;
  cep->OnPenaltyConflict([metrics] { metrics->PenaltyConflict(); });
}

absl::StatusOr<ReadOnlyView> OpenCurrentReadOnly(const ProjectorOptions& options);

}  // namespace

absl::StatusOr<std::unique_ptr<projection::Projection>> MakeProjection(
    std::string_view name, std::string_view rejected_topic) {
  if (name == "cep") {
    auto cep = CepProjection::Create(std::string(rejected_topic));
    if (!cep.ok()) return cep.status();
    return std::unique_ptr<projection::Projection>(std::move(*cep));
  }
  if (name == "activity_counts") {
    auto counts = ActivityCounts::Create();
    if (!counts.ok()) return counts.status();
    return std::unique_ptr<projection::Projection>(std::move(*counts));
  }
  return absl::InvalidArgumentError(
      fmt::format("--projection: unknown projection '{}' (cep or activity_counts)", name));
}

std::vector<std::string> FoldedTopics(const ProjectorOptions& options) {
  // Only the cep projection counts refusals: activity_counts would
  // dead-letter every one.
  if (options.projection == "cep") return options.topics;
  return RecordTopics(options);
}

std::vector<std::string> RecordTopics(const ProjectorOptions& options) {
  std::vector<std::string> out;
  for (const auto& topic : options.topics) {
    if (topic != options.rejected_topic) out.push_back(topic);
  }
  return out;
}

absl::StatusOr<fs::path> CurrentStore(const fs::path& data_dir) {
  const fs::path link = data_dir / "current";
  std::error_code ec;
  if (fs::is_symlink(link, ec)) {
    fs::path target = fs::read_symlink(link, ec);
    if (ec) return FromFilesystem(ec, "reading link", link);
    return target.is_absolute() ? target : data_dir / target;
  }
  if (fs::exists(link, ec)) {
    return absl::FailedPreconditionError(
        fmt::format("{} exists but is not a symlink to a store", link.string()));
  }
  return absl::NotFoundError(
      fmt::format("no store in {} (start `pilotage-projector run` first)", data_dir.string()));
}

namespace {

// Creates an empty, tagged store of options.projection at `path` (which must
// not exist, or be an empty directory): built as "<path>.partial", fsynced,
// renamed.
absl::Status CreateStoreAt(const ProjectorOptions& options, const fs::path& path) {
  const fs::path partial = path.string() + std::string(kPartialSuffix);
  std::error_code ec;
  fs::remove_all(partial, ec);
  if (ec) return FromFilesystem(ec, "removing", partial);
  {
    auto projection = MakeProjection(options.projection, options.rejected_topic);
    if (!projection.ok()) return projection.status();
    auto store = projection::OpenProjectionStore(partial.string(), **projection,
                                                 store::StoreOptions{.sync = true});
    if (!store.ok()) return store.status();
  }
  if (absl::Status s = SyncTree(partial); !s.ok()) return s;
  if (absl::Status s = RenameDurably(partial, path); !s.ok()) return s;
  spdlog::info("projector: created the store {}", path.string());
  return absl::OkStatus();
}

}  // namespace

absl::Status CreateStoreIfMissing(const ProjectorOptions& options) {
  const fs::path link = options.data_dir / "current";
  std::error_code ec;
  if (fs::is_symlink(link, ec)) {
    // A link to nothing (or to an empty directory) is what a kill left with
    // versions before decision 0022, which linked first and created after.
    auto target = CurrentStore(options.data_dir);
    if (!target.ok()) return target.status();
    if (fs::exists(*target / "CURRENT", ec)) return absl::OkStatus();
    if (fs::exists(*target, ec) && !fs::is_empty(*target, ec)) return absl::OkStatus();
    return CreateStoreAt(options, *target);
  }
  if (fs::exists(link, ec)) return absl::OkStatus();  // CurrentStore says what is wrong
  const fs::path stores = options.data_dir / "stores";
  fs::create_directories(stores, ec);
  if (ec) return FromFilesystem(ec, "creating", stores);
  for (const fs::path& dir : {options.data_dir, stores}) {
    auto removed = RemovePartials(dir);
    if (!removed.ok()) return removed.status();
    if (*removed > 0) {
      spdlog::warn("projector: removed {} partial entries of an interrupted run from {}", *removed,
                   dir.string());
    }
  }
  // Only a complete store is ever renamed to "initial": if it exists, the
  // previous run stopped between the rename and the link.
  const fs::path initial = stores / "initial";
  if (!fs::exists(initial, ec)) {
    if (absl::Status s = CreateStoreAt(options, initial); !s.ok()) return s;
  }
  return PointLinkDurably(link, "stores/initial");
}

namespace {

constexpr char kRetentionPayload[] = "pilotage.projector/retention-guard";

absl::Status RetentionRefusal(std::string message) {
  absl::Status status = absl::FailedPreconditionError(std::move(message));
  status.SetPayload(kRetentionPayload, absl::Cord("1"));
  return status;
}

// Waits for Kafka to answer (it may start after the projector), until `stop`.
absl::Status CheckSourceRetentionPatiently(const ProjectorOptions& options,
                                           const std::atomic<bool>& stop) {
  for (int attempt = 1;; ++attempt) {
    absl::Status s = CheckSourceRetention(options.bootstrap, RecordTopics(options));
    if (stop) return absl::OkStatus();  // asked to stop while waiting: not an error
    if (s.code() != absl::StatusCode::kUnavailable) return s;
    if (attempt == 1 || attempt % 30 == 0) {
      spdlog::warn("projector: waiting for Kafka to check the retention of {}: {}",
                   fmt::join(RecordTopics(options), ","), std::string(s.message()));
    }
    std::this_thread::sleep_for(1s);  // retry delay while Kafka is down
  }
}

}  // namespace

bool IsRetentionRefusal(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition &&
         status.GetPayload(kRetentionPayload).has_value();
}

absl::Status CheckSourceRetention(const std::string& bootstrap,
                                  const std::vector<std::string>& topics) {
  auto admin = kafka::Admin::Create(bootstrap);
  if (!admin.ok()) return admin.status();
  for (const auto& topic : topics) {
    auto policy = (*admin)->TopicConfig(topic, "cleanup.policy");
    if (policy.status().code() == absl::StatusCode::kNotFound) {
      spdlog::warn("projector: topic {} not found: its retention is not checked", topic);
      continue;
    }
    if (!policy.ok()) return policy.status();
    const std::string alter = fmt::format(
        "kafka-configs.sh --bootstrap-server {} --alter --entity-type topics --entity-name {} "
        "--add-config",
        bootstrap, topic);
    if (policy->find("compact") != std::string::npos) {
      return RetentionRefusal(fmt::format(
          "topic {} has cleanup.policy={}: compaction deletes events, and the log is the record "
          "the read models are rebuilt from. Set cleanup.policy=delete with retention.ms=-1 "
          "and retention.bytes=-1 ({} cleanup.policy=delete,retention.ms=-1,retention.bytes=-1)",
          topic, *policy, alter));
    }
    for (const char* setting : {"retention.ms", "retention.bytes"}) {
      auto value = (*admin)->TopicConfig(topic, setting);
      if (!value.ok()) return value.status();
      if (*value != "-1") {
        return RetentionRefusal(fmt::format(
            "topic {} has {}={}: Kafka would delete its old events, and the log is the record "
            "the read models are rebuilt from. Set {}=-1 ({} {}=-1)",
            topic, setting, *value, setting, alter, setting));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Run(const ProjectorOptions& options, const std::atomic<bool>& stop) {
  if (absl::Status s = CheckSourceRetentionPatiently(options, stop); !s.ok() || stop) return s;
  if (absl::Status s = CreateStoreIfMissing(options); !s.ok()) return s;
  auto exported = StartMetrics(options);
  if (!exported.ok()) return exported.status();
  ProjectorMetrics* metrics = exported->metrics.get();
  std::unique_ptr<kafka::Admin> admin;
  if (metrics != nullptr) {
    auto created = kafka::Admin::Create(options.bootstrap);
    if (!created.ok()) return created.status();
    admin = std::move(*created);
  }
  const bool backups_on = !options.backup_dir.empty();
  if (backups_on && metrics != nullptr) {
    // Until the first backup of this process: the newest one on disk, else
    // the start, so that the alert measures from a real instant.
    auto existing = ListBackups(options.backup_dir);
    if (existing.empty()) {
      metrics->EnableBackups(options.backup_every, std::chrono::system_clock::now(), 0);
    } else {
      metrics->EnableBackups(options.backup_every, BackupTime(existing.back()),
                             TreeBytes(existing.back()));
    }
  }
  while (!stop) {
    auto path = CurrentStore(options.data_dir);
    if (!path.ok()) return path.status();
    auto counts = MakeProjection(options.projection, options.rejected_topic);
    if (!counts.ok()) return counts.status();
    CountPenaltyConflicts(**counts, metrics);
    // Never created here: a store that vanished is an error, not a new store.
    auto store = projection::OpenProjectionStore(
        path->string(), **counts,
        store::StoreOptions{.create_if_missing = false, .sync = options.sync});
    if (!store.ok()) return store.status();
    if (metrics != nullptr) ExportStoredOffsets(**store, *metrics);
    auto engine =
        projection::Engine::Create(EngineOptionsFor(options, metrics), counts->get(), store->get());
    if (!engine.ok()) return engine.status();
    spdlog::info("projector: folding {} into {}", fmt::join(FoldedTopics(options), ","),
                 path->string());

    std::atomic<bool> switched{false};
    absl::Status result;
    {
      Ticker watch(std::min(options.switch_check, 250ms), [&] {
        if (stop) (*engine)->RequestStop();
      });
      Ticker repoint(options.switch_check, [&] {
        auto now = CurrentStore(options.data_dir);
        if (now.ok() && fs::weakly_canonical(*now) != fs::weakly_canonical(*path)) {
          spdlog::info("projector: {} now points to {}, switching", options.data_dir.string(),
                       now->string());
          switched = true;
          (*engine)->RequestStop();
        }
      });
      const auto& stats = (*engine)->stats();
      Ticker report(5s, [&] {
        spdlog::info("projector: folded {}, duplicates {}, dead letters {}, batches {}",
                     stats.folded.load(), stats.duplicates.load(), stats.dead_letters.load(),
                     stats.batches.load());
      });
      std::optional<Ticker> end_offsets;
      if (metrics != nullptr) {
        ExportEndOffsets(*admin, FoldedTopics(options), *metrics);
        end_offsets.emplace(options.end_offsets_interval,
                            [&] { ExportEndOffsets(*admin, FoldedTopics(options), *metrics); });
      }
      std::optional<Ticker> backups;
      if (backups_on) {
        backups.emplace(options.backup_every, [&] {
          auto taken = TakeBackup(**store, options.backup_dir, options.backup_keep);
          if (!taken.ok()) {
            spdlog::error("projector: backup into {} failed: {}", options.backup_dir.string(),
                          taken.status().ToString());
            if (metrics != nullptr) metrics->BackupFailed();
            return;
          }
          spdlog::info("projector: backup {} ({} bytes)", taken->path.string(), taken->bytes);
          if (metrics != nullptr) metrics->BackupTaken(taken->taken_at, taken->bytes);
        });
      }
      result = (*engine)->Run();
    }
    const auto& stats = (*engine)->stats();
    spdlog::info("projector: stopped after folding {} (duplicates {}, dead letters {})",
                 stats.folded.load(), stats.duplicates.load(), stats.dead_letters.load());
    if (!result.ok()) return result;
    // Leaves no log for the readers to replay (Store::Flush): opening a store
    // after a stop costs them the table files only.
    if (absl::Status s = (*store)->Flush(); !s.ok()) return s;
    if (!switched) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status PrintStatus(const ProjectorOptions& options, bool json, std::ostream& out) {
  auto view = OpenCurrentReadOnly(options);
  if (!view.ok()) return view.status();
  auto progress = projection::ReadProgress(*view->store);
  if (!progress.ok()) return progress.status();
  auto admin = kafka::Admin::Create(options.bootstrap);
  if (!admin.ok()) return admin.status();

  nlohmann::json rows = nlohmann::json::array();
  for (const auto& topic : FoldedTopics(options)) {
    auto partitions = (*admin)->PartitionCount(topic);
    if (!partitions.ok()) return partitions.status();
    for (int p = 0; p < *partitions; ++p) {
      auto marks = (*admin)->QueryWatermarks({topic, p});
      if (!marks.ok()) return marks.status();
      const std::string key = fmt::format("{}/{}", topic, p);
      projection::PartitionProgress pp;
      if (auto it = progress->find(key); it != progress->end()) pp = it->second;
      rows.push_back({{"topic", topic},
                      {"partition", p},
                      {"stored_offset", pp.next_offset},
                      {"end_offset", marks->high},
                      {"lag", std::max<int64_t>(0, marks->high - pp.next_offset)},
                      {"folded", pp.folded},
                      {"duplicates", pp.duplicates},
                      {"dead_letters", pp.dead_letters}});
    }
  }
  if (json) {
    out << nlohmann::json{{"store", view->path.string()}, {"partitions", rows}}.dump(2) << "\n";
    return absl::OkStatus();
  }
  out << "store " << view->path.string() << "\n";
  out << fmt::format("{:<28} {:>9} {:>12} {:>12} {:>10} {:>12} {:>10} {:>12}\n", "topic",
                     "partition", "stored", "end", "lag", "folded", "duplicates", "dead letters");
  for (const auto& r : rows) {
    out << fmt::format("{:<28} {:>9} {:>12} {:>12} {:>10} {:>12} {:>10} {:>12}\n",
                       r["topic"].get<std::string>(), r["partition"].get<int>(),
                       r["stored_offset"].get<int64_t>(), r["end_offset"].get<int64_t>(),
                       r["lag"].get<int64_t>(), r["folded"].get<int64_t>(),
                       r["duplicates"].get<int64_t>(), r["dead_letters"].get<int64_t>());
  }
  return absl::OkStatus();
}

absl::Status Rebuild(const ProjectorOptions& options, const fs::path& into, std::ostream& out) {
  std::error_code ec;
  if (fs::exists(into, ec)) {
    return absl::AlreadyExistsError(
        fmt::format("{} already exists: rebuild needs a new directory", into.string()));
  }
  if (absl::Status s = CheckSourceRetention(options.bootstrap, RecordTopics(options)); !s.ok())
    return s;
  auto admin = kafka::Admin::Create(options.bootstrap);
  if (!admin.ok()) return admin.status();
  auto folded_ends = (*admin)->EndOffsets(FoldedTopics(options));
  if (!folded_ends.ok()) return folded_ends.status();
  int64_t total = 0;
  for (const auto& [partition, end] : *folded_ends) total += end;
  // The event topics' ends, to check the new store against before `current`
  // moves (refusals are counted, not judged: as the readers' coverage).
  auto ends = (*admin)->EndOffsets(RecordTopics(options));
  if (!ends.ok()) return ends.status();

  auto exported = StartMetrics(options);
  if (!exported.ok()) return exported.status();
  ProjectorMetrics* metrics = exported->metrics.get();
  auto counts = MakeProjection(options.projection, options.rejected_topic);
  if (!counts.ok()) return counts.status();
  CountPenaltyConflicts(**counts, metrics);
  // A new store, folded from the start and never resumed: the KPI cells are
  // computed once, from the final journeys, when the fold is over (decision
  // 0048) instead of batch after batch.
  auto* cep = dynamic_cast<CepProjection*>(counts->get());
  if (cep != nullptr) cep->DeferCells();
  {
    auto store = projection::OpenProjectionStore(into.string(), **counts);
    if (!store.ok()) return store.status();
    ProjectorOptions rebuild = options;
    // A group of its own: two rebuilds started in the same second (or a rebuild
    // named like another) must not split the partitions between their stores.
    rebuild.group_id = fmt::format("{}-rebuild-{}-{}-{}", options.group_id,
                                   std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count(),
                                   ::getpid(), std::random_device{}());
    rebuild.until_caught_up = true;
    rebuild.instance_id.clear();
    auto engine =
        projection::Engine::Create(EngineOptionsFor(rebuild, metrics), counts->get(), store->get());
    if (!engine.ok()) return engine.status();
    const auto& stats = (*engine)->stats();
    service::Progress progress("rebuild", total);
    const auto started = std::chrono::steady_clock::now();
    absl::Status result;
    {
      Ticker tick(200ms, [&] {
        const int64_t done = stats.folded + stats.duplicates + stats.dead_letters;
        progress.Update(done);
        if (metrics != nullptr) metrics->SetRebuildProgress(done, total);
      });
      result = (*engine)->Run();
    }
    const int64_t done = stats.folded + stats.duplicates + stats.dead_letters;
    progress.Finish(done);
    if (metrics != nullptr) metrics->SetRebuildProgress(done, total);
    if (!result.ok()) return result;
    if (cep != nullptr) {
      const auto cells_started = std::chrono::steady_clock::now();
      service::Progress cells("KPI cells", 0, 5s, "journeys");
      auto written = WriteCellsOfJourneys(**store, [&](int64_t n) { cells.Update(n); });
      if (!written.ok()) return written.status();
      cells.Finish(written->journeys);
      out << fmt::format(
          "rebuild: KPI cells of {} journeys ({} cells) in {:.1f} s\n", written->journeys,
          written->cells,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - cells_started).count());
    }
    // After the KPI cells, so that they are flushed too. The last write
    // buffers' worth would otherwise stay in the write-ahead log, replayed
    // by every reader's open until the projector opens the store again (a
    // national year: about 70 MB, half the penalty job's time).
    if (absl::Status s = (*store)->Flush(); !s.ok()) return s;
    // `current` moves only to a store that holds every partition up to the
    // end the log had when the rebuild started (decision 0028's comparison).
    auto progress_stored = projection::ReadProgress(**store);
    if (!progress_stored.ok()) return progress_stored.status();
    readmodel::Freshness freshness;
    freshness.progress = *std::move(progress_stored);
    const readmodel::Coverage coverage = readmodel::CompareWithLog(freshness, *ends);
    if (!coverage.Complete()) {
      return absl::DataLossError(fmt::format(
          "rebuild: {} does not hold the whole log ({}); {} left unchanged", into.string(),
          coverage.DescribeEnglish(), (options.data_dir / "current").string()));
    }
    out << fmt::format(
        "rebuild: {} events ({} folded, {} duplicates, {} dead letters) in {:.1f} s, peak "
        "memory {} MiB\n",
        done, stats.folded.load(), stats.duplicates.load(), stats.dead_letters.load(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        PeakResidentMiB());
  }
  // Repoint DIR/current atomically: readers and the running projector follow.
  fs::create_directories(options.data_dir, ec);
  if (ec) return FromFilesystem(ec, "creating", options.data_dir);
  if (absl::Status s = SyncTree(into); !s.ok()) return s;
  if (absl::Status s = PointLinkDurably(options.data_dir / "current", fs::absolute(into));
      !s.ok()) {
    return s;
  }
  out << "rebuild: " << (options.data_dir / "current").string() << " now points to "
      << fs::absolute(into).string() << "\n";
  return absl::OkStatus();
}

absl::Status Checkpoint(const ProjectorOptions& options, const std::filesystem::path& into,
                        std::ostream& out) {
  auto path = CurrentStore(options.data_dir);
  if (!path.ok()) return path.status();
  auto projection = MakeProjection(options.projection, options.rejected_topic);
  if (!projection.ok()) return projection.status();
  auto store = projection::OpenProjectionStore(path->string(), **projection);
  if (!store.ok()) {
    // RocksDB's LOCK file: another process (the running projector) has the store open.
    if (store.status().code() == absl::StatusCode::kUnavailable &&
        store.status().message().find("LOCK") != absl::string_view::npos) {
      return absl::FailedPreconditionError(
          fmt::format("{} is open by a running projector: stop it first (systemctl stop "
                      "pilotage-projector@NAME), checkpoint, start it again ({})",
                      path->string(), std::string(store.status().message())));
    }
    return store.status();
  }
  if (auto s = (*store)->CreateCheckpoint(fs::absolute(into).string()); !s.ok()) return s;
  out << "checkpoint: " << path->string() << " copied into " << fs::absolute(into).string() << "\n";
  return absl::OkStatus();
}

absl::Status Restore(const ProjectorOptions& options, const fs::path& from, std::ostream& out) {
  std::error_code ec;
  fs::path backup = from;
  if (!fs::exists(from / "CURRENT", ec)) {
    auto backups = ListBackups(from);
    if (backups.empty()) {
      return absl::NotFoundError(
          fmt::format("{} holds no backup (neither a store nor a directory of backup-* stores)",
                      from.string()));
    }
    backup = backups.back();
  }
  const fs::path link = options.data_dir / "current";
  if (fs::is_symlink(link, ec) || fs::exists(link, ec)) {
    auto current = CurrentStore(options.data_dir);
    return absl::AlreadyExistsError(fmt::format(
        "{} already has a store ({}): restore into a new data directory, or move {} away "
        "with its projector stopped",
        options.data_dir.string(), current.ok() ? current->string() : link.string(),
        options.data_dir.string()));
  }
  auto projection = MakeProjection(options.projection, options.rejected_topic);
  if (!projection.ok()) return projection.status();
  std::map<std::string, projection::PartitionProgress> progress;
  {
    auto store = projection::OpenProjectionStoreReadOnly(backup.string(), **projection);
    if (!store.ok()) return store.status();
    auto read = projection::ReadProgress(**store);
    if (!read.ok()) return read.status();
    progress = std::move(*read);
  }
  const fs::path stores = options.data_dir / "stores";
  fs::create_directories(stores, ec);
  if (ec) return FromFilesystem(ec, "creating", stores);
  if (auto removed = RemovePartials(stores); !removed.ok()) return removed.status();
  const std::string name = "restored-" + backup.filename().string();
  const fs::path target = stores / name;
  if (fs::exists(target, ec)) {
    return absl::AlreadyExistsError(fmt::format("{} already exists", target.string()));
  }
  const fs::path partial = stores / (name + std::string(kPartialSuffix));
  if (absl::Status s = CopyStoreFiles(backup, partial); !s.ok()) return s;
  if (absl::Status s = SyncTree(partial); !s.ok()) return s;
  if (absl::Status s = RenameDurably(partial, target); !s.ok()) return s;
  if (absl::Status s = PointLinkDurably(link, fs::path("stores") / name); !s.ok()) return s;
  out << "restore: " << backup.string() << " laid as " << target.string() << ", " << link.string()
      << " points to it\n";
  for (const auto& [key, pp] : progress) {
    out << fmt::format("restore: {} resumes at offset {}\n", key, pp.next_offset);
  }
  out << "restore: start the projector on " << options.data_dir.string()
      << ": it folds what came after these offsets\n";
  return absl::OkStatus();
}

namespace {

absl::StatusOr<ReadOnlyView> OpenCurrentReadOnly(const ProjectorOptions& options) {
  auto path = CurrentStore(options.data_dir);
  if (!path.ok()) return path.status();
  auto projection = MakeProjection(options.projection, options.rejected_topic);
  if (!projection.ok()) return projection.status();
  auto store = projection::OpenProjectionStoreReadOnly(path->string(), **projection);
  if (!store.ok()) return store.status();
  return ReadOnlyView{*path, std::move(*projection), std::move(*store)};
}

}  // namespace

absl::StatusOr<std::string> Digest(const ProjectorOptions& options) {
  auto view = OpenCurrentReadOnly(options);
  if (!view.ok()) return view.status();
  return projection::StateDigest(*view->store, *view->projection);
}

absl::Status PrintCounts(const ProjectorOptions& options, std::ostream& out) {
  auto view = OpenCurrentReadOnly(options);
  if (!view.ok()) return view.status();
  auto all = ActivityCounts::ReadAll(*view->store);
  if (!all.ok()) return all.status();
  for (const auto& [key, count] : *all) out << key << " " << count << "\n";
  return absl::OkStatus();
}

}  // namespace pilotage::projector
