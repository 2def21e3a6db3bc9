// service::ServeUntilStopped, as the ingest gateway and the query service run
// it, with a real TLS http::Server and real signals sent to this process:
// SIGHUP reloads the certificate for new connections, SIGTERM ends Serve()
// with OK. The test binary holds this one test, so no other thread can take
// the signals.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

#include "pilotage/http/server.h"
#include "pilotage/service/service.h"
#include "pilotage/testing/certificates.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::http {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A GET /hello on a new connection that trusts only `ca` (a self-signed
// certificate file): true when the handshake and the answer succeed.
bool HelloTrusting(int port, const fs::path& ca) {
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(ca.c_str());
  client.enable_server_certificate_verification(true);
  client.set_keep_alive(false);
  auto res = client.Get("/hello");
  return res && res->status == 200;
}

TEST(ServeUntilStopped, SighupReloadsTheCertificateAndSigtermEndsServeWithOk) {
  // As in the services' RunCli: the signals before any other thread.
  service::StopSignal stop;
  service::ReloadSignal reload;

  pilotage::testing::TempDir dir;
  const auto files = pilotage::testing::MakeCertificate(dir.path(), "server");
  const fs::path old_cert = dir.path() / "old.crt";
  fs::copy_file(files.cert, old_cert);
  Server server({.host = "127.0.0.1",
                 .port = 0,
                 .threads = 2,
                 .tls = {.cert_file = files.cert.string(), .key_file = files.key.string()}});
  server.routes().Get(
      "/hello", [](const Request&, Response& res) { res.set_content("hello", "text/plain"); });
  ASSERT_OK(server.Bind());

  std::promise<void> wired;
  std::promise<absl::Status> served;
  std::thread serving([&] {
    served.set_value(service::ServeUntilStopped(server, stop, reload, /*reload_tls=*/true,
                                                [&] { wired.set_value(); }));
  });
  // Whatever fails below, the server stops and the thread is joined.
  struct Joiner {
    Server& server;
    std::thread& thread;
    ~Joiner() {
      server.Stop();
      if (thread.joinable()) thread.join();
    }
  } joiner{server, serving};
  ASSERT_EQ(wired.get_future().wait_for(60s), std::future_status::ready);
  ASSERT_TRUE(HelloTrusting(server.port(), old_cert));

  // A renewal replaces the files in place; SIGHUP makes the server read them.
  const auto renewed = pilotage::testing::MakeCertificate(dir.path(), "renewed", {.serial = 2});
  fs::copy_file(renewed.cert, files.cert, fs::copy_options::overwrite_existing);
  fs::copy_file(renewed.key, files.key, fs::copy_options::overwrite_existing);
  ASSERT_EQ(::kill(::getpid(), SIGHUP), 0);
  // The reload runs on the signal thread: poll (bounded) for its effect.
  bool renewed_served = false;
  for (const auto deadline = std::chrono::steady_clock::now() + 30s;
       !renewed_served && std::chrono::steady_clock::now() < deadline;) {
    renewed_served = HelloTrusting(server.port(), renewed.cert);
    if (!renewed_served) std::this_thread::sleep_for(50ms);  // polling a condition
  }
  ASSERT_TRUE(renewed_served) << "no connection got the renewed certificate after SIGHUP";
  EXPECT_FALSE(HelloTrusting(server.port(), old_cert)) << "the old certificate is still served";

  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  auto result = served.get_future();
  ASSERT_EQ(result.wait_for(60s), std::future_status::ready) << "Serve() went on after SIGTERM";
  EXPECT_OK(result.get());
  EXPECT_TRUE(stop.stopped());
}

}  // namespace
}  // namespace pilotage::http
