#pragma once
// Command-line options for libs/http's limits, the same names in every
// service (docs/operations.md). Header-only; the bound variables must
// outlive the parse.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "CLI/CLI.hpp"
#include "pilotage/http/server.h"

namespace pilotage::http {

// Adds --io-threads, --max-header-bytes, --max-header-count,
// --header-timeout-ms, --body-timeout-ms, --idle-timeout-ms,
// --max-requests-per-connection and --max-connections to `app`, with the
// current values as defaults. The body limit stays the service's own option.
inline void AddLimitOptions(CLI::App& app, Limits& limits, int& io_threads) {
  app.add_option("--io-threads", io_threads, "HTTP I/O threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--max-header-bytes", limits.max_header_bytes,
                 "request line and header fields, bytes (over: 431)")
      ->check(CLI::Range(size_t{256}, size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--max-header-count", limits.max_header_count, "header fields (over: 431)")
      ->check(CLI::Range(size_t{1}, size_t{10000}))
      ->capture_default_str();
  const auto milliseconds = [&app](const std::string& name, std::chrono::milliseconds& value,
                                   const std::string& help) {
    app.add_option_function<int64_t>(
           name, [&value](int64_t ms) { value = std::chrono::milliseconds(ms); }, help)
        ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
        ->default_str(std::to_string(value.count()));
  };
  milliseconds("--header-timeout-ms", limits.header_timeout,
               "time for a request's header to arrive whole");
  milliseconds("--body-timeout-ms", limits.body_timeout,
               "time for a request's body to arrive whole");
  milliseconds("--idle-timeout-ms", limits.idle_timeout,
               "an idle keep-alive connection is closed after this");
  app.add_option("--max-requests-per-connection", limits.max_requests_per_connection,
                 "requests answered on one keep-alive connection")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_option("--max-connections", limits.max_connections,
                 "open connections (over: 503 and closed)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
}

// Adds --tls-cert (env PILOTAGE_TLS_CERT) and --tls-key (env
// PILOTAGE_TLS_KEY) to `app`: given both, the service speaks HTTPS only.
inline void AddTlsOptions(CLI::App& app, TlsOptions& tls) {
  auto* cert = app.add_option("--tls-cert", tls.cert_file,
                              "TLS certificate chain, PEM (with --tls-key: HTTPS only; "
                              "reloaded on SIGHUP)")
                   ->envname("PILOTAGE_TLS_CERT")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--tls-key", tls.key_file, "TLS private key, PEM")
                  ->envname("PILOTAGE_TLS_KEY")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
}

// --port-file: writes `port` and a newline to `path` through a temporary
// file renamed over it, so that a reader (a test, a script) waiting for the
// file never reads it half written. Failures are not reported: the reader
// then waits in vain, and says so.
inline void WritePortFile(const std::string& path, int port) {
  std::ofstream out(path + ".tmp");
  out << port << "\n";
  out.close();
  std::rename((path + ".tmp").c_str(), path.c_str());
}

}  // namespace pilotage::http
