#pragma once
// pilotage's HTTP servers (cpp-httplib, decision 0008), set up one way for
// every service: a fixed pool of worker threads, TCP_NODELAY (why: see
// libs/http/README.md), bind to a host and port, serve until Stop(). The
// service registers its own routes and chooses its answers' JSON shape.

#include <httplib.h>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace pilotage::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  // 0: any free port (see Server::port()).
  int port = 0;
  // Worker threads. A keep-alive connection holds one while it is open.
  int threads = 16;
  // Requests served on one keep-alive connection; 0: cpp-httplib's default (5).
  int keep_alive_max_count = 0;
  // Seconds an idle keep-alive connection is kept; 0: cpp-httplib's default (5).
  int keep_alive_timeout_s = 0;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Where handlers, error handler and limits are registered, before Serve().
  httplib::Server& routes() { return server_; }

  // Binds the listening socket. kInvalidArgument when threads < 1;
  // kUnavailable "cannot listen on HOST:PORT" when the address cannot be bound.
  [[nodiscard]] absl::Status Bind();
  // The bound port (-1 before a successful Bind()).
  int port() const { return port_; }
  const ServerOptions& options() const { return options_; }

  // Serves until Stop() (OK), or returns kUnavailable if the server stops by
  // itself. Returns at once when Stop() came first.
  [[nodiscard]] absl::Status Serve();
  // Thread-safe, idempotent; may come before, during or after Serve()'s start.
  void Stop();

 private:
  ServerOptions options_;
  httplib::Server server_;
  int port_ = -1;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> serving_{false};
};

// The token of an `Authorization: Bearer <token>` header; nullopt when the
// header is missing, has another scheme or an empty token.
std::optional<std::string> BearerToken(const httplib::Request& req);

}  // namespace pilotage::http
