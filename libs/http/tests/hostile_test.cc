// libs/http against hostile clients: raw sockets on loopback, one test per
// limit and framing rule. The tests wait on socket reads and end of stream,
// never on sleeps; a receive timeout only turns a hang into a failure.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pilotage/http/server.h"
#include "pilotage/testing/testing.h"
#include "serving.h"

namespace pilotage::http {
namespace {

using std::chrono::milliseconds;

// A client socket speaking bytes, not HTTP.
class Raw {
 public:
  explicit Raw(int port) : fd_(pilotage::testing::ConnectLoopback(port, 20)) {}
  ~Raw() { ::close(fd_); }
  bool connected() const { return fd_ >= 0; }

  // False once the server closed its side (the send failed).
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Ends the sending side: the server sees the end of the stream.
  void Finish() { ::shutdown(fd_, SHUT_WR); }

  // One answer: the status line and header, then Content-Length bytes.
  // "" when the connection closed first.
  std::string ReadAnswer() {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    const std::string head = pending_.substr(0, end + 4);
    size_t length = 0;
    if (size_t at = Lower(head).find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::stoul(head.substr(at + 17));
    }
    while (pending_.size() < head.size() + length) {
      if (!Fill()) return "";
    }
    std::string answer = pending_.substr(0, head.size() + length);
    pending_.erase(0, answer.size());
    return answer;
  }

  // Everything until the server closes; `closed` says whether it did (end of
  // stream or reset) rather than the failsafe timeout.
  std::string ReadToEnd(bool* closed) {
    while (Fill()) {
    }
    *closed = closed_;
    std::string rest = std::move(pending_);
    pending_.clear();
    return rest;
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool Fill() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      pending_.append(buf, static_cast<size_t>(n));
      return true;
    }
    closed_ = n == 0 || errno == ECONNRESET;
    return false;
  }

  int fd_ = -1;
  bool closed_ = false;
  std::string pending_;
};

int StatusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0 || answer.size() < 12) return -1;
  return std::stoi(answer.substr(9, 3));
}

std::string BodyOf(const std::string& answer) {
  const size_t end = answer.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.substr(end + 4);
}

// A server on a free loopback port with two routes, counting handler runs.
class HttpHostile : public ::testing::Test {
 protected:
  void Start(Limits limits, int threads = 2) {
    serving_.Create({.host = "127.0.0.1", .port = 0, .threads = threads, .limits = limits});
    serving_.AddHelloAndEcho(&handled_);
    serving_.Serve();
  }
  int port() const { return serving_.port(); }

  // Sends `request` on a fresh connection and ends it: the answer, and
  // whether the server then closed the connection.
  std::pair<std::string, bool> Once(const std::string& request) {
    Raw c(port());
    EXPECT_TRUE(c.connected());
    c.Send(request);
    c.Finish();
    std::string answer = c.ReadAnswer();
    bool closed = false;
    c.ReadToEnd(&closed);
    return {answer, closed};
  }

  static constexpr char kHello[] = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";

  std::atomic<int> handled_{0};  // before serving_: outlives the server
  Serving serving_;
};

TEST_F(HttpHostile, ANormalRequestWithABodyIsAnswered) {
  Start({});
  Raw c(port());
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  const std::string answer = c.ReadAnswer();
  EXPECT_EQ(StatusOf(answer), 200) << answer;
  EXPECT_EQ(BodyOf(answer), "hello");
  // Keep-alive: the same connection serves another request.
  c.Send(kHello);
  EXPECT_EQ(BodyOf(c.ReadAnswer()), "bonjour");
}

TEST_F(HttpHostile, AChunkedBodyIsDecoded) {
  Start({});
  Raw c(port());
  c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  const std::string answer = c.ReadAnswer();
  EXPECT_EQ(StatusOf(answer), 200) << answer;
  EXPECT_EQ(BodyOf(answer), "abcde");
}

TEST_F(HttpHostile, PipelinedRequestsAreAnsweredInOrder) {
  Start({});
  Raw c(port());
  c.Send(std::string("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\none") + kHello +
         "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nthree");
  EXPECT_EQ(BodyOf(c.ReadAnswer()), "one");
  EXPECT_EQ(BodyOf(c.ReadAnswer()), "bonjour");
  EXPECT_EQ(BodyOf(c.ReadAnswer()), "three");
}

TEST_F(HttpHostile, ExpectContinueGetsAnInterimAnswer) {
  Start({});
  Raw c(port());
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(StatusOf(c.ReadAnswer()), 100);
  c.Send("ok");
  EXPECT_EQ(BodyOf(c.ReadAnswer()), "ok");
}

TEST_F(HttpHostile, UnknownPathIs404AndWrongMethodIs405) {
  Start({});
  EXPECT_EQ(StatusOf(Once("GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n").first), 404);
  EXPECT_EQ(StatusOf(Once("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").first),
            405);
}

TEST_F(HttpHostile, TooManyHeaderFieldsAre431AndClosed) {
  Start({.max_header_count = 10});
  std::string request = "GET /hello HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 20; ++i) request += "X-F" + std::to_string(i) + ": v\r\n";
  auto [answer, closed] = Once(request + "\r\n");
  EXPECT_EQ(StatusOf(answer), 431) << answer;
  EXPECT_NE(BodyOf(answer).find("max_header_count"), std::string::npos) << answer;
  EXPECT_TRUE(closed);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, AHeaderOverTheSizeLimitIs431AndClosed) {
  Start({.max_header_bytes = 1024});
  auto [answer, closed] =
      Once("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(StatusOf(answer), 431) << answer;
  EXPECT_TRUE(closed);
  EXPECT_EQ(handled_, 0);
  // Just under the limit is served.
  EXPECT_EQ(StatusOf(Once("GET /hello HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(900, 'a') +
                          "\r\n\r\n")
                         .first),
            200);
}

TEST_F(HttpHostile, AnEndlessHeaderIsCutAtTheLimit) {
  // The memory attack: header lines sent without end. The server answers
  // 431 once the limit is passed and never holds more than it.
  Start({.max_header_bytes = 8 * 1024});
  Raw c(port());
  c.Send("GET /hello HTTP/1.1\r\nHost: t\r\n");
  const std::string line = "X-Junk: " + std::string(2000, 'j') + "\r\n";
  for (int i = 0; i < 2000; ++i) {
    if (!c.Send(line)) break;  // the server may stop reading: then we stop too
  }
  EXPECT_EQ(StatusOf(c.ReadAnswer()), 431);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, ARequestLineOverTheLimitIs431) {
  Start({.max_header_bytes = 1024});
  auto [answer, closed] = Once("GET /hello?" + std::string(4000, 'q') + " HTTP/1.1\r\n\r\n");
  EXPECT_EQ(StatusOf(answer), 431) << answer;
  EXPECT_TRUE(closed);
}

TEST_F(HttpHostile, SlowHeadersAreClosedWhileOthersAreServed) {
  Start({.header_timeout = milliseconds(500)});
  // Slow clients, each stuck in the middle of its header: they hold no
  // thread, so a normal client is served at once.
  std::vector<std::unique_ptr<Raw>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<Raw>(port()));
    ASSERT_TRUE(slow.back()->Send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n"));
  }
  Raw normal(port());
  normal.Send(kHello);
  const std::string served = normal.ReadAnswer();
  EXPECT_EQ(StatusOf(served), 200) << served;
  EXPECT_EQ(handled_, 1);
  // Each slow client is then closed by the header timeout, unanswered.
  for (auto& c : slow) {
    bool closed = false;
    EXPECT_EQ(c->ReadToEnd(&closed), "");
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpHostile, ASlowBodyIsClosed) {
  Start({.body_timeout = milliseconds(500)});
  Raw c(port());
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
  bool closed = false;
  EXPECT_EQ(c.ReadToEnd(&closed), "");
  EXPECT_TRUE(closed);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, AnIdleKeepAliveConnectionIsClosed) {
  Start({.idle_timeout = milliseconds(300)});
  Raw c(port());
  c.Send(kHello);
  EXPECT_EQ(StatusOf(c.ReadAnswer()), 200);
  bool closed = false;
  EXPECT_EQ(c.ReadToEnd(&closed), "");
  EXPECT_TRUE(closed);
}

TEST_F(HttpHostile, AConnectionServesAtMostItsRequestCount) {
  Start({.max_requests_per_connection = 2});
  Raw c(port());
  c.Send(kHello);
  const std::string first = c.ReadAnswer();
  EXPECT_EQ(first.find("Connection: close"), std::string::npos) << first;
  c.Send(kHello);
  const std::string second = c.ReadAnswer();
  EXPECT_EQ(StatusOf(second), 200);
  EXPECT_NE(second.find("Connection: close"), std::string::npos) << second;
  bool closed = false;
  c.ReadToEnd(&closed);
  EXPECT_TRUE(closed);
}

// A client that reuses a connection just as the idle timeout closes it sees
// its request fail: each answer that keeps the connection says how long it
// stays open idle (whole seconds, rounded down), so that the client retires
// it first; the last one says that it closes.
TEST_F(HttpHostile, AKeptConnectionSaysHowLongItStaysOpenIdle) {
  Start({.idle_timeout = milliseconds(2500), .max_requests_per_connection = 2});
  Raw c(port());
  c.Send(kHello);
  const std::string first = c.ReadAnswer();
  EXPECT_EQ(StatusOf(first), 200);
  EXPECT_NE(first.find("\r\nKeep-Alive: timeout=2\r\n"), std::string::npos) << first;
  c.Send(kHello);
  const std::string last = c.ReadAnswer();
  EXPECT_NE(last.find("\r\nConnection: close\r\n"), std::string::npos) << last;
  EXPECT_EQ(last.find("Keep-Alive"), std::string::npos) << last;
}

TEST_F(HttpHostile, ConnectionsOverTheCapGet503AtOnce) {
  Start({.max_connections = 2});
  Raw a(port()), b(port());
  // Both are accepted (the server accepts in order): the first gets served.
  a.Send(kHello);
  EXPECT_EQ(StatusOf(a.ReadAnswer()), 200);
  Raw third(port());
  bool closed = false;
  const std::string refused = third.ReadToEnd(&closed);
  EXPECT_EQ(StatusOf(refused), 503) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos);
  EXPECT_TRUE(closed);
  // The connections within the cap still work.
  b.Send(kHello);
  EXPECT_EQ(StatusOf(b.ReadAnswer()), 200);
}

TEST_F(HttpHostile, ABodyOverTheLimitIs413WithoutRunningTheHandler) {
  Start({.max_body_bytes = 100});
  auto [answer, closed] =
      Once("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'));
  EXPECT_EQ(StatusOf(answer), 413) << answer;
  EXPECT_TRUE(closed);
  // Chunked: the limit applies to the decoded body as it arrives.
  auto chunked = Once("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" +
                      std::string(100, 'b') + "\r\n1\r\nb\r\n0\r\n\r\n");
  EXPECT_EQ(StatusOf(chunked.first), 413) << chunked.first;
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, TransferEncodingWithContentLengthIs400) {
  Start({});
  // RFC 9112 6.3: the smuggling case, whichever comes first.
  for (const char* fields : {"Transfer-Encoding: xchunked\r\nContent-Length: 3\r\n",
                             "Content-Length: 3\r\nTransfer-Encoding: xchunked\r\n",
                             "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                             "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"}) {
    auto [answer, closed] =
        Once(std::string("POST /echo HTTP/1.1\r\nHost: t\r\n") + fields + "\r\nabc");
    EXPECT_EQ(StatusOf(answer), 400) << fields << answer;
    EXPECT_TRUE(closed) << fields;
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, AnUnknownTransferEncodingIs501) {
  Start({});
  for (const char* coding : {"xchunked", "gzip", "gzip, chunked", "chunked, gzip"}) {
    auto [answer, closed] =
        Once(std::string("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: ") + coding +
             "\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(StatusOf(answer), 501) << coding << answer;
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, WhitespaceBeforeAColonIs400) {
  Start({});
  auto [answer, closed] = Once(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n"
      "abc");
  EXPECT_EQ(StatusOf(answer), 400) << answer;
  EXPECT_TRUE(closed);
  EXPECT_EQ(StatusOf(Once("GET /hello HTTP/1.1\r\nHost\t: t\r\n\r\n").first), 400);
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, NulCrOrLfInAValueIs400) {
  Start({});
  for (const std::string& value :
       {std::string("Bearer token\0junk", 17), std::string("a\rb"), std::string("a\nb: c")}) {
    auto [answer, closed] =
        Once("GET /hello HTTP/1.1\r\nHost: t\r\nAuthorization: " + value + "\r\n\r\n");
    EXPECT_EQ(StatusOf(answer), 400) << answer;
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(handled_, 0);
}

// Requests a hostile client or a confused proxy may send, each on a fresh
// connection with default limits: none may reach a handler (0 accepted),
// none may get a 5xx, and each gets its answer, or a close, without waiting
// for a timeout (Raw's reads are bounded: a hang fails instead of blocking).
TEST_F(HttpHostile, ATableOfHostileRequestsIsNeverAcceptedNever5xxAndNeverHangs) {
  Start({.max_body_bytes = 1000});
  struct Case {
    const char* name;
    std::string request;
  };
  const std::string long_method(2000, 'G');
  const std::vector<Case> cases = {
      {"absolute-form target", "GET http://evil.example/hello HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"duplicate Host", "GET /hello HTTP/1.1\r\nHost: t\r\nHost: evil\r\n\r\n"},
      {"no Host in HTTP/1.1", "GET /hello HTTP/1.1\r\nAccept: */*\r\n\r\n"},
      {"Content-Length with a plus",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: +2\r\n\r\nab"},
      {"Content-Length negative after a space",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length:  -2\r\n\r\nab"},
      {"Content-Length in hexadecimal",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0x2\r\n\r\nab"},
      {"two different Content-Lengths",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"},
      {"HTTP/0.9 request line", "GET /hello\r\n\r\n"},
      {"HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
      {"a 2000-byte method", long_method + " /hello HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"lower-case method", "get /hello HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"percent-encoded NUL in the path", "GET /hello%00 HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"percent-encoded traversal", "GET /%2e%2e/hello HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"raw NUL in the target", std::string("GET /hel") + '\0' + "lo HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"two spaces in the request line", "GET  /hello HTTP/1.1\r\nHost: t\r\n\r\n"},
      {"bare CR ending the request line", "GET /hello HTTP/1.1\rHost: t\r\n\r\n"},
      {"a field name with a slash", "GET /hello HTTP/1.1\r\nHost: t\r\nX/Y: z\r\n\r\n"},
      {"Expect: 100-continue with a body over the limit",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"},
      {"a chunk size that overflows",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
       "ffffffffffffffffff1\r\nab\r\n0\r\n\r\n"},
      {"chunks over the body limit",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3e8\r\n" +
           std::string(1000, 'a') + "\r\n1\r\nb\r\n0\r\n\r\n"},
      {"Transfer-Encoding: chunked, chunked",
       "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
       "2\r\nab\r\n0\r\n\r\n"},
      {"Transfer-Encoding in an HTTP/1.0 request with a length",
       "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nab"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto [answer, closed] = Once(c.request);
    const int status = StatusOf(answer);
    // An answer, and a refusal; or no answer at all, closed at once.
    if (answer.empty()) {
      EXPECT_TRUE(closed) << "no answer and not closed: the read timed out";
    } else {
      EXPECT_GE(status, 400) << answer;
      EXPECT_LT(status, 500) << answer;
    }
  }
  EXPECT_EQ(handled_, 0) << "a hostile request reached a handler";
}

TEST_F(HttpHostile, GarbageIs400) {
  Start({});
  for (const std::string& request : std::vector<std::string>{
           "HELLO\r\n\r\n", "GET /hello HTTP/9\r\n\r\n", "GET /hello HTTP/1.1\r\nno colon\r\n\r\n",
           "POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
           "POST /echo HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nab",
           "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"}) {
    auto [answer, closed] = Once(request);
    EXPECT_EQ(StatusOf(answer), 400) << request << answer;
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(handled_, 0);
}

TEST_F(HttpHostile, TheBodyGateAnswersBeforeTheBodyIsRead) {
  serving_.Create(ServerOptions{.port = 0, .threads = 1});
  serving_->routes().Post("/echo", [this](const Request& req, Response& res) {
    ++handled_;
    res.set_content(req.body, "text/plain");
  });
  serving_->routes().SetBodyGate([](const Request& req, Response& res) {
    if (req.header("Authorization") == "Bearer good") return true;
    res.status = 401;
    res.set_content("{}", "application/json");
    return false;
  });
  serving_.Serve();
  // The refused client sends only its header: the answer does not wait for
  // the announced body.
  Raw refused(port());
  refused.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 60000\r\n\r\n");
  EXPECT_EQ(StatusOf(refused.ReadAnswer()), 401);
  auto [answer, closed] = Once(
      "POST /echo HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\nContent-Length: "
      "2\r\n\r\nok");
  EXPECT_EQ(BodyOf(answer), "ok");
  EXPECT_EQ(handled_, 1);
}

TEST_F(HttpHostile, AHandlerThatThrowsIs500AndTheServerGoesOn) {
  serving_.Create(ServerOptions{.port = 0, .threads = 1});
  serving_->routes().Get("/throw",
                         [](const Request&, Response&) { throw std::runtime_error("boom"); });
  serving_->routes().Get("/hello",
                         [](const Request&, Response& res) { res.set_content("hi", ""); });
  serving_.Serve();
  Raw c(port());
  c.Send("GET /throw HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(StatusOf(c.ReadAnswer()), 500);
  c.Send(kHello);
  EXPECT_EQ(BodyOf(c.ReadAnswer()), "hi");
}

TEST_F(HttpHostile, TheRequestSeesThePathParametersAndHeaders) {
  serving_.Create(ServerOptions{.port = 0, .threads = 1});
  Request seen;
  serving_->routes().Get(R"(/lots/([^/]+))", [&seen](const Request& req, Response& res) {
    seen = req;
    res.set_content("ok", "text/plain");
  });
  serving_.Serve();
  EXPECT_EQ(StatusOf(Once("GET /lots/l%C3%A9?quarter=2024-Q1&q=a+b%26c&q=2 HTTP/1.1\r\nHost: t\r\n"
                          "x-Token: abc\r\n\r\n")
                         .first),
            200);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/lots/l\xC3\xA9");
  ASSERT_EQ(seen.matches.size(), 2u);
  EXPECT_EQ(seen.matches[1], "l\xC3\xA9");
  EXPECT_EQ(seen.params.count("q"), 2u);
  EXPECT_EQ(seen.params.find("quarter")->second, "2024-Q1");
  EXPECT_EQ(seen.params.find("q")->second, "a b&c");
  EXPECT_EQ(seen.header("X-TOKEN"), "abc");
  EXPECT_FALSE(seen.has_header("Authorization"));
}

TEST_F(HttpHostile, StopAnswersTheRequestInAHandlerAndClosesIdleConnections) {
  serving_.Create(ServerOptions{.port = 0, .threads = 1});
  std::promise<void> entered, release;
  serving_->routes().Get("/wait", [&](const Request&, Response& res) {
    entered.set_value();
    release.get_future().wait();
    res.set_content("done", "text/plain");
  });
  serving_.Serve();
  Raw idle(port());
  Raw busy(port());
  busy.Send("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n");
  entered.get_future().wait();
  serving_->Stop();
  // The idle connection is closed by the stop, unanswered.
  bool closed = false;
  EXPECT_EQ(idle.ReadToEnd(&closed), "");
  EXPECT_TRUE(closed);
  release.set_value();
  const std::string answer = busy.ReadAnswer();
  EXPECT_EQ(BodyOf(answer), "done");
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  serving_.Join();  // Serve() returns once that answer is written
}

}  // namespace
}  // namespace pilotage::http
