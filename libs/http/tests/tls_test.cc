// libs/http over TLS: certificates made by the test (pilotage::testing),
// reached by cpp-httplib's TLS client (Debian builds it with OpenSSL), by
// a bare OpenSSL client for protocol versions, and by raw sockets.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "pilotage/http/server.h"
#include "pilotage/testing/certificates.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "serving.h"

namespace pilotage::http {
namespace {

using pilotage::testing::CertificateFiles;
using pilotage::testing::CertificateSpec;
using pilotage::testing::MakeCertificate;
using std::chrono::hours;
using std::chrono::milliseconds;

// Result of one TLS handshake by a bare OpenSSL client.
struct Handshake {
  bool ok = false;
  std::string error;  // OpenSSL's reason when it failed
};

// Connects to 127.0.0.1:`port` offering only TLS versions in [min, max].
// SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all (OpenSSL 3 refuses
// them by default): a refusal must then come from the server.
Handshake HandshakeWith(int port, int min_version, int max_version,
                        const char* ciphers = "DEFAULT:@SECLEVEL=0") {
  Handshake out;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  SSL_CTX_set_cipher_list(ctx.get(), ciphers);
  const int fd = pilotage::testing::ConnectLoopback(port, 20);
  if (fd < 0) {
    out.error = "cannot connect";
    return out;
  }
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
  SSL_set_fd(ssl.get(), fd);
  ERR_clear_error();
  out.ok = SSL_connect(ssl.get()) == 1;
  if (!out.ok) {
    char buffer[256];
    ERR_error_string_n(ERR_get_error(), buffer, sizeof buffer);
    out.error = buffer;
  } else {
    SSL_shutdown(ssl.get());
  }
  ::close(fd);
  return out;
}

class HttpTls : public ::testing::Test {
 protected:
  void SetUp() override { files_ = MakeCertificate(dir_.path(), "server"); }

  void Start(Limits limits = {}) {
    serving_.Create({.host = "127.0.0.1",
                     .port = 0,
                     .threads = 2,
                     .limits = limits,
                     .tls = {.cert_file = files_.cert.string(), .key_file = files_.key.string()}});
    serving_.AddHelloAndEcho();
    serving_.Serve();
  }

  // A client that trusts only `ca` (a self-signed certificate file) and
  // checks the server's name (127.0.0.1 is in the certificates' SAN).
  std::unique_ptr<httplib::SSLClient> Client(const std::filesystem::path& ca) {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", serving_->port());
    client->set_ca_cert_path(ca.c_str());
    client->enable_server_certificate_verification(true);
    client->set_keep_alive(false);
    return client;
  }

  absl::Status BindWith(const CertificateFiles& files) {
    Server server({.port = 0,
                   .threads = 1,
                   .tls = {.cert_file = files.cert.string(), .key_file = files.key.string()}});
    return server.Bind();
  }

  pilotage::testing::TempDir dir_;
  CertificateFiles files_;
  Serving serving_;
};

TEST_F(HttpTls, ATlsClientGetsAnswersWithSecurityHeaders) {
  Start();
  auto client = Client(files_.cert);
  auto res = client->Get("/hello");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "bonjour");
  EXPECT_EQ(res->get_header_value("Strict-Transport-Security"), "max-age=31536000");
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(res->get_header_value("Content-Security-Policy"),
            "default-src 'none'; frame-ancestors 'none'");
  // A body of several TLS records (16 KiB each at most) arrives whole.
  const std::string body(60 * 1024, 'x');
  auto echo = client->Post("/echo", body, "text/plain");
  ASSERT_TRUE(echo) << httplib::to_string(echo.error());
  EXPECT_EQ(echo->status, 200);
  EXPECT_EQ(echo->body, body);
  // Errors get the headers too.
  auto missing = client->Get("/nowhere");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Strict-Transport-Security"), "max-age=31536000");
}

TEST_F(HttpTls, PlainHttpToTheTlsPortGetsAPlain400AndIsClosed) {
  Start();
  const int fd = pilotage::testing::ConnectLoopback(serving_->port(), 20);
  ASSERT_GE(fd, 0);
  const std::string request = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, n);
  ::close(fd);
  EXPECT_EQ(n, 0) << "the server closes the connection";
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 ", 0), 0u) << answer;
  EXPECT_NE(answer.find("this port speaks HTTPS"), std::string::npos) << answer;
  // And the server goes on serving TLS.
  auto res = Client(files_.cert)->Get("/hello");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpTls, OverTheConnectionCapATlsClientIsClosedWithoutPlainBytes) {
  Start({.max_connections = 2});
  // Two keep-alive TLS connections, each served once: both are counted.
  auto a = Client(files_.cert);
  auto b = Client(files_.cert);
  a->set_keep_alive(true);
  b->set_keep_alive(true);
  for (auto* client : {a.get(), b.get()}) {
    auto res = client->Get("/hello");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200);
  }
  // A third connection: closed before any byte. A plain "HTTP/1.1 503"
  // would reach a TLS client as a corrupt record.
  const int fd = pilotage::testing::ConnectLoopback(serving_->port(), 20);
  ASSERT_GE(fd, 0);
  std::string received;
  char buffer[256];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) received.append(buffer, n);
  ::close(fd);
  EXPECT_EQ(n, 0) << "closed by the server (-1 would be the 20 s receive timeout)";
  EXPECT_EQ(received, "");
  // The connections within the cap still work.
  auto again = a->Get("/hello");
  ASSERT_TRUE(again) << httplib::to_string(again.error());
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpTls, Tls11AndOlderAreRefusedTls12And13Accepted) {
  Start();
  const Handshake tls11 = HandshakeWith(serving_->port(), TLS1_VERSION, TLS1_1_VERSION);
  EXPECT_FALSE(tls11.ok);
  // The server's alert, not the client's own refusal to offer TLS 1.1.
  EXPECT_NE(tls11.error.find("protocol version"), std::string::npos) << tls11.error;
  EXPECT_TRUE(HandshakeWith(serving_->port(), TLS1_2_VERSION, TLS1_2_VERSION).ok);
  EXPECT_TRUE(HandshakeWith(serving_->port(), TLS1_3_VERSION, TLS1_3_VERSION).ok);
}

TEST_F(HttpTls, Tls12CiphersWithoutForwardSecrecyOrAeadAreRefused) {
  Start();
  for (const char* weak : {"AES128-SHA", "AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA"}) {
    const Handshake h = HandshakeWith(serving_->port(), TLS1_2_VERSION, TLS1_2_VERSION, weak);
    EXPECT_FALSE(h.ok) << weak;
    EXPECT_NE(h.error.find("handshake failure"), std::string::npos) << weak << ": " << h.error;
  }
  EXPECT_TRUE(HandshakeWith(serving_->port(), TLS1_2_VERSION, TLS1_2_VERSION,
                            "ECDHE-ECDSA-AES128-GCM-SHA256")
                  .ok);
}

TEST_F(HttpTls, AnUnfinishedHandshakeIsClosedAtTheHeaderTimeout) {
  Start({.header_timeout = milliseconds(300)});
  const int fd = pilotage::testing::ConnectLoopback(serving_->port(), 20);
  ASSERT_GE(fd, 0);
  // The start of a TLS record, then nothing.
  ASSERT_EQ(::send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL), 3);
  char buffer[64];
  // 0: closed by the server (the receive timeout, 20 s, would give -1).
  EXPECT_EQ(::recv(fd, buffer, sizeof buffer, 0), 0);
  ::close(fd);
}

TEST_F(HttpTls, AnExpiredOrNotYetValidCertificateIsRefusedAtStart) {
  const auto expired =
      MakeCertificate(dir_.path(), "expired", {.not_before = -hours(48), .not_after = -hours(24)});
  absl::Status s = BindWith(expired);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expired on"), std::string::npos) << s;
  EXPECT_NE(s.message().find(expired.cert.string()), std::string::npos) << s;

  const auto future =
      MakeCertificate(dir_.path(), "future", {.not_before = hours(24), .not_after = hours(48)});
  s = BindWith(future);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("is not valid before"), std::string::npos) << s;
}

TEST_F(HttpTls, AKeyThatDoesNotMatchTheCertificateIsRefusedAtStart) {
  const auto pair = MakeCertificate(dir_.path(), "pair", {}, /*mismatched_key=*/true);
  const absl::Status s = BindWith(pair);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("does not match the certificate"), std::string::npos) << s;
  EXPECT_NE(s.message().find(pair.key.string()), std::string::npos) << s;
}

TEST_F(HttpTls, MissingOrNonPemFilesAreRefusedAtStart) {
  absl::Status s = BindWith({dir_.path() / "none.crt", files_.key});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("none.crt: cannot read it"), std::string::npos) << s;
  s = BindWith({files_.key, files_.key});  // a key where the certificate goes
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a PEM certificate"), std::string::npos) << s;
  s = BindWith({files_.cert, ""});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("both a certificate file and a key file"), std::string::npos) << s;
}

TEST_F(HttpTls, AfterAReloadNewConnectionsGetTheNewCertificate) {
  const std::filesystem::path old_cert = dir_.path() / "old.crt";
  std::filesystem::copy_file(files_.cert, old_cert);
  Start();
  {
    auto res = Client(old_cert)->Get("/hello");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
  }
  // The renewed pair replaces the files in place, as a renewal does.
  const auto renewed = MakeCertificate(dir_.path(), "renewed", {.serial = 2});
  std::filesystem::copy_file(renewed.cert, files_.cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key, files_.key,
                             std::filesystem::copy_options::overwrite_existing);
  // Until the reload, connections still get the old certificate.
  EXPECT_FALSE(Client(renewed.cert)->Get("/hello"));
  ASSERT_OK(serving_->ReloadTls());
  auto res = Client(renewed.cert)->Get("/hello");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_FALSE(Client(old_cert)->Get("/hello")) << "the old certificate is still served";

  // A reload of broken files fails and keeps the working certificate.
  std::filesystem::copy_file(renewed.cert, files_.key,
                             std::filesystem::copy_options::overwrite_existing);
  const absl::Status broken = serving_->ReloadTls();
  EXPECT_EQ(broken.code(), absl::StatusCode::kInvalidArgument) << broken;
  EXPECT_TRUE(Client(renewed.cert)->Get("/hello"));
}

TEST(HttpPlain, AnswersHaveSecurityHeadersButNoHstsAndAHandlerMaySetItsOwn) {
  Server server({.port = 0, .threads = 1});
  server.routes().Get("/page", [](const Request&, Response& res) {
    res.set_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
    res.set_header("Cache-Control", "max-age=60");
    res.set_content("<p>page</p>", "text/html");
  });
  ASSERT_OK(server.Bind());
  std::thread serving([&] { EXPECT_OK(server.Serve()); });
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/page");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_FALSE(res->has_header("Strict-Transport-Security"));
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res->get_header_value("Content-Security-Policy"),
            "default-src 'self'; frame-ancestors 'none'");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "max-age=60");
  EXPECT_EQ(res->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(server.ReloadTls().code(), absl::StatusCode::kFailedPrecondition);
  server.Stop();
  serving.join();
}

}  // namespace
}  // namespace pilotage::http
