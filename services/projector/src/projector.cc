#include "pilotage/projector/projector.h"

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/kafka.h"
#include "pilotage/metrics/metrics.h"
#include "pilotage/projection/engine.h"
#include "pilotage/projection/projection_store.h"
#include "pilotage/projector/activity_counts.h"
#include "pilotage/projector/cep.h"
#include "pilotage/service/service.h"
#include "pilotage/service/ticker.h"
#include "projector_metrics.h"
#include "spdlog/spdlog.h"

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
          .topics = o.topics,
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

absl::StatusOr<int64_t> TotalEndOffsets(kafka::Admin& admin,
                                        const std::vector<std::string>& topics) {
  int64_t total = 0;
  for (const auto& topic : topics) {
    auto partitions = admin.PartitionCount(topic);
    if (!partitions.ok()) return partitions.status();
    for (int p = 0; p < *partitions; ++p) {
      auto marks = admin.QueryWatermarks({topic, p});
      if (!marks.ok()) return marks.status();
      total += marks->high;
    }
  }
  return total;
}

// The current store, read-only, with the projection that reads it.
struct ReadOnlyView {
  fs::path path;
  std::unique_ptr<projection::Projection> projection;
  std::unique_ptr<store::Store> store;
};

absl::StatusOr<ReadOnlyView> OpenCurrentReadOnly(const ProjectorOptions& options);

}  // namespace

absl::StatusOr<std::unique_ptr<projection::Projection>> MakeProjection(std::string_view name) {
  if (name == "cep") {
    auto cep = CepProjection::Create();
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

absl::StatusOr<fs::path> CurrentStore(const fs::path& data_dir, bool create) {
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
  if (!create) {
    return absl::NotFoundError(
        fmt::format("no store in {} (start `pilotage-projector run` first)", data_dir.string()));
  }
  fs::create_directories(data_dir / "stores", ec);
  if (ec) return FromFilesystem(ec, "creating", data_dir / "stores");
  fs::create_directory_symlink("stores/initial", link, ec);
  if (ec) return FromFilesystem(ec, "creating link", link);
  return data_dir / "stores" / "initial";
}

absl::Status Run(const ProjectorOptions& options, const std::atomic<bool>& stop) {
  auto exported = StartMetrics(options);
  if (!exported.ok()) return exported.status();
  ProjectorMetrics* metrics = exported->metrics.get();
  std::unique_ptr<kafka::Admin> admin;
  if (metrics != nullptr) {
    auto created = kafka::Admin::Create(options.bootstrap);
    if (!created.ok()) return created.status();
    admin = std::move(*created);
  }
  while (!stop) {
    auto path = CurrentStore(options.data_dir, /*create=*/true);
    if (!path.ok()) return path.status();
    auto counts = MakeProjection(options.projection);
    if (!counts.ok()) return counts.status();
    auto store = projection::OpenProjectionStore(path->string(), **counts,
                                                 store::StoreOptions{.sync = options.sync});
    if (!store.ok()) return store.status();
    if (metrics != nullptr) ExportStoredOffsets(**store, *metrics);
    auto engine =
        projection::Engine::Create(EngineOptionsFor(options, metrics), counts->get(), store->get());
    if (!engine.ok()) return engine.status();
    spdlog::info("projector: folding {} into {}", fmt::join(options.topics, ","), path->string());

    std::atomic<bool> switched{false};
    absl::Status result;
    {
      Ticker watch(std::min(options.switch_check, 250ms), [&] {
        if (stop) (*engine)->RequestStop();
      });
      Ticker repoint(options.switch_check, [&] {
        auto now = CurrentStore(options.data_dir, false);
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
        ExportEndOffsets(*admin, options.topics, *metrics);
        end_offsets.emplace(options.end_offsets_interval,
                            [&] { ExportEndOffsets(*admin, options.topics, *metrics); });
      }
      result = (*engine)->Run();
    }
    const auto& stats = (*engine)->stats();
    spdlog::info("projector: stopped after folding {} (duplicates {}, dead letters {})",
                 stats.folded.load(), stats.duplicates.load(), stats.dead_letters.load());
    if (!result.ok()) return result;
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
  for (const auto& topic : options.topics) {
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
  auto admin = kafka::Admin::Create(options.bootstrap);
  if (!admin.ok()) return admin.status();
  auto total = TotalEndOffsets(**admin, options.topics);
  if (!total.ok()) return total.status();

  auto exported = StartMetrics(options);
  if (!exported.ok()) return exported.status();
  ProjectorMetrics* metrics = exported->metrics.get();
  auto counts = MakeProjection(options.projection);
  if (!counts.ok()) return counts.status();
  {
    auto store = projection::OpenProjectionStore(into.string(), **counts);
    if (!store.ok()) return store.status();
    ProjectorOptions rebuild = options;
    rebuild.group_id = fmt::format("{}-rebuild-{}", options.group_id,
                                   std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    rebuild.until_caught_up = true;
    rebuild.instance_id.clear();
    auto engine =
        projection::Engine::Create(EngineOptionsFor(rebuild, metrics), counts->get(), store->get());
    if (!engine.ok()) return engine.status();
    const auto& stats = (*engine)->stats();
    service::Progress progress("rebuild", *total);
    const auto started = std::chrono::steady_clock::now();
    absl::Status result;
    {
      Ticker tick(200ms, [&] {
        const int64_t done = stats.folded + stats.duplicates + stats.dead_letters;
        progress.Update(done);
        if (metrics != nullptr) metrics->SetRebuildProgress(done, *total);
      });
      result = (*engine)->Run();
    }
    const int64_t done = stats.folded + stats.duplicates + stats.dead_letters;
    progress.Finish(done);
    if (metrics != nullptr) metrics->SetRebuildProgress(done, *total);
    if (!result.ok()) return result;
    out << fmt::format(
        "rebuild: {} events ({} folded, {} duplicates, {} dead letters) in {:.1f} s, peak "
        "memory {} MiB\n",
        done, stats.folded.load(), stats.duplicates.load(), stats.dead_letters.load(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        PeakResidentMiB());
  }
  // Repoint DIR/current atomically: readers and the running projector follow.
  fs::create_directories(options.data_dir, ec);
  const fs::path tmp = options.data_dir / "current.tmp";
  fs::remove(tmp, ec);
  fs::create_directory_symlink(fs::absolute(into), tmp, ec);
  if (ec) return FromFilesystem(ec, "creating link", tmp);
  fs::rename(tmp, options.data_dir / "current", ec);
  if (ec) return FromFilesystem(ec, "repointing", options.data_dir / "current");
  out << "rebuild: " << (options.data_dir / "current").string() << " now points to "
      << fs::absolute(into).string() << "\n";
  return absl::OkStatus();
}

absl::Status Checkpoint(const ProjectorOptions& options, const std::filesystem::path& into,
                        std::ostream& out) {
  auto path = CurrentStore(options.data_dir, false);
  if (!path.ok()) return path.status();
  auto projection = MakeProjection(options.projection);
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

namespace {

absl::StatusOr<ReadOnlyView> OpenCurrentReadOnly(const ProjectorOptions& options) {
  auto path = CurrentStore(options.data_dir, false);
  if (!path.ok()) return path.status();
  auto projection = MakeProjection(options.projection);
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
