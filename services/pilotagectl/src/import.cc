#include "pilotage/pilotagectl/import.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <variant>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_map.h"
#include "fmt/format.h"
#include "import_lines.h"
#include "import_report.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/lot_file.h"
#include "pilotage/intake/csv.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/projection/dedup_cache.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/service/service.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::pilotagectl {
namespace {

namespace fs = std::filesystem;

// The dedup cache's bound; it applies only when a batch closes, which the
// import never does (it adds nothing): the groups the file touches stay in
// memory, their ids at about 16 bytes each.
constexpr size_t kKnownIdsInMemory = 2'000'000;

// The event ids met in one file, as 64-bit hashes, with the hash of the
// event's content and the line that first had it.
struct FirstSeen {
  uint64_t content = 0;
  int64_t line = 0;
};

absl::StatusOr<std::string> FormatOf(const ImportOptions& o) {
  std::string format = o.format;
  if (format.empty()) {
    const std::string ext = o.file.extension().string();
    if (ext == ".csv") format = "csv";
    if (ext == ".ndjson" || ext == ".jsonl") format = "ndjson";
  }
  if (format != "csv" && format != "ndjson") {
    return absl::InvalidArgumentError(
        "--format: give ndjson or csv (the file's extension does not say)");
  }
  if (format == "csv" && !intake::CsvLayout(o.type)) {
    std::string types;
    for (const auto& t : intake::CsvEventTypes()) types += (types.empty() ? "" : ", ") + t;
    return absl::InvalidArgumentError(
        fmt::format("--type: a CSV file holds one event type, one of {}", types));
  }
  if (format == "ndjson" && !o.type.empty()) {
    return absl::InvalidArgumentError("--type: for CSV files only (NDJSON lines name their type)");
  }
  return format;
}

}  // namespace

absl::StatusOr<std::pair<intake::Sender, intake::LotCalendar>> LoadOperatorLots(
    const fs::path& lots_file, const std::string& operator_id) {
  auto file = domain::ReadLotFile(lots_file);
  if (!file.ok()) {
    return absl::Status(file.status().code(),
                        fmt::format("--lots: {}", std::string(file.status().message())));
  }
  intake::Sender sender{.operator_id = operator_id, .lots = {}};
  intake::LotCalendar calendar;
  for (const domain::LotFileEntry& lot : file->lots) {
    auto start = intake::ContractStart(lot.start_date);
    if (!start.ok()) {
      return absl::InvalidArgumentError(fmt::format("--lots: {}: {}.start_date: {}",
                                                    lots_file.string(), lot.lot_id,
                                                    std::string(start.status().message())));
    }
    calendar.contract_start[lot.lot_id] = *start;
    if (lot.operator_id == operator_id) sender.lots.insert(lot.lot_id);
  }
  if (sender.lots.empty()) {
    return absl::NotFoundError(
        fmt::format("--operator: '{}' holds no lot in {}", operator_id, lots_file.string()));
  }
  return std::make_pair(std::move(sender), std::move(calendar));
}

namespace {

// The event type of a CSV file of several: --type, or the type its name ends with.
std::string TypeFor(const ImportOptions& options, const fs::path& file) {
  if (!options.type.empty()) return options.type;
  const bool csv =
      options.format == "csv" || (options.format.empty() && file.extension() == ".csv");
  if (!csv) return "";
  const std::string stem = file.stem().string();
  for (const auto& t : intake::CsvEventTypes()) {
    if (stem.size() >= t.size() && stem.compare(stem.size() - t.size(), t.size(), t) == 0 &&
        (stem.size() == t.size() || stem[stem.size() - t.size() - 1] == '-' ||
         stem[stem.size() - t.size() - 1] == '_' || stem[stem.size() - t.size() - 1] == '.')) {
      return t;
    }
  }
  return "";
}

absl::StatusOr<ImportSummary> RunImportFiles(const ImportOptions& options, std::ostream& out) {
  auto one = [&](const fs::path& file, bool dry_run) {
    ImportOptions o = options;
    o.files.clear();
    o.file = file;
    o.type = TypeFor(options, file);
    o.dry_run = dry_run;
    o.validating_one_of_several = dry_run && !options.dry_run;
    // Written by the validation, then again (same refusals) by the writing round.
    o.report = options.report.empty()
                   ? fs::path()
                   : fs::path(options.report.string() + "." + file.filename().string() + ".json");
    return o;
  };
  const absl::Time now = options.now == absl::InfinitePast() ? absl::Now() : options.now;
  ImportSummary total;
  absl::Status first_error;
  for (const auto& file : options.files) {  // every file validated first
    ImportOptions o = one(file, true);
    o.now = now;
    out << fmt::format("== {}\n", file.string());
    auto s = RunImport(o, out);
    if (!s.ok()) {
      if (first_error.ok()) first_error = s.status();
      continue;
    }
    total.lines += s->lines;
    total.valid += s->valid;
    total.refused += s->refused;
  }
  if (!first_error.ok()) {
    out << fmt::format("Résultat : rien n'a été écrit, d'aucun des {} fichiers.\n",
                       options.files.size());
    return first_error;
  }
  if (options.dry_run) return total;
  for (const auto& file : options.files) {
    ImportOptions o = one(file, false);
    o.now = now;
    std::ostringstream report;  // already printed by the validation above
    auto s = RunImport(o, report);
    if (!s.ok()) {
      out << report.str();
      return s.status();
    }
    total.written += s->written;
    out << fmt::format("{} : {}\n", file.string(), WrittenText(*s));
  }
  out << fmt::format("Résultat : {} événements écrits depuis {} fichiers.\n", total.written,
                     options.files.size());
  return total;
}

}  // namespace

absl::StatusOr<ImportSummary> RunImport(const ImportOptions& options, std::ostream& out) {
  if (options.files.size() > 1) return RunImportFiles(options, out);
  if (options.files.size() == 1) {
    ImportOptions o = options;
    o.file = options.files.front();
    o.files.clear();
    return RunImport(o, out);
  }
  if (options.type.empty() && !TypeFor(options, options.file).empty()) {
    ImportOptions o = options;
    o.type = TypeFor(options, options.file);
    return RunImport(o, out);
  }
  auto format = FormatOf(options);
  if (!format.ok()) return format.status();
  const bool csv = *format == "csv";
  if (!options.dry_run && options.bootstrap.empty()) {
    return absl::InvalidArgumentError("--bootstrap: required (or PILOTAGE_KAFKA_BOOTSTRAP)");
  }
  auto lots = LoadOperatorLots(options.lots_file, options.operator_id);
  if (!lots.ok()) return lots.status();
  std::error_code ec;
  const auto size = fs::file_size(options.file, ec);
  if (ec || !fs::is_regular_file(options.file)) {
    return absl::NotFoundError(fmt::format("--file: cannot read {}", options.file.string()));
  }
  const absl::Time now = options.now == absl::InfinitePast() ? absl::Now() : options.now;
  const std::string format_name = csv ? "csv:" + options.type : "ndjson";
  out << fmt::format("Import de {} ({}) pour l'opérateur {}\n", options.file.string(), format_name,
                     options.operator_id);

  // Pass 1: validate everything.
  ImportReport report(out, options.report);
  if (!report.json_ok()) {
    return absl::InvalidArgumentError(
        fmt::format("--report: cannot write {}", options.report.string()));
  }
  ImportSummary summary;
  std::map<std::string, TypeCount> types;
  std::optional<intake::Refusal> file_refusal;
  // The validated events, serialised, waiting for pass 2 (never in memory):
  // records of [u32 key length][key][u32 value length][value].
  std::unique_ptr<std::FILE, decltype(&std::fclose)> spool(nullptr, &std::fclose);
  if (!options.dry_run) {
    spool.reset(std::tmpfile());
    if (!spool) return absl::InternalError("cannot create a temporary file for the import");
  }
  bool spool_failed = false;
  std::map<std::string, LotStats> per_lot;
  std::string value;
  absl::flat_hash_map<uint64_t, FirstSeen> ids_in_file;  // by hash of lot and event id
  std::string id_key;
  int64_t spooled = 0;
  // Already known: the projector's seen ids, when its data directory is given.
  // The projector's own dedup memory answers (libs/projection's DedupCache).
  std::unique_ptr<readmodel::ReadStore> projector_store;
  std::optional<projection::DedupCache> folded;
  if (!options.data_dir.empty()) {
    auto opened = readmodel::ReadStore::OpenReadOnly(options.data_dir);
    if (!opened.ok()) return opened.status();
    projector_store = std::move(*opened);
    folded.emplace(projector_store->store(), kKnownIdsInMemory);
    summary.already_known = 0;
  }
  {
    LineReader reader(options.file);
    if (!reader.ok()) {
      return absl::NotFoundError(fmt::format("--file: cannot read {}", options.file.string()));
    }
    LineChecker checker(options, csv, lots->first, lots->second, now);
    service::Progress progress("validation", static_cast<int64_t>(size), std::chrono::seconds(5),
                               "bytes");
    std::string line;
    while (reader.Next(line)) {
      Checked c = checker.Check(line, reader.number(), reader.at_end_without_newline());
      if (checker.header_refusal && !file_refusal) {
        file_refusal = checker.header_refusal;
        report.Refused(reader.number(), *file_refusal);
        while (reader.Next(line)) {
        }  // only for the digest of the whole file
        break;
      }
      if (!c.data) continue;
      ++summary.lines;
      bool repeated = false;
      if (!c.refusal) {
        c.event.SerializeToString(&value);
        const FirstSeen seen{.content = std::hash<std::string_view>{}(value),
                             .line = reader.number()};
        // Per lot, as the projector deduplicates.
        id_key.assign(c.event.lot_id()).push_back('\0');
        id_key.append(c.event.event_id());
        auto [it, first] = ids_in_file.try_emplace(projection::DedupCache::IdHash(id_key), seen);
        if (!first && it->second.content != seen.content) {
          c.refusal = intake::Refusal{
              intake::RefusalCode::kConflictingEventId, csv ? "" : "event_id",
              fmt::format("same event_id as line {}, with a different content", it->second.line)};
        } else if (!first) {
          repeated = true;
          report.Duplicate(reader.number(), it->second.line);
        }
      }
      if (c.refusal) {
        ++summary.refused;
        ++types[c.type.empty() ? "unknown" : c.type].refused;
        report.Refused(reader.number(), *c.refusal);
        if (!options.skip_invalid) spool.reset();  // nothing will be written
      } else if (repeated) {
        ++summary.valid;
        ++types[c.type].valid;
        ++summary.duplicated_in_file;
      } else {
        ++summary.valid;
        ++types[c.type].valid;
        if (folded) {
          auto known =
              folded->Check(c.event.lot_id(), c.event.occurred_at().seconds(), c.event.event_id());
          if (!known.ok()) return known.status();
          summary.already_known += known->seen;
        }
        if (spool) {
          ++spooled;
          const auto& key = c.event.lot_id();
          const auto key_size = static_cast<uint32_t>(key.size());
          const auto value_size = static_cast<uint32_t>(value.size());
          spool_failed |= std::fwrite(&key_size, 4, 1, spool.get()) != 1 ||
                          std::fwrite(key.data(), 1, key_size, spool.get()) != key_size ||
                          std::fwrite(&value_size, 4, 1, spool.get()) != 1 ||
                          std::fwrite(value.data(), 1, value_size, spool.get()) != value_size;
          auto& lot = per_lot[key];
          ++lot.counts[c.type];
          ++lot.events;
          lot.recorded_from_file += c.recorded_from_file;
          ++lot.days[ParisDay(c.event.occurred_at().seconds())];
          lot.first = std::min<int64_t>(lot.first, c.event.occurred_at().seconds());
          lot.last = std::max<int64_t>(lot.last, c.event.occurred_at().seconds());
        }
      }
      if ((reader.number() & 0x3fff) == 0) progress.Update(reader.bytes());
    }
    progress.Finish(reader.bytes());
    if (!file_refusal && csv && reader.number() == 0) {
      file_refusal = intake::Refusal{intake::RefusalCode::kBadHeader, "",
                                     "empty file: the header row is required"};
      report.Refused(1, *file_refusal);
    }
    summary.sha256 = reader.Digest();
  }

  nlohmann::json counts = nlohmann::json::object();
  for (const auto& [type, n] : types) counts[type] = {{"valid", n.valid}, {"refused", n.refused}};
  auto finish = [&](const std::string& outcome) {
    out << fmt::format("Lignes : {} ; valides : {} ; refusées : {}\n", summary.lines, summary.valid,
                       summary.refused);
    for (const auto& [type, n] : types) {
      out << fmt::format("  {} : {} valides, {} refusées\n", type, n.valid, n.refused);
    }
    out << fmt::format("Événements distincts : {}", summary.valid - summary.duplicated_in_file);
    if (summary.already_known >= 0) {
      out << fmt::format(" ; nouveaux : {} ; déjà connus du projecteur : {}",
                         summary.valid - summary.duplicated_in_file - summary.already_known,
                         summary.already_known);
    } else {
      out << " ; nouveaux ou déjà connus : non vérifié (--data pour le vérifier)";
    }
    out << fmt::format(" ; lignes en double dans le fichier : {}\n", summary.duplicated_in_file);
    out << fmt::format("SHA-256 du fichier : {}\n", summary.sha256);
    report.Finish(
        {{"file", options.file.filename().string()},
         {"format", format_name},
         {"operator", options.operator_id},
         {"sha256", summary.sha256},
         {"lines", summary.lines},
         {"valid", summary.valid},
         {"refused", summary.refused},
         {"counts", counts},
         {"written", summary.written},
         {"duplicated_in_file", summary.duplicated_in_file},
         {"already_known",
          summary.already_known >= 0 ? nlohmann::json(summary.already_known) : nlohmann::json()},
         {"new",
          summary.already_known >= 0
              ? nlohmann::json(summary.valid - summary.duplicated_in_file - summary.already_known)
              : nlohmann::json()},
         {"outcome", outcome}});
  };

  if (file_refusal) {
    finish("refused");
    out << "Résultat : fichier refusé en entier (ligne d'en-tête), rien n'a été écrit.\n";
    return absl::InvalidArgumentError(fmt::format(
        "{}: header refused ({}{}: {})", options.file.string(),
        intake::CodeName(file_refusal->code),
        file_refusal->field.empty() ? "" : " " + file_refusal->field, file_refusal->message));
  }
  if (summary.lines == 0) {
    finish("refused");
    out << "Résultat : aucun événement dans le fichier, rien n'a été écrit.\n";
    return absl::InvalidArgumentError(fmt::format("{}: no event", options.file.string()));
  }
  if (summary.refused > 0 && !options.skip_invalid) {
    finish("refused");
    out << fmt::format(
        "Résultat : rien n'a été écrit ({} lignes refusées). Corrigez-les, ou relancez avec "
        "--skip-invalid pour n'importer que les {} lignes valides.\n",
        summary.refused, summary.valid);
    return absl::InvalidArgumentError(
        fmt::format("{} of {} lines refused, nothing written", summary.refused, summary.lines));
  }
  if (summary.valid == 0) {
    finish("refused");
    out << "Résultat : aucune ligne valide, rien n'a été écrit.\n";
    return absl::InvalidArgumentError("no valid line, nothing written");
  }
  if (options.validating_one_of_several) {
    finish("valid");
    out << fmt::format(
        "Fichier valide : {} événements à écrire après la vérification des autres "
        "fichiers.\n",
        summary.valid - summary.duplicated_in_file);
    return summary;
  }
  if (options.dry_run) {
    finish("dry_run");
    out << fmt::format(
        "Résultat : essai (--dry-run), rien n'a été écrit ; {} événements seraient "
        "importés.\n",
        summary.valid - summary.duplicated_in_file);
    return summary;
  }

  // Pass 2: write the valid events, from the spool.
  if (spool_failed || std::fflush(spool.get()) != 0 || std::fseek(spool.get(), 0, SEEK_SET) != 0) {
    finish("failed");
    return absl::InternalError(
        "cannot write the temporary file of validated events (disk full?); nothing written");
  }
  auto producer = kafka::Producer::Create({.bootstrap = options.bootstrap,
                                           .client_id = "pilotagectl-import",
                                           .delivery_timeout = std::chrono::seconds(120),
                                           .enqueue_timeout = std::chrono::seconds(120),
                                           .linger_ms = 20,
                                           .max_queued_messages = 100000});
  if (!producer.ok()) return producer.status();
  std::atomic<int64_t> failed{0};
  std::mutex error_mu;
  absl::Status first_error;
  {
    service::Progress progress("writing", spooled);
    std::string key;
    bool spool_ok = true;
    for (int64_t i = 0; i < spooled; ++i) {
      uint32_t key_size = 0, value_size = 0;
      spool_ok = std::fread(&key_size, 4, 1, spool.get()) == 1 && key_size <= (1u << 20);
      if (spool_ok) {
        key.resize(key_size);
        spool_ok = std::fread(key.data(), 1, key_size, spool.get()) == key_size &&
                   std::fread(&value_size, 4, 1, spool.get()) == 1 && value_size <= (1u << 26);
      }
      if (spool_ok) {
        value.resize(value_size);
        spool_ok = std::fread(value.data(), 1, value_size, spool.get()) == value_size;
      }
      if (!spool_ok) {
        std::lock_guard lock(error_mu);
        if (first_error.ok()) {
          first_error = absl::DataLossError("cannot read back the temporary file of events");
        }
        break;
      }
      absl::Status s =
          (*producer)->Send({.topic = options.activity_topic, .key = key, .value = value},
                            [&](const kafka::Delivery& d) {
                              if (d.status.ok()) return;
                              failed.fetch_add(1, std::memory_order_relaxed);
                              std::lock_guard lock(error_mu);
                              if (first_error.ok()) first_error = d.status;
                            });
      if (!s.ok()) {
        failed.fetch_add(1);
        std::lock_guard lock(error_mu);
        if (first_error.ok()) first_error = s;
        break;
      }
      ++summary.written;
      if ((i & 0x3fff) == 0) progress.Update(i);
    }
    absl::Status flushed = (*producer)->Flush(std::chrono::minutes(5));
    progress.Finish(summary.written);
    if (!flushed.ok() && first_error.ok()) first_error = flushed;
  }
  spool.reset();
  {
    std::lock_guard lock(error_mu);
    if (!first_error.ok()) {
      const int64_t n = failed.load();
      summary.written = 0;
      finish("failed");
      out << "Résultat : Kafka n'a pas confirmé toutes les écritures ; relancez la même commande "
             "(les événements déjà écrits ne seront pas comptés deux fois).\n";
      return absl::UnavailableError(
          fmt::format("{} events not acknowledged by Kafka ({}); re-run the same import",
                      n > 0 ? fmt::format("{}", n) : "some", first_error.ToString()));
    }
  }

  // The import itself, once per lot, after its events were acknowledged.
  std::vector<v1::Event> imports;
  for (const auto& [lot_id, stats] : per_lot) {
    v1::Event e;
    e.set_event_id(fmt::format("import-{}-{}", summary.sha256.substr(0, 32), lot_id));
    e.set_lot_id(lot_id);
    e.set_operator_id(options.operator_id);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(now));
    e.mutable_recorded_at()->set_seconds(absl::ToUnixSeconds(now));
    auto* h = e.mutable_history_imported();
    h->set_imported_by(options.imported_by);
    h->set_file_name(options.file.filename().string());
    h->set_file_sha256(summary.sha256);
    h->set_format(format_name);
    h->set_lines(summary.lines);
    h->set_refused_lines(summary.refused);
    for (const auto& [type, n] : stats.counts) {
      auto* c = h->add_counts();
      c->set_event_type(type);
      c->set_events(n);
    }
    h->set_events(stats.events);
    h->set_recorded_at_from_file(stats.recorded_from_file);
    h->set_first_day(ParisDay(stats.first));
    h->set_last_day(ParisDay(stats.last));
    for (const auto& [day, n] : stats.days) {
      auto* d = h->add_days();
      d->set_day(day);
      d->set_events(n);
    }
    imports.push_back(std::move(e));
  }
  std::vector<std::string> values;
  for (const auto& e : imports) values.push_back(e.SerializeAsString());
  std::vector<kafka::Record> records;
  for (size_t i = 0; i < imports.size(); ++i) {
    records.push_back(
        {.topic = options.contract_topic, .key = imports[i].lot_id(), .value = values[i]});
  }
  for (const auto& d : (*producer)->SendAll(records)) {
    if (!d.status.ok()) {
      finish("failed");
      return absl::UnavailableError(fmt::format(
          "the events were written but not the import's record ({}); re-run the same import",
          d.status.ToString()));
    }
  }
  finish("imported");
  out << fmt::format("Résultat : {}{}.\n", WrittenText(summary),
                     summary.refused ? fmt::format(" ; {} lignes refusées laissées de côté "
                                                   "(--skip-invalid)",
                                                   summary.refused)
                                     : "");
  return summary;
}

}  // namespace pilotage::pilotagectl
