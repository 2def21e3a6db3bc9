#include "pilotage/http/server.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace pilotage::http {

Server::Server(ServerOptions options) : options_(std::move(options)) {
  server_.new_task_queue = [n = options_.threads] { return new httplib::ThreadPool(n); };
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle
  // and the client's delayed ACKs add up to 40 ms to a keep-alive answer.
  server_.set_tcp_nodelay(true);
  // cpp-httplib's default also sets SO_REUSEPORT, with which a second
  // gateway or query service started on the same port would share it and
  // take half the connections. Only SO_REUSEADDR: a restart can rebind at
  // once, a second instance fails with "cannot listen".
  server_.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  if (options_.keep_alive_max_count > 0) {
    server_.set_keep_alive_max_count(static_cast<size_t>(options_.keep_alive_max_count));
  }
  if (options_.keep_alive_timeout_s > 0) {
    server_.set_keep_alive_timeout(options_.keep_alive_timeout_s);
  }
}

absl::Status Server::Bind() {
  if (options_.threads < 1) return absl::InvalidArgumentError("--threads: at least 1");
  port_ = options_.port == 0
              ? server_.bind_to_any_port(options_.host)
              : (server_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ < 0) {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{}", options_.host, options_.port));
  }
  return absl::OkStatus();
}

absl::Status Server::Serve() {
  serving_ = true;
  if (stopped_) return absl::OkStatus();
  if (!server_.listen_after_bind() && !stopped_) {
    return absl::UnavailableError("the HTTP server stopped unexpectedly");
  }
  return absl::OkStatus();
}

void Server::Stop() {
  stopped_ = true;
  // A Stop() racing with the start of Serve() waits (bounded) for the
  // server to run, so that the stop is not lost.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (serving_ && !server_.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_.stop();
}

std::optional<std::string> BearerToken(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  static constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  return header.substr(kPrefix.size());
}

}  // namespace pilotage::http
