#include "pilotage/pilotagectl/cli.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/pilotagectl/contract.h"
#include "pilotage/pilotagectl/counters.h"
#include "pilotage/pilotagectl/import.h"
#include "pilotage/pilotagectl/kpis.h"
#include "pilotage/readmodel/coverage.h"
#include "pilotage/service/env.h"
#include "pilotage/service/service.h"
#include "steering_cli.h"

namespace pilotage::pilotagectl {
namespace {

// service::Fail's message; the exit code of a store that cannot be trusted
// for a decision is its own (decision 0028).
int Failed(const absl::Status& status) {
  const int code = service::Fail("pilotagectl", status);
  return readmodel::IsStoreNotTrusted(status) ? service::kExitStoreNotTrusted : code;
}

// Optimal string alignment distance (Damerau–Levenshtein without
// repeated edits of a substring).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The first word of the command line that is not an option, an option's
// value or a known subcommand, where subcommands are expected; nullopt when
// every word is known (CLI11 then reports what else is wrong).
std::optional<std::string> UnknownSubcommandMessage(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") return std::nullopt;
    if (word.size() > 1 && word[0] == '-') {
      if (word.find('=') != std::string::npos) continue;
      const CLI::Option* option = level->get_option_no_throw(word);
      if (option == nullptr) option = app.get_option_no_throw(word);
      if (option != nullptr && option->get_items_expected_max() > 0) ++i;  // its value
      continue;
    }
    const auto subcommands = level->get_subcommands([](CLI::App*) { return true; });
    if (subcommands.empty()) return std::nullopt;  // positional arguments from here
    CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (CLI::App* sub : subcommands) {
      names.push_back(sub->get_name());
      if (sub->get_name() == word) next = sub;
    }
    if (next == nullptr) {
      const auto closest = ClosestName(word, names);
      return closest ? fmt::format(
                           "pilotagectl : sous-commande inconnue « {} » ; voulez-vous dire "
                           "« {} » ? (pilotagectl --help)",
                           word, *closest)
                     : fmt::format(
                           "pilotagectl : sous-commande inconnue « {} » ; sous-commandes : "
                           "{} (pilotagectl --help)",
                           word, fmt::join(names, ", "));
    }
    level = next;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ClosestName(std::string_view word,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

int RunCli(int argc, char** argv, std::ostream& out) {
  CLI::App app{"pilotagectl: pilots' commands over pilotage's read models"};
  app.require_subcommand(1);
  std::string data_dir = service::EnvOr("PILOTAGE_PROJECTOR_DATA", "data/projector");
  app.add_option("--data", data_dir, "the projector's data directory (holds current -> store)")
      ->envname("PILOTAGE_PROJECTOR_DATA")
      ->capture_default_str();
  service::LoggingOptions logging;
  service::AddLoggingOptions(app, logging);
  std::string kafka_config;
  app.add_option("--kafka-config", kafka_config,
                 std::string(kafka::kClientConfigHelp) +
                     "; its sasl.username is who steering decisions are recorded under")
      ->envname("PILOTAGE_KAFKA_CONFIG");

  KpisOptions kpis;
  auto* kpis_cmd = app.add_subcommand(
      "kpis", "KPI results of a lot (or national) for a period, as known at its closing");
  auto* lot = kpis_cmd->add_option("--lot", kpis.lot, "the lot, e.g. LOT-11");
  auto* national = kpis_cmd->add_flag("--national", kpis.national, "every lot, aggregated");
  lot->excludes(national);
  kpis_cmd
      ->add_option("--period", kpis.period,
                   "2024-01 (month), 2024-Q1 (quarter), 2024 (year), CY1 (contract year)")
      ->required();
  kpis_cmd->add_flag("--json", kpis.json, "print JSON (English keys) instead of the table");

  CountersOptions counters;
  auto* counters_cmd = app.add_subcommand(
      "counters", "a lot's activity counters by month, metric and dimension for a period");
  counters_cmd->add_option("--lot", counters.lot, "the lot, e.g. LOT-11")->required();
  counters_cmd->add_option("--period", counters.period, "2024-01, 2024-Q1, 2024")->required();
  counters_cmd->add_flag("--json", counters.json, "print JSON");

  auto* contract = app.add_subcommand("contract", "the contract: check terms, publish them");
  contract->require_subcommand(1);
  std::vector<std::filesystem::path> check_files;
  auto* check = contract->add_subcommand("check", "parse and validate terms files");
  check->add_option("files", check_files, "terms files (text format)")->required();
  PublishOptions publish;
  auto* publish_cmd = contract->add_subcommand(
      "publish", "publish each lot's award and the terms governing it, keyed by lot");
  publish_cmd->add_option("--bootstrap", publish.bootstrap, "Kafka bootstrap servers host:port")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP")
      ->required();
  publish_cmd->add_option("--topic", publish.topic)->capture_default_str();
  publish_cmd->add_option("--lots", publish.lots_file, "lot file (deploy/lots/cep-2024-lots.json)")
      ->required();
  publish_cmd->add_option("--lot", publish.lots, "only this lot (repeatable)");
  publish_cmd
      ->add_option("--lots-multiplier", publish.lots_multiplier,
                   "benchmarks: a contract N times larger, each lot and N-1 copies (LOT-11-2, …), "
                   "as pilotage-simulator --lots-multiplier N makes")
      ->type_name("N")
      ->capture_default_str();
  publish_cmd->add_option("--terms", publish.terms_files, "terms file (repeatable)")->required();

  SteeringCli steering;
  AddSteeringCommands(app, steering);
  ImportOptions import;
  auto* import_cmd = AddImportCommand(app, import);

  if (auto unknown = UnknownSubcommandMessage(app, argc, argv)) {
    std::cerr << *unknown << "\n";
    return 2;
  }
  if (auto code = service::ParseCommandLine(app, argc, argv, logging, "pilotagectl")) return *code;
  if (auto s = kafka::InstallClientConfig(kafka_config); !s.ok()) {
    return service::Fail("pilotagectl", s);
  }
  if (kpis_cmd->parsed() && !kpis.national && kpis.lot.empty()) {
    std::cerr << "pilotagectl kpis: give --lot LOT or --national\n";
    return 2;
  }
  if (auto steered = RunSteering(steering, data_dir, out)) {
    return steered->ok() ? 0 : Failed(*steered);
  }
  kpis.data_dir = data_dir;
  absl::Status result;
  counters.data_dir = data_dir;
  if (import_cmd->parsed()) {
    // Already known events are looked up only in a store named on purpose.
    if (app.get_option("--data")->count() > 0 ||
        !service::EnvOr("PILOTAGE_PROJECTOR_DATA", "").empty()) {
      import.data_dir = data_dir;
    }
    result = RunImport(import, out).status();
  } else if (counters_cmd->parsed()) {
    result = PrintCounters(counters, out);
  } else if (check->parsed()) {
    result = CheckTerms(check_files, out);
  } else if (publish_cmd->parsed()) {
    result = PublishContract(publish, out);
  } else {
    result = PrintKpis(kpis, out);
  }
  return result.ok() ? 0 : Failed(result);
}

}  // namespace pilotage::pilotagectl
