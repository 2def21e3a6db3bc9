#pragma once
// pilotage's HTTP/1.1 servers (Boost.Beast, decision 0025), set up one way for
// every service and hardened against hostile clients: every request is read
// under size limits and deadlines, framing is strict (RFC 9112), and the
// number of connections is capped. The service registers its routes and
// chooses its answers' JSON shape.
//
// Model: `io_threads` threads run asynchronous I/O for every connection (a
// slow or idle client holds no thread), and `threads` worker threads run the
// handlers, which may block (the gateway waits for Kafka). Each connection
// has at most one request in a handler at a time; pipelined requests are
// answered in order.
//
// Refused before any handler (the connection is then closed): request line
// and header over `max_header_bytes` or more than `max_header_count` fields
// (431), body over `max_body_bytes` (413), both Content-Length and
// Transfer-Encoding (400), a Transfer-Encoding other than `chunked` (501), an
// HTTP/1.1 request without exactly one Host field (400),
// whitespace before a field's colon, a NUL, CR or LF inside a value and any
// other malformed syntax (400). A header not complete within
// `header_timeout`, a body not complete within `body_timeout`, or no new
// request within `idle_timeout` on a keep-alive connection: the connection is
// closed. An answer that keeps its connection open says so with
// `Keep-Alive: timeout=N` (`idle_timeout` in whole seconds, rounded down):
// a client that honours it (Node's fetch) stops reusing the connection
// before this server closes it, rather than sending a request the close
// crosses; the last answer of a connection (max_requests_per_connection, a
// refusal, a stop) says `Connection: close`. Over `max_connections`, a new connection gets 503 and
// is closed at once (over TLS, closed without a byte: a plain 503 would reach a TLS client as a
// corrupt record). These answers go through the error handler (see Routes).
//
// TLS (optional, TlsOptions): TLS 1.2 or 1.3 only, forward-secret AEAD
// ciphers, no renegotiation or compression. The handshake must end within
// `header_timeout`; a client speaking plain HTTP to a TLS port gets a plain
// 400 and is closed. ReloadTls() swaps the certificate and key for the
// connections accepted after it (SIGHUP in the services).
//
// Every answer carries security headers unless the handler set its own:
// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
// `Cache-Control: no-store`, `X-Frame-Options: DENY`,
// `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`
// (a page that loads scripts sets its own), and with TLS
// `Strict-Transport-Security: max-age=31536000`.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "pilotage/http/message.h"

namespace pilotage::http {

// What a client may send and for how long. Defaults suit a small JSON API;
// docs/operations.md lists each service's settings.
struct Limits {
  // Request line and header fields together, bytes.
  size_t max_header_bytes = 16 * 1024;
  // Header fields.
  size_t max_header_count = 100;
  // Body, bytes (after de-chunking).
  size_t max_body_bytes = 64 * 1024;
  // From the connection's first byte (or the end of the previous answer's
  // idle wait) to the header's last byte.
  std::chrono::milliseconds header_timeout{10000};
  // From the end of the header to the body's last byte.
  std::chrono::milliseconds body_timeout{30000};
  // A keep-alive connection with no new request for this long is closed.
  std::chrono::milliseconds idle_timeout{5000};
  // Writing one answer.
  std::chrono::milliseconds write_timeout{30000};
  // Requests answered on one connection before it is closed.
  int max_requests_per_connection = 1000;
  // Open connections; one more gets 503 and is closed (TLS: closed at once).
  int max_connections = 512;
};

// Certificate and key files, PEM. Both empty: plain HTTP.
struct TlsOptions {
  // The server's certificate first, then the intermediates, if any.
  std::string cert_file;
  // Its private key (unencrypted).
  std::string key_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  // 0: any free port (see Server::port()).
  int port = 0;
  // Handler threads (handlers may block).
  int threads = 16;
  // I/O threads (asynchronous: a handful serve thousands of connections).
  int io_threads = 2;
  Limits limits;
  TlsOptions tls;
};

using Handler = std::function<void(const Request&, Response&)>;
// Runs on an I/O thread once a request's header is read, before its body:
// returns true to read the body, or false to answer `res` at once without
// reading it (the connection is then closed). Must not block.
using BodyGate = std::function<bool(const Request&, Response&)>;

// Handlers, registered before Serve(); they run on the worker threads.
class Routes {
 public:
  // `pattern` is an ECMAScript regular expression matched against the whole
  // decoded path; the first registered match wins. HEAD runs the GET handler
  // and sends no body.
  void Get(std::string pattern, Handler handler);
  void Post(std::string pattern, Handler handler);
  // Called for every answer with a status >= 400, after the route's handler
  // if any: a route that matched no request (404), a method not served
  // (405), or a refusal by the server itself (400, 413, 431, 501: the
  // Request then has what was read of the header, no body). May rewrite `res`.
  void SetErrorHandler(Handler handler);
  // See BodyGate. Default: read every body.
  void SetBodyGate(BodyGate gate);

  // For the server.
  struct Route;
  const std::vector<std::shared_ptr<const Route>>& all() const { return routes_; }
  const Handler& error_handler() const { return error_handler_; }
  const BodyGate& body_gate() const { return body_gate_; }

 private:
  std::vector<std::shared_ptr<const Route>> routes_;
  Handler error_handler_;
  BodyGate body_gate_;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  Routes& routes() { return routes_; }

  // Binds the listening socket (SO_REUSEADDR, never SO_REUSEPORT), after
  // loading the TLS certificate and key if any.
  // kInvalidArgument for threads, io_threads or limits below 1, and for TLS
  // files that are missing, unreadable, not PEM, a key that does not match
  // the certificate, or a certificate expired or not yet valid (the message
  // names the file); kUnavailable "cannot listen on HOST:PORT" when the
  // address cannot be bound.
  [[nodiscard]] absl::Status Bind();
  // Reads the certificate and key files again (same checks as Bind()); on
  // success, connections accepted from now on use them, open ones keep
  // theirs. On error the server keeps serving with what it had.
  // kFailedPrecondition when the server has no TLS. Thread-safe.
  [[nodiscard]] absl::Status ReloadTls();
  bool tls() const { return options_.tls.enabled(); }
  // The bound port (-1 before a successful Bind()).
  int port() const { return port_; }
  const ServerOptions& options() const { return options_; }

  // Serves until Stop(), then returns OK once every request in a handler
  // is answered. Returns at once when Stop() came first.
  [[nodiscard]] absl::Status Serve();
  // Thread-safe, idempotent; may come before, during or after Serve()'s
  // start. Stops accepting and closes connections as their answers finish.
  void Stop();

  class Impl;

 private:
  ServerOptions options_;
  Routes routes_;
  int port_ = -1;
  std::unique_ptr<Impl> impl_;
};

// Answers the requests in `bytes` as one connection of a server with
// `routes` and `limits` would, in memory and on the calling thread (no
// socket, no timeouts): the same parsing under the limits, framing checks,
// body gate, routing, handlers and error handler. Stops after an answer that
// closes the connection, after `max_requests_per_connection` answers, or when
// the bytes end (a request cut short gets no answer: a connection would wait
// for the rest, then close). The answers in order, as the handlers and error
// handler left them (before the security headers). For fuzzing and tests.
std::vector<Response> AnswerBytes(const Routes& routes, const Limits& limits,
                                  std::string_view bytes);

// The token of an `Authorization: Bearer <token>` header; nullopt when the
// header is missing, has another scheme or an empty token.
std::optional<std::string> BearerToken(const Request& req);

}  // namespace pilotage::http
