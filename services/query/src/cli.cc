// The pilotage-query command line (include/pilotage/query/cli.h).
#include "pilotage/query/cli.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "pilotage/access/access.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/http/options.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/query/query.h"
#include "pilotage/service/service.h"

namespace pilotage::query {
namespace {

// The dashboard built beside the binaries: <build>/bin/pilotage-query ->
// <build>/web/query (the query-web target).
std::filesystem::path DefaultWebDir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  auto dir = exe.parent_path().parent_path() / "web" / "query";
  return std::filesystem::exists(dir / "index.html") ? dir : std::filesystem::path();
}

}  // namespace

int RunCli(int argc, const char* const* argv) {
  service::BoundMallocArenas();
  service::StopSignal stop_signal;
  service::ReloadSignal reload_signal;
  CLI::App app{
      "pilotage-query: the pilots' JSON API and web dashboard over the projector's read models"};
  app.set_config("--config", "", "settings file (TOML or INI: key = value, one per flag)");
  app.require_subcommand(1);
  QueryOptions options;
  service::LoggingOptions logging;
  service::AddLoggingOptions(app, logging);

  auto* serve = app.add_subcommand("serve", "serve the API and the dashboard until SIGTERM/SIGINT");
  std::string data_dir, tokens_path, web_dir, port_file, secondary_dir;
  int catch_up_ms = static_cast<int>(options.catch_up.count());
  serve->add_option("--data", data_dir, "the projector's data directory (its `current` link)")
      ->envname("PILOTAGE_DATA_DIR")
      ->required();
  serve->add_option("--tokens", tokens_path, "tokens file (pilots and operators, SHA-256 only)")
      ->envname("PILOTAGE_QUERY_TOKENS")
      ->required();
  serve->add_option("--host", options.host, "address to listen on")
      ->envname("PILOTAGE_QUERY_HOST")
      ->capture_default_str();
  serve->add_option("--port", options.port, "port to listen on (0: any free port)")
      ->envname("PILOTAGE_QUERY_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve->add_option("--threads", options.threads, "HTTP handler threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  http::AddLimitOptions(*serve, options.http_limits, options.io_threads);
  http::AddTlsOptions(*serve, options.tls);
  serve->add_option("--catch-up-ms", catch_up_ms, "how often the view catches up with the store")
      ->check(CLI::Range(10, 600000))
      ->capture_default_str();
  serve
      ->add_option("--bootstrap", options.bootstrap,
                   "Kafka bootstrap servers: the projector's lag, and decisions from the "
                   "dashboard (written to --contract-topic); without it, decisions are refused")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  std::string kafka_config;
  serve->add_option("--kafka-config", kafka_config, kafka::kClientConfigHelp)
      ->envname("PILOTAGE_KAFKA_CONFIG");
  int answer_cache_mib = static_cast<int>(options.answer_cache_bytes >> 20);
  serve
      ->add_option("--answer-cache-mib", answer_cache_mib,
                   "bound of the remembered answers, MiB (least recently used forgotten first)")
      ->envname("PILOTAGE_QUERY_ANSWER_CACHE_MIB")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  serve
      ->add_option("--contract-topic", options.contract_topic,
                   "where decisions taken on the dashboard are written (the query service's "
                   "Kafka principal needs Write on it)")
      ->envname("PILOTAGE_CONTRACT_TOPIC")
      ->capture_default_str();
  serve->add_option("--topics", options.topics, "topics the projector folds (for its lag)")
      ->delimiter(',')
      ->capture_default_str();
  int end_offsets_ms = static_cast<int>(options.end_offsets_interval.count());
  serve
      ->add_option("--end-offsets-ms", end_offsets_ms,
                   "how often Kafka's end offsets are asked for (lag, /readyz)")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  serve
      ->add_option("--ready-max-lag", options.ready_max_lag,
                   "/readyz answers 503 when a partition lags more than this many events "
                   "(at least 1: a trailing transaction marker counts 1)")
      ->envname("PILOTAGE_QUERY_READY_MAX_LAG")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->capture_default_str();
  serve
      ->add_option("--web-dir", web_dir,
                   "the built dashboard (default: ../web/query beside the binary, if built)")
      ->envname("PILOTAGE_QUERY_WEB_DIR");
  serve->add_option("--secondary-dir", secondary_dir,
                    "the RocksDB secondary's own directory (default: a temporary one)");
  serve->add_option("--port-file", port_file, "write the bound port to this file once listening");
  std::string today;
  serve->add_option("--today", today,
                    "judge closings and deadlines as on this day, YYYY-MM-DD (demonstrations, "
                    "tests; default: each answer's Europe/Paris day)");

  app.add_subcommand("hash-token",
                     "print the SHA-256 of the token read on stdin, for the tokens file");

  if (auto code = service::ParseCommandLine(app, argc, argv, logging, "pilotage-query")) {
    return *code;
  }
  if (!serve->parsed()) {
    std::string token;
    std::getline(std::cin, token);
    std::cout << access::TokenHash(token) << "\n";
    return 0;
  }
  if (auto s = kafka::InstallClientConfig(kafka_config); !s.ok()) {
    return service::Fail("pilotage-query", s);
  }
  options.data_dir = data_dir;
  options.answer_cache_bytes = static_cast<size_t>(answer_cache_mib) << 20;
  options.secondary_dir = secondary_dir;
  options.catch_up = std::chrono::milliseconds(catch_up_ms);
  options.end_offsets_interval = std::chrono::milliseconds(end_offsets_ms);
  options.web_dir = web_dir.empty() ? DefaultWebDir() : std::filesystem::path(web_dir);
  if (!today.empty()) {
    auto day = domain::ParseDay(today);
    if (!day.ok()) {
      return service::Fail(
          "pilotage-query",
          absl::InvalidArgumentError("--today: " + std::string(day.status().message())));
    }
    options.today = *day;
  }
  auto tokens = access::AccessTable::Load(tokens_path);
  if (!tokens.ok()) return service::Fail("pilotage-query", tokens.status());
  auto service = QueryService::Create(options, std::move(*tokens));
  if (!service.ok()) return service::Fail("pilotage-query", service.status());
  auto result =
      service::ServeUntilStopped(**service, stop_signal, reload_signal, options.tls.enabled(), [&] {
        if (!port_file.empty()) {
          http::WritePortFile(port_file, (*service)->port());
        }
      });
  return result.ok() ? 0 : service::Fail("pilotage-query", result);
}

}  // namespace pilotage::query
