// The pilotage-ingest command line (include/pilotage/ingest/cli.h).
#include "pilotage/ingest/cli.h"

#include <iostream>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "pilotage/http/options.h"
#include "pilotage/ingest/config.h"
#include "pilotage/ingest/gateway.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/service/service.h"
#include "spdlog/spdlog.h"

namespace pilotage::ingest {

int RunCli(int argc, char** argv) {
  service::StopSignal stop_signal;
  service::ReloadSignal reload_signal;
  CLI::App app{
      "pilotage-ingest: operators POST service-delivery events; they are validated and written "
      "durably to Kafka"};
  app.set_config("--settings", "", "settings file (TOML or INI: key = value, one per flag)");
  app.require_subcommand(1);
  GatewayOptions options;
  std::string config_path;
  service::LoggingOptions logging;
  int skew_s = 300;
  int delivery_ms = static_cast<int>(options.delivery_timeout.count());
  service::AddLoggingOptions(app, logging);

  auto* serve = app.add_subcommand("serve", "serve POST /v1/events until SIGTERM/SIGINT");
  serve->add_option("--bootstrap", options.bootstrap, "Kafka bootstrap servers host:port")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  std::string kafka_config;
  serve->add_option("--kafka-config", kafka_config, kafka::kClientConfigHelp)
      ->envname("PILOTAGE_KAFKA_CONFIG");
  serve->add_option("--config", config_path, "gateway configuration (lots, operators, tokens)")
      ->envname("PILOTAGE_INGEST_CONFIG")
      ->required();
  serve->add_option("--host", options.host, "address to listen on")->capture_default_str();
  serve->add_option("--port", options.port, "port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve->add_option("--threads", options.threads, "HTTP handler threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  http::AddLimitOptions(*serve, options.http_limits, options.io_threads);
  http::AddTlsOptions(*serve, options.tls);
  serve->add_option("--activity-topic", options.activity_topic)->capture_default_str();
  serve->add_option("--rejected-topic", options.rejected_topic)->capture_default_str();
  serve->add_option("--max-body-bytes", options.validation.limits.max_body_bytes)
      ->capture_default_str();
  serve->add_option("--max-events", options.validation.limits.max_events, "events per request")
      ->capture_default_str();
  serve->add_option("--max-clock-skew-s", skew_s, "how far in the future occurred_at may be")
      ->capture_default_str();
  serve
      ->add_option("--delivery-timeout-ms", delivery_ms,
                   "how long a request waits for Kafka before 503")
      ->capture_default_str();
  serve->add_flag("--replay-clock", options.replay_clock,
                  "demonstrations only: take 'now' from the X-Pilotage-Replay-Time header "
                  "(loopback only)");
  std::string port_file;
  serve->add_option("--port-file", port_file, "write the bound port to this file once listening");

  auto* hash = app.add_subcommand(
      "hash-token", "print the SHA-256 of the token read on stdin, for the configuration");

  if (auto code = service::ParseCommandLine(app, argc, argv, logging, "pilotage-ingest")) {
    return *code;
  }
  if (hash->parsed()) {
    std::string token;
    std::getline(std::cin, token);
    std::cout << TokenHash(token) << "\n";
    return 0;
  }
  if (auto s = kafka::InstallClientConfig(kafka_config); !s.ok()) {
    return service::Fail("pilotage-ingest", s);
  }
  options.validation.max_clock_skew = absl::Seconds(skew_s);
  options.delivery_timeout = std::chrono::milliseconds(delivery_ms);
  auto config = LoadConfig(config_path);
  if (!config.ok()) return service::Fail("pilotage-ingest", config.status());
  auto gateway = Gateway::Create(options, std::move(*config));
  if (!gateway.ok()) return service::Fail("pilotage-ingest", gateway.status());
  if (options.replay_clock) {
    spdlog::warn("replay clock on: recorded_at comes from X-Pilotage-Replay-Time (demo only)");
  }
  auto result =
      service::ServeUntilStopped(**gateway, stop_signal, reload_signal, options.tls.enabled(), [&] {
        if (!port_file.empty()) {
          http::WritePortFile(port_file, (*gateway)->port());
        }
      });
  return result.ok() ? 0 : service::Fail("pilotage-ingest", result);
}

}  // namespace pilotage::ingest
