// libs/http: a real server on a loopback port, reached by cpp-httplib's client.
#include "pilotage/http/server.h"
#include "pilotage/testing/status.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <latch>
#include <thread>

namespace pilotage::http {
namespace {

TEST(HttpServer, ServesRoutesOnAnyFreePortUntilStopped) {
  Server server({.host = "127.0.0.1", .port = 0, .threads = 2});
  server.routes().Get(
      "/hello", [](const Request&, Response& res) { res.set_content("bonjour", "text/plain"); });
  ASSERT_OK(server.Bind());
  ASSERT_GT(server.port(), 0);
  absl::Status served = absl::InternalError("not returned");
  std::thread serving([&] { served = server.Serve(); });
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/hello");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "bonjour");
  server.Stop();
  serving.join();
  EXPECT_OK(served);
}

TEST(HttpServer, StopBeforeServeIsNotLost) {
  Server server({.port = 0, .threads = 1});
  ASSERT_OK(server.Bind());
  server.Stop();
  // Serve() returns at once instead of serving forever.
  EXPECT_OK(server.Serve());
}

TEST(HttpServer, StopRightAfterServeStartsIsNotLost) {
  for (int i = 0; i < 20; ++i) {
    Server server({.port = 0, .threads = 1});
    ASSERT_OK(server.Bind());
    std::thread serving([&] { EXPECT_OK(server.Serve()); });
    server.Stop();
    serving.join();  // hangs if the stop was lost
  }
}

// As in a service's main(): a signal thread calls Stop() while the main
// thread starts Serve() and destroys the server as soon as it returns. The
// server must not be gone while Stop() is still posting to it (ASan saw a
// heap-use-after-free of the io_context's strand service here).
TEST(HttpServer, TheServerCanGoAsSoonAsServeReturnsWhileStopIsCalled) {
  for (int i = 0; i < 200; ++i) {
    auto server = std::make_unique<Server>(ServerOptions{.port = 0, .threads = 1});
    ASSERT_OK(server->Bind());
    Server* raw = server.get();
    std::latch both(2);  // the two threads start together, to meet inside Stop()
    std::thread signal([raw, &both] {
      both.arrive_and_wait();
      raw->Stop();
    });
    both.arrive_and_wait();
    EXPECT_OK(server->Serve());
    server.reset();
    signal.join();
  }
}

TEST(HttpServer, PortTakenIsUnavailableNamingTheAddress) {
  // A plain listening socket (no SO_REUSEPORT) holds the port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  Server server({.host = "127.0.0.1", .port = port, .threads = 1});
  absl::Status s = server.Bind();
  ::close(fd);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(s.message()), "cannot listen on 127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(server.port(), -1);
}

TEST(HttpServer, ASecondServerOnAPortAlreadyServedFails) {
  Server first({.host = "127.0.0.1", .port = 0, .threads = 1});
  ASSERT_OK(first.Bind());
  Server second({.host = "127.0.0.1", .port = first.port(), .threads = 1});
  absl::Status s = second.Bind();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(std::string(s.message()), "cannot listen on 127.0.0.1:" + std::to_string(first.port()));
}

TEST(HttpServer, NoThreadsIsInvalid) {
  Server server({.port = 0, .threads = 0});
  EXPECT_EQ(server.Bind().code(), absl::StatusCode::kInvalidArgument);
}

// What http_fuzz relies on: the request path in memory answers as a
// connection would.
TEST(AnswerBytes, AnswersPipelinedRequestsInOrderAndStopsAtARefusalOrACutRequest) {
  Routes routes;
  routes.Get("/hello", [](const Request&, Response& res) { res.set_content("bonjour", ""); });
  routes.Post("/echo", [](const Request& req, Response& res) { res.set_content(req.body, ""); });
  auto answers = AnswerBytes(routes, {},
                             "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                             "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nab\r\n0\r\n\r\n"
                             "GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n"
                             "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 9\r\n\r\nabc");
  ASSERT_EQ(answers.size(), 3u) << "the last request is cut short: no answer";
  EXPECT_EQ(answers[0].body, "bonjour");
  EXPECT_EQ(answers[1].body, "ab");
  EXPECT_EQ(answers[2].status, 404);
  // A refusal closes the connection: what follows is not read.
  answers = AnswerBytes(routes, {},
                        "GET /hello HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n"
                        "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 400);
  EXPECT_TRUE(AnswerBytes(routes, {}, "").empty());
}

TEST(BearerToken, TakesTheTokenOfTheBearerScheme) {
  Request req;
  EXPECT_EQ(BearerToken(req), std::nullopt);
  req.headers.emplace_back("authorization", "Bearer abc123");
  EXPECT_EQ(BearerToken(req), "abc123");
  Request basic;
  basic.headers.emplace_back("Authorization", "Basic dXNlcjpwdw==");
  EXPECT_EQ(BearerToken(basic), std::nullopt);
  Request empty;
  empty.headers.emplace_back("Authorization", "Bearer ");
  EXPECT_EQ(BearerToken(empty), std::nullopt);
}

}  // namespace
}  // namespace pilotage::http
