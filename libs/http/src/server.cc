#include "pilotage/http/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "absl/status/statusor.h"
#include "fmt/format.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace pilotage::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

struct Routes::Route {
  std::string method;
  std::regex pattern;
  Handler handler;
};

void Routes::Get(std::string pattern, Handler handler) {
  routes_.push_back(std::make_shared<const Route>(
      Route{"GET", std::regex(pattern, std::regex::ECMAScript), std::move(handler)}));
}

void Routes::Post(std::string pattern, Handler handler) {
  routes_.push_back(std::make_shared<const Route>(
      Route{"POST", std::regex(pattern, std::regex::ECMAScript), std::move(handler)}));
}

void Routes::SetErrorHandler(Handler handler) { error_handler_ = std::move(handler); }
void Routes::SetBodyGate(BodyGate gate) { body_gate_ = std::move(gate); }

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; a malformed escape is kept as it is.
std::string Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

void SplitTarget(std::string_view target, Request& req) {
  const size_t q = target.find('?');
  req.path = Decode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      req.params.emplace(Decode(pair.substr(0, eq), true),
                         eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

std::string ErrorJson(int status, std::string_view message) {
  std::string escaped;
  for (char c : message) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return fmt::format(R"({{"error":{{"status":{},"message":"{}"}}}})", status, escaped);
}

// Handler threads: tasks run in the order they come.
class WorkerPool {
 public:
  void Start(int n) {
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Run(); });
  }
  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }
  // Runs what is queued, then ends the threads.
  void Join() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return done_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  bool done_ = false;
};

using Parser = bhttp::request_parser<bhttp::string_body>;

void NewParser(std::optional<Parser>& parser, const Limits& limits) {
  parser.emplace();
  parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser->body_limit(limits.max_body_bytes);
}

// The request as read so far: method, target, path, parameters and header.
void FillHeader(const Parser& parser, Request& req) {
  const auto& h = parser.get();
  req.method = std::string(h.method_string());
  req.target = std::string(h.target());
  SplitTarget(req.target, req);
  req.headers.clear();
  for (const auto& field : h) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

// The checks of a whole header that Beast does not make: the status to
// refuse it with (and why), or 0.
int CheckHeader(const Parser& parser, const Limits& limits, std::string& why) {
  const auto& h = parser.get();
  size_t count = 0;
  for (auto it = h.begin(); it != h.end(); ++it) ++count;
  if (count > limits.max_header_count) {
    why = fmt::format("more than {} header fields (max_header_count)", limits.max_header_count);
    return 431;
  }
  // RFC 9112 3.2: an HTTP/1.1 request has exactly one Host (two could be
  // read differently by a proxy in front and by the service).
  if (h.version() == 11 && h.count(bhttp::field::host) != 1) {
    why = "an HTTP/1.1 request needs exactly one Host field";
    return 400;
  }
  // RFC 9112 6.1 and 6.3: a message with both is a smuggling attempt, and
  // a transfer coding the server does not know is 501.
  const size_t te = h.count(bhttp::field::transfer_encoding);
  if (te > 0 && h.count(bhttp::field::content_length) > 0) {
    why = "both Transfer-Encoding and Content-Length";
    return 400;
  }
  if (te > 1) {
    why = "Transfer-Encoding given twice";
    return 400;
  }
  if (te == 1) {
    std::string_view value = h[bhttp::field::transfer_encoding];
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!beast::iequals(value, "chunked")) {
      // A list of known codings only ("chunked, chunked") is malformed (RFC
      // 9112 7.1: chunked at most once, last); one unknown coding is 501.
      bool known = true;
      for (std::string_view rest = value; known && !rest.empty();) {
        const size_t comma = rest.find(',');
        std::string_view coding = rest.substr(0, comma);
        while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
          coding.remove_prefix(1);
        }
        while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
          coding.remove_suffix(1);
        }
        known = beast::iequals(coding, "chunked");
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      why = known ? "chunked Transfer-Encoding applied more than once"
                  : "only the chunked Transfer-Encoding is supported";
      return known ? 400 : 501;
    }
  }
  return 0;
}

// The status to answer a parse error with (and why), or 0 when the
// connection is to be closed without an answer: closed, reset, timed out
// (Beast's stream closes the socket then: no 408 is possible), or the server
// stops.
int ReadErrorStatus(beast::error_code ec, const Limits& limits, std::string& why) {
  if (ec == bhttp::error::header_limit) {
    why = fmt::format("request line and header over {} bytes (max_header_bytes)",
                      limits.max_header_bytes);
    return 431;
  }
  if (ec == bhttp::error::body_limit) {
    why = fmt::format("body over {} bytes (max_body_bytes)", limits.max_body_bytes);
    return 413;
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec.category() != bhttp::make_error_code(bhttp::error::header_limit).category()) {
    return 0;
  }
  why = fmt::format("malformed request: {}", ec.message());
  return 400;
}

// Answers `req` into `res`: a refusal by the server (`preset_status` not 0,
// with `refusal`), or its route's handler (404, 405 when none); then the
// error handler for any status >= 400.
void Answer(const Routes& routes, Request& req, Response& res, int preset_status,
            const std::string& refusal) {
  if (preset_status != 0) {
    res.status = preset_status;
    res.reason = refusal;
  } else {
    const std::string& method = req.method == "HEAD" ? "GET" : req.method;
    bool path_known = false;
    const Routes::Route* route = nullptr;
    std::smatch match;
    for (const auto& r : routes.all()) {
      if (!std::regex_match(req.path, match, r->pattern)) continue;
      path_known = true;
      if (r->method == method) {
        route = r.get();
        break;
      }
    }
    if (route == nullptr) {
      res.status = path_known ? 405 : 404;
      res.reason = path_known ? fmt::format("{} is not served on {}", req.method, req.path)
                              : fmt::format("{}: not found", req.path);
    } else {
      for (const auto& m : match) req.matches.push_back(m.str());
      try {
        route->handler(req, res);
      } catch (const std::exception& e) {
        spdlog::error("http: {} {}: {}", req.method, req.path, e.what());
        res = Response{.status = 500, .reason = "internal error"};
      }
    }
  }
  if (res.status >= 400 && routes.error_handler()) {
    try {
      routes.error_handler()(req, res);
    } catch (const std::exception& e) {
      spdlog::error("http: error handler: {}", e.what());
    }
  }
  if (res.status >= 400 && res.body.empty()) {
    res.set_content(ErrorJson(res.status, res.reason.empty() ? "error" : res.reason),
                    "application/json");
  }
}

class SessionBase;

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only.
// TLS 1.3 keeps OpenSSL's suites, which are all of that kind.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

// OpenSSL's error queue as one line (and emptied).
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "unknown error" : out;
}

std::string AsnTime(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "an unreadable date";
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

absl::StatusOr<std::shared_ptr<ssl::context>> LoadTls(const TlsOptions& tls) {
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate file and a key file");
  }
  for (const std::string* file : {&tls.cert_file, &tls.key_file}) {
    if (!std::ifstream(*file).good()) {
      return absl::InvalidArgumentError(fmt::format(
          "TLS {} {}: cannot read it", file == &tls.cert_file ? "certificate" : "key", *file));
    }
  }
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_dh_auto(ctx, 1);  // the DHE suites, for RSA certificates and old clients
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return absl::InternalError("TLS: no usable cipher: " + OpenSslErrors());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(fmt::format(
        "TLS certificate {}: not a PEM certificate chain ({})", tls.cert_file, OpenSslErrors()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    const std::string why = OpenSslErrors();
    if (why.find("key values mismatch") != std::string::npos ||
        why.find("KEY_VALUES_MISMATCH") != std::string::npos) {
      return absl::InvalidArgumentError(
          fmt::format("TLS key {} does not match the certificate {}", tls.key_file, tls.cert_file));
    }
    return absl::InvalidArgumentError(
        fmt::format("TLS key {}: not a usable PEM private key ({})", tls.key_file, why));
  }
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    return absl::InvalidArgumentError(fmt::format("TLS certificate {} expired on {}", tls.cert_file,
                                                  AsnTime(X509_get0_notAfter(cert))));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
    return absl::InvalidArgumentError(fmt::format("TLS certificate {} is not valid before {}",
                                                  tls.cert_file,
                                                  AsnTime(X509_get0_notBefore(cert))));
  }
  // A renewal forgotten shows in the logs a month ahead.
  const time_t in_30_days = std::time(nullptr) + 30 * 24 * 3600;
  if (X509_cmp_time(X509_get0_notAfter(cert), const_cast<time_t*>(&in_30_days)) <= 0) {
    spdlog::warn("TLS certificate {} expires on {}", tls.cert_file,
                 AsnTime(X509_get0_notAfter(cert)));
  }
  return context;
}

// The answer to a client speaking plain HTTP to a TLS port.
const std::string& PlainToTlsAnswer() {
  static const std::string answer = [] {
    const std::string body = ErrorJson(400, "this port speaks HTTPS (TLS): use https://");
    return fmt::format(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\nX-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\n{}",
        body.size(), body);
  }();
  return answer;
}

}  // namespace

class Server::Impl {
 public:
  Impl(const ServerOptions& options, const Routes& routes)
      : options(options),
        routes(routes),
        keep_alive_hint(fmt::format(
            "timeout={}",
            std::chrono::duration_cast<std::chrono::seconds>(options.limits.idle_timeout).count())),
        acceptor(net::make_strand(ioc)) {}

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) OnAccept(std::move(socket));
      Accept();
    });
  }

  void OnAccept(tcp::socket socket);
  void StopAll();
  std::shared_ptr<ssl::context> CurrentTls() {
    std::lock_guard lock(tls_mutex);
    return tls_context;
  }

  const ServerOptions& options;
  const Routes& routes;
  // Keep-Alive's value on an answer that keeps the connection open.
  const std::string keep_alive_hint;
  net::io_context ioc;
  tcp::acceptor acceptor;
  WorkerPool pool;
  std::atomic<bool> stopping{false};
  // Held by Stop() while it posts: Serve() takes it before returning, so the
  // caller never destroys the server while another thread is inside Stop().
  std::mutex stop_mutex;
  std::atomic<int> connections{0};
  std::mutex sessions_mutex;
  std::unordered_set<SessionBase*> sessions;
  // Swapped by ReloadTls(); a session holds the one it was accepted with.
  std::mutex tls_mutex;
  std::shared_ptr<ssl::context> tls_context;
};

namespace {

// What the server knows of a connection, plain or TLS.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  explicit SessionBase(Server::Impl& server) : server_(server) {
    ++server_.connections;
    std::lock_guard lock(server_.sessions_mutex);
    server_.sessions.insert(this);
  }
  virtual ~SessionBase() {
    {
      std::lock_guard lock(server_.sessions_mutex);
      server_.sessions.erase(this);
    }
    --server_.connections;
  }
  // Called on the strand when the server stops: a connection waiting for a
  // request closes now, one in a handler once its answer is written.
  virtual void OnStop() = 0;
  virtual net::any_io_executor executor() = 0;

 protected:
  Server::Impl& server_;
};

// Beast's TCP stream, acknowledging at once what each read took.
//
// Why: once the server has answered on a keep-alive connection, Linux deems
// it interactive ("pingpong") and delays its ACKs (40 ms and more) hoping to
// send them with the next answer. A client that keeps Nagle's algorithm on
// (cpp-httplib's default, for one) sends a small segment only when all it
// sent before is acknowledged, so each small segment of its next request
// waits for that timer. Over TLS every 16 KiB record is such a segment on
// loopback (and the tail of each on a network): a 165 KiB request could
// wait several times. TCP_QUICKACK after a read leaves that mode and sends
// the ACK now if one is due; the kernel re-enters it at the next answer,
// hence after every read. One setsockopt per read (a few per request).
class AckingTcpStream : public beast::tcp_stream {
 public:
  using beast::tcp_stream::tcp_stream;

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    // The caller's executor (the connection's strand) stays the handler's.
    auto executor = net::get_associated_executor(handler, get_executor());
    return beast::tcp_stream::async_read_some(
        buffers,
        net::bind_executor(std::move(executor), [this, handler = std::forward<Handler>(handler)](
                                                    beast::error_code ec, size_t n) mutable {
          if (!ec) AckNow();
          std::move(handler)(ec, n);
        }));
  }

 private:
  void AckNow() {
#ifdef TCP_QUICKACK
    const int on = 1;
    (void)::setsockopt(socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
#endif
  }
};

using PlainStream = AckingTcpStream;
using TlsStream = beast::ssl_stream<AckingTcpStream>;

// One connection: (TLS handshake,) reads a request under the limits, runs its
// handler on the worker pool, writes the answer, and waits for the next one.
// Everything but the handler runs on the connection's strand.
template <class Stream>
class Session : public SessionBase {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(tcp::socket socket, Server::Impl& server) requires(!kTls)
      : SessionBase(server), stream_(std::move(socket)), limits_(server.options.limits) {}
  Session(tcp::socket socket, std::shared_ptr<ssl::context> context,
          Server::Impl& server) requires(kTls)
      : SessionBase(server),
        context_(std::move(context)),
        stream_(std::move(socket), *context_),
        limits_(server.options.limits) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = Self()] {
      if constexpr (kTls) {
        self->FirstBytes();
      } else {
        self->NextRequest();
      }
    });
  }

  void OnStop() override {
    if (state_ == State::kReading) Tcp().cancel();
  }

  net::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // TLS: the first bytes say whether the client speaks TLS (a handshake
  // record starts with 0x16) or plain HTTP, which gets a readable 400
  // rather than a TLS alert it cannot show. The handshake then has the
  // header timeout, counted from the connection's start.
  void FirstBytes() {
    Tcp().expires_after(limits_.header_timeout);
    Tcp().async_read_some(buffer_.prepare(4096), [self = Self()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->Close();
      const auto* first = static_cast<const unsigned char*>(self->buffer_.data().data());
      if (first[0] != 0x16) {
        const std::string& answer = PlainToTlsAnswer();
        self->Tcp().expires_after(self->limits_.write_timeout);
        return net::async_write(self->Tcp(), net::buffer(answer),
                                [self](beast::error_code, size_t) { self->Close(); });
      }
      self->Handshake();
    });
  }

  void Handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                              [self = Self()](beast::error_code ec, size_t used) {
                                self->buffer_.consume(used);
                                if (ec) {
                                  spdlog::debug("http: TLS handshake refused: {}", ec.message());
                                  return self->Close();
                                }
                                self->buffer_.consume(self->buffer_.size());
                                self->NextRequest();
                              });
    }
  }

  enum class State { kReading, kHandling, kWriting };

  void NextRequest() {
    state_ = State::kReading;
    if (server_.stopping) return Close();
    NewParser(parser_, limits_);
    request_ = Request{};
    response_ = Response{};
    preset_status_ = 0;
    close_after_ = false;
    if (served_ == 0 || buffer_.size() > 0) return ReadHeader();
    // An idle connection keeps no body-sized buffer.
    if (buffer_.capacity() > kBodyReadBytes / 2) buffer_.shrink_to_fit();
    // Keep-alive: wait (idle timeout) for the next request's first bytes,
    // then give its header the header timeout.
    Tcp().expires_after(limits_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = Self()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->Close();
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    Tcp().expires_after(limits_.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    FillHeader(*parser_, request_);
    std::string why;
    if (const int status = CheckHeader(*parser_, limits_, why); status != 0) {
      return Refuse(status, std::move(why));
    }
    if (parser_->is_done()) return Dispatch();
    const auto& h = parser_->get();
    if (const auto& gate = server_.routes.body_gate(); gate && !gate(request_, response_)) {
      close_after_ = true;
      return Handled();
    }
    if (h.version() == 11 && beast::iequals(h[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Tcp().expires_after(limits_.write_timeout);
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = Self()](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Beast reads as much as the buffer's free capacity: left at the header's
    // size, a large body would come in hundreds of small reads.
    if (buffer_.capacity() < kBodyReadBytes) buffer_.reserve(kBodyReadBytes);
    Tcp().expires_after(limits_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->request_.body = std::move(self->parser_->get().body());
      self->Dispatch();
    });
  }

  void OnReadError(beast::error_code ec) {
    std::string why;
    const int status = ReadErrorStatus(ec, limits_, why);
    if (status == 0) return Close();
    if (status == 413) FillHeader(*parser_, request_);
    Refuse(status, std::move(why));
  }

  // Answers `status` (through the error handler) and closes the connection.
  void Refuse(int status, std::string message) {
    preset_status_ = status;
    refusal_ = std::move(message);
    close_after_ = true;
    Dispatch();
  }

  void Dispatch() {
    state_ = State::kHandling;
    auto work = std::make_shared<net::executor_work_guard<net::io_context::executor_type>>(
        server_.ioc.get_executor());
    server_.pool.Post([self = Self(), work] {
      self->RunHandler();
      net::post(self->stream_.get_executor(), [self] { self->Write(); });
    });
  }

  // On a worker thread; the strand does not touch the request meanwhile.
  void RunHandler() { Answer(server_.routes, request_, response_, preset_status_, refusal_); }

  void Write() {
    state_ = State::kWriting;
    ++served_;
    const bool keep = !close_after_ && parser_->is_header_done() && parser_->get().keep_alive() &&
                      served_ < limits_.max_requests_per_connection && !server_.stopping;
    answer_.emplace();
    auto& out = *answer_;
    out.version(11);
    out.result(static_cast<unsigned>(response_.status));
    for (const auto& [name, value] : response_.headers) out.insert(name, value);
    if (!response_.content_type.empty())
      out.set(bhttp::field::content_type, response_.content_type);
    SetSecurityHeaders(out);
    out.body() = std::move(response_.body);
    out.keep_alive(keep);
    // An idle connection is closed without a word: a client that reuses it
    // just then sends a request that crosses the close and fails (Node's
    // fetch does not send it again). The hint tells the client when that
    // happens, so it retires the connection before: Node's fetch 2 s
    // before, instead of its own 4 s against our 5.
    if (keep) out.set(bhttp::field::keep_alive, server_.keep_alive_hint);
    out.prepare_payload();
    if (request_.method == "HEAD") out.body().clear();
    Tcp().expires_after(limits_.write_timeout);
    bhttp::async_write(stream_, out, [self = Self(), keep](beast::error_code ec, size_t) {
      self->answer_.reset();
      if (ec) return self->Close();
      if (!keep) return self->Linger();
      self->NextRequest();
    });
  }

  // Defaults; a handler's own value wins (the dashboard's pages set their
  // Content-Security-Policy and caching).
  void SetSecurityHeaders(bhttp::response<bhttp::string_body>& out) {
    const auto fallback = [&out](std::string_view field, std::string_view value) {
      if (out.find(field) == out.end()) out.set(field, value);
    };
    fallback("X-Content-Type-Options", "nosniff");
    fallback("Referrer-Policy", "no-referrer");
    fallback("Cache-Control", "no-store");
    fallback("X-Frame-Options", "DENY");
    fallback("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if constexpr (kTls) fallback("Strict-Transport-Security", "max-age=31536000");
  }

  void Handled() {
    state_ = State::kHandling;
    net::post(stream_.get_executor(), [self = Self()] { self->Write(); });
  }

  // After a last answer, read and drop what the client still sends (a body
  // that was refused) until it closes, so that closing does not reset the
  // connection before the client read the answer. Bounded in time.
  void Linger() {
    if constexpr (kTls) {
      // close_notify, then wait (bounded) for the client's: it has read the
      // answer by then.
      if (server_.stopping) return Close();
      state_ = State::kReading;
      Tcp().expires_after(std::min(limits_.body_timeout, std::chrono::milliseconds(2000)));
      return stream_.async_shutdown([self = Self()](beast::error_code) { self->Close(); });
    }
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec || server_.stopping) return Close();
    state_ = State::kReading;
    if (!drain_) {
      drain_ = std::make_unique<char[]>(kDrainBytes);
      Tcp().expires_after(std::min(limits_.body_timeout, std::chrono::milliseconds(2000)));
    }
    stream_.async_read_some(net::buffer(drain_.get(), kDrainBytes),
                            [self = Self()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Linger();
                            });
  }

  void Close() {
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

  static constexpr size_t kDrainBytes = 16 * 1024;
  static constexpr size_t kBodyReadBytes = 64 * 1024;

  std::shared_ptr<ssl::context> context_;  // TLS: outlives stream_
  Stream stream_;
  const Limits& limits_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> answer_;
  std::unique_ptr<char[]> drain_;
  Request request_;
  Response response_;
  State state_ = State::kReading;
  int preset_status_ = 0;
  std::string refusal_;
  bool close_after_ = false;
  int served_ = 0;
};

}  // namespace

void Server::Impl::OnAccept(tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (stopping) return;
  if (connections.load() >= options.limits.max_connections) {
    if (CurrentTls()) {
      // A TLS client reads plain bytes as a corrupt record (garbage, or an
      // alert it cannot explain); a handshake to say 503 would spend the CPU
      // the cap is there to bound. Closed at once: the client sees the
      // connection end before the handshake, and retries.
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      return;
    }
    // Refused at once, without reading: a canned answer fits in the socket's
    // send buffer, so the write does not block.
    static const std::string kBusy = [] {
      const std::string body =
          ErrorJson(503, "too many connections (max_connections): try again later");
      return fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{}",
          body.size(), body);
    }();
    socket.non_blocking(true, ec);
    net::write(socket, net::buffer(kBusy), ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    return;
  }
  if (auto context = CurrentTls()) {
    std::make_shared<Session<TlsStream>>(std::move(socket), std::move(context), *this)->Start();
  } else {
    std::make_shared<Session<PlainStream>>(std::move(socket), *this)->Start();
  }
}

void Server::Impl::StopAll() {
  beast::error_code ec;
  acceptor.close(ec);
  // Taken under the lock, posted outside it: the last reference to a
  // session may be dropped here, and its destructor takes the lock.
  std::vector<std::shared_ptr<SessionBase>> alive;
  {
    std::lock_guard lock(sessions_mutex);
    for (SessionBase* s : sessions) {
      // A session whose destructor runs cannot be locked any more.
      if (auto session = s->weak_from_this().lock()) alive.push_back(std::move(session));
    }
  }
  for (auto& session : alive) {
    net::post(session->executor(), [session] { session->OnStop(); });
  }
}

Server::Server(ServerOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_, routes_)) {}

Server::~Server() = default;

absl::Status Server::Bind() {
  if (options_.threads < 1) return absl::InvalidArgumentError("--threads: at least 1");
  if (options_.io_threads < 1) return absl::InvalidArgumentError("--io-threads: at least 1");
  const Limits& l = options_.limits;
  if (l.max_header_bytes < 1 || l.max_header_count < 1 || l.max_requests_per_connection < 1 ||
      l.max_connections < 1 || l.header_timeout.count() < 1 || l.body_timeout.count() < 1 ||
      l.idle_timeout.count() < 1 || l.write_timeout.count() < 1) {
    return absl::InvalidArgumentError("HTTP limits and timeouts: at least 1");
  }
  if (options_.tls.enabled()) {
    auto context = LoadTls(options_.tls);
    if (!context.ok()) return context.status();
    std::lock_guard lock(impl_->tls_mutex);
    impl_->tls_context = std::move(*context);
  }
  const auto cannot = [&] {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{}", options_.host, options_.port));
  };
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port),
                                    tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) return cannot();
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return cannot();
  // SO_REUSEADDR lets a restart rebind at once; without SO_REUSEPORT a
  // second instance on a port already served fails instead of sharing it.
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.close(ec);
    return cannot();
  }
  port_ = acceptor.local_endpoint(ec).port();
  return absl::OkStatus();
}

absl::Status Server::Serve() {
  const auto stopped = [this] {
    std::lock_guard lock(impl_->stop_mutex);
    return absl::OkStatus();
  };
  if (impl_->stopping) return stopped();
  if (!impl_->acceptor.is_open()) return absl::FailedPreconditionError("Serve() before Bind()");
  impl_->pool.Start(options_.threads);
  impl_->Accept();
  std::vector<std::thread> io;
  for (int i = 1; i < options_.io_threads; ++i) io.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : io) t.join();
  impl_->pool.Join();
  return stopped();
}

absl::Status Server::ReloadTls() {
  if (!options_.tls.enabled()) {
    return absl::FailedPreconditionError("TLS reload: this server does not serve TLS");
  }
  auto context = LoadTls(options_.tls);
  if (!context.ok()) return context.status();
  std::lock_guard lock(impl_->tls_mutex);
  impl_->tls_context = std::move(*context);
  return absl::OkStatus();
}

void Server::Stop() {
  std::lock_guard lock(impl_->stop_mutex);
  if (impl_->stopping.exchange(true)) return;
  // On the acceptor's strand: closing it never races with an accept's
  // completion re-arming it on another I/O thread.
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->StopAll(); });
}

std::vector<Response> AnswerBytes(const Routes& routes, const Limits& limits,
                                  std::string_view bytes) {
  std::vector<Response> out;
  beast::flat_buffer buffer;
  buffer.commit(net::buffer_copy(buffer.prepare(bytes.size()), net::buffer(bytes)));
  std::optional<Parser> parser;
  // Feeds the parser what is buffered until `done`; false when the bytes end
  // first (a connection would wait for more, then time out) or on an error.
  const auto feed = [&](auto done, beast::error_code& ec) {
    while (!done()) {
      if (buffer.size() == 0) return false;
      const size_t used = parser->put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) return false;
      // No progress: the parser wants bytes that are not there (as Beast's
      // own reads do, which then read more).
      if (used == 0) return false;
    }
    return true;
  };
  for (int served = 0; served < limits.max_requests_per_connection; ++served) {
    NewParser(parser, limits);
    Request req;
    Response res;
    int preset = 0;
    std::string why;
    bool close = false;
    beast::error_code ec;
    if (!feed([&] { return parser->is_header_done(); }, ec)) {
      if (!ec) return out;  // cut short: no answer
      preset = ReadErrorStatus(ec, limits, why);
      if (preset == 0) return out;
      if (preset == 413) FillHeader(*parser, req);
      close = true;
    } else {
      FillHeader(*parser, req);
      preset = CheckHeader(*parser, limits, why);
      close = preset != 0;
      if (!close && !parser->is_done()) {
        if (routes.body_gate() && !routes.body_gate()(req, res)) {
          out.push_back(std::move(res));
          return out;
        }
        if (!feed([&] { return parser->is_done(); }, ec)) {
          if (!ec) return out;
          preset = ReadErrorStatus(ec, limits, why);
          if (preset == 0) return out;
          close = true;
        } else {
          req.body = std::move(parser->get().body());
        }
      } else if (!close) {
        req.body = std::move(parser->get().body());
      }
    }
    Answer(routes, req, res, preset, why);
    out.push_back(std::move(res));
    if (close || !parser->is_header_done() || !parser->get().keep_alive()) return out;
  }
  return out;
}

std::optional<std::string> BearerToken(const Request& req) {
  const std::string header = req.header("Authorization");
  static constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  return header.substr(kPrefix.size());
}

}  // namespace pilotage::http
