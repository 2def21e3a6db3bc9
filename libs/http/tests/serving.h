#pragma once
// libs/http's tests: a Server serving on a thread of its own, stopped and
// joined by the destructor; and the two routes most tests use. Test-only.
// Thread-safety: one test thread drives it; the server's own threads serve.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "pilotage/http/server.h"

namespace pilotage::http {

class Serving {
 public:
  Serving() = default;
  Serving(const Serving&) = delete;
  Serving& operator=(const Serving&) = delete;
  ~Serving() { Stop(); }

  // A new server with `options` (set its routes through -> before Serve()).
  void Create(ServerOptions options) { server_ = std::make_unique<Server>(std::move(options)); }
  // GET /hello answers "bonjour", POST /echo the body; each run counted in
  // `*handled` when given (it must outlive the server).
  void AddHelloAndEcho(std::atomic<int>* handled = nullptr) {
    server_->routes().Get("/hello", [handled](const Request&, Response& res) {
      if (handled != nullptr) ++*handled;
      res.set_content("bonjour", "text/plain");
    });
    server_->routes().Post("/echo", [handled](const Request& req, Response& res) {
      if (handled != nullptr) ++*handled;
      res.set_content(req.body, "text/plain");
    });
  }
  // Binds (failing the calling test if it cannot) and serves on a thread.
  void Serve() {
    ASSERT_TRUE(server_->Bind().ok());
    thread_ = std::thread([this] { EXPECT_TRUE(server_->Serve().ok()); });
  }
  // Asks the server to stop and waits for Serve() to return. Idempotent.
  void Stop() {
    if (server_) server_->Stop();
    Join();
  }
  // Waits for Serve() to return (after Stop() was asked).
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  Server* operator->() { return server_.get(); }
  Server& server() { return *server_; }
  int port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

}  // namespace pilotage::http
