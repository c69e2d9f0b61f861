// Test helpers: a server SSL_CTX and a complete TLS handshake between two SSL objects over
// an in-memory BIO pair (real OpenSSL on both sides, no sockets).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "auth/presentation.hpp"
#include "auth/tls_identity.hpp"

namespace fleetload::auth::test {

struct SessionFree {
  void operator()(SSL_SESSION* s) const noexcept { SSL_SESSION_free(s); }
};

struct Handshake {
  bool ok = false;
  std::string error;
  std::string client_cn;  // the client certificate's CN as the server saw it
  std::string version;
  std::string alpn;
  bool resumed = false;
  std::shared_ptr<SSL_SESSION> session;
};

inline int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                       const unsigned char* in, unsigned int inlen, void* arg) {
  const std::string* want = static_cast<const std::string*>(arg);
  for (unsigned int i = 0; i < inlen; i += in[i] + 1u) {
    if (std::string(reinterpret_cast<const char*>(in + i + 1), in[i]) == *want) {
      *out = in + i + 1;
      *outlen = in[i];
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// A server context; `client_ca` empty = no client certificate requested.
inline SslCtxPtr server_context(const std::filesystem::path& cert, const std::filesystem::path& key,
                                const std::filesystem::path& client_ca, std::string alpn = {}) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), SslCtxFree{});
  SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str());
  SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM);
  static const unsigned char sid[] = "fleetload-test";
  SSL_CTX_set_session_id_context(ctx.get(), sid, sizeof sid - 1);
  if (!client_ca.empty()) {
    SSL_CTX_load_verify_locations(ctx.get(), client_ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  if (!alpn.empty()) {
    // The string lives as long as the context (freed with it via ex_data is overkill here).
    static thread_local std::string keep;
    keep = std::move(alpn);
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, &keep);
  }
  return ctx;
}

inline std::string drain() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += std::string(out.empty() ? "" : "; ") + buf;
  }
  return out;
}

inline Handshake handshake(SSL_CTX* client_ctx, SSL_CTX* server_ctx, const DevicePresentation& d,
                           SSL_SESSION* resume = nullptr, bool keep_session = false) {
  Handshake h;
  ERR_clear_error();
  SSL* c = SSL_new(client_ctx);
  SSL* s = SSL_new(server_ctx);
  BIO* cb = nullptr;
  BIO* sb = nullptr;
  BIO_new_bio_pair(&cb, 0, &sb, 0);
  SSL_set_bio(c, cb, cb);
  SSL_set_bio(s, sb, sb);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  const bool verify = SSL_CTX_get_verify_mode(client_ctx) != SSL_VERIFY_NONE;
  if (!apply_presentation(c, d, verify)) h.error = "apply_presentation: " + drain();
  if (resume != nullptr) SSL_set_session(c, resume);
  bool c_done = false, s_done = false;
  for (int i = 0; i < 50 && h.error.empty() && !(c_done && s_done); ++i) {
    if (!c_done) {
      int r = SSL_do_handshake(c);
      if (r == 1) c_done = true;
      else if (int e = SSL_get_error(c, r); e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        h.error = "client: " + drain() + " verify=" +
                  X509_verify_cert_error_string(SSL_get_verify_result(c));
      }
    }
    if (!s_done && h.error.empty()) {
      int r = SSL_do_handshake(s);
      if (r == 1) s_done = true;
      else if (int e = SSL_get_error(s, r); e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        h.error = "server: " + drain();
      }
    }
  }
  if (h.error.empty() && c_done && s_done) {
    // One byte server -> client also makes the client read TLS 1.3 session tickets.
    char byte = 'x';
    SSL_write(s, &byte, 1);
    char got = 0;
    int n = 0;
    for (int i = 0; i < 10 && n <= 0; ++i) n = SSL_read(c, &got, 1);
    h.ok = n == 1 && got == 'x';
    if (!h.ok) h.error = "no application data: " + drain();
  }
  if (h.ok) {
    if (X509* peer = SSL_get0_peer_certificate(s)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      h.client_cn = cn;
    }
    h.version = SSL_get_version(c);
    const unsigned char* a = nullptr;
    unsigned int alen = 0;
    SSL_get0_alpn_selected(c, &a, &alen);
    h.alpn.assign(reinterpret_cast<const char*>(a), alen);
    h.resumed = SSL_session_reused(c) == 1;
    if (keep_session) h.session.reset(SSL_get1_session(c), SessionFree{});
  }
  // A clean close: OpenSSL marks a session not resumable when its SSL is freed without one.
  SSL_shutdown(c);
  SSL_free(c);
  SSL_free(s);
  return h;
}

}  // namespace fleetload::auth::test
