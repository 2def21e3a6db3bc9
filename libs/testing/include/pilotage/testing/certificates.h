#pragma once
// Self-signed certificates made by the tests themselves (OpenSSL API, no
// files shipped): for TLS servers under test. Linked by tests only.

#include <chrono>
#include <filesystem>
#include <string>

namespace pilotage::testing {

struct CertificateSpec {
  // Subject CN (also the issuer's: self-signed).
  std::string common_name = "pilotage test";
  // Valid from now + not_before to now + not_after (negative: in the past).
  std::chrono::seconds not_before{-3600};
  std::chrono::seconds not_after{90 * 24 * 3600};
  // Serial number (tells two certificates of the same name apart).
  long serial = 1;
};

// A certificate (subjectAltName DNS:localhost and IP:127.0.0.1, so that a
// verifying client accepts it for 127.0.0.1) and its P-256 key, written as
// PEM files.
struct CertificateFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Writes `<dir>/<name>.crt` and `<dir>/<name>.key`. With `mismatched_key`,
// the key file holds another key than the certificate's (a mismatched pair).
// Fails the calling test (gtest ADD_FAILURE) and returns empty paths on an
// OpenSSL error.
CertificateFiles MakeCertificate(const std::filesystem::path& dir, const std::string& name,
                                 const CertificateSpec& spec = {}, bool mismatched_key = false);

}  // namespace pilotage::testing
