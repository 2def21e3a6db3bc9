#include "pilotage/testing/certificates.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace pilotage::testing {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(FILE* f) const { std::fclose(f); }
};

bool WritePem(const std::filesystem::path& path, auto write) {
  std::unique_ptr<FILE, Free> file(std::fopen(path.c_str(), "w"));
  return file && write(file.get()) == 1;
}

}  // namespace

CertificateFiles MakeCertificate(const std::filesystem::path& dir, const std::string& name,
                                 const CertificateSpec& spec, bool mismatched_key) {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Free> cert(X509_new());
  if (!key || !cert) {
    ADD_FAILURE() << "OpenSSL: cannot make a key or certificate";
    return {};
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before.count());
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after.count());
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      ADD_FAILURE() << "OpenSSL: cannot add extension " << value;
      return {};
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    ADD_FAILURE() << "OpenSSL: cannot sign the certificate";
    return {};
  }
  if (mismatched_key) key.reset(EVP_EC_gen("P-256"));
  CertificateFiles files{dir / (name + ".crt"), dir / (name + ".key")};
  const bool ok =
      WritePem(files.cert, [&](FILE* f) { return PEM_write_X509(f, cert.get()); }) &&
      WritePem(files.key, [&](FILE* f) {
        return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      });
  if (!ok) {
    ADD_FAILURE() << "cannot write " << files.cert << " or " << files.key;
    return {};
  }
  return files;
}

}  // namespace pilotage::testing
