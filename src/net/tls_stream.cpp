// TlsConn: non-blocking OpenSSL handshake, reads and writes on a socket, failure reasons.
#include "net/tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <malloc.h>
#include <time.h>

#include <atomic>
#include <boost/asio/error.hpp>
#include <cerrno>
#include <string>

namespace fleetload::net {

const char* to_string(TlsFailure f) noexcept {
  switch (f) {
    case TlsFailure::None: return "none";
    case TlsFailure::UnknownCa: return "unknown_ca";
    case TlsFailure::BadCertificate: return "bad_certificate";
    case TlsFailure::ClientCertRejected: return "client_cert_rejected";
    case TlsFailure::HandshakeFailure: return "handshake_failure";
    case TlsFailure::Identity: return "identity";
    case TlsFailure::Protocol: return "protocol_error";
    case TlsFailure::Expired: return "expired";
    case TlsFailure::NotYetValid: return "not_yet_valid";
    case TlsFailure::HostnameMismatch: return "hostname_mismatch";
    case TlsFailure::SelfSigned: return "self_signed";
    case TlsFailure::HandshakeTimeout: return "handshake_timeout";
    case TlsFailure::ResetAfterHandshake: return "reset_after_handshake";
  }
  return "unknown";
}

namespace {

class TlsCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string message(int v) const override {
    switch (static_cast<TlsFailure>(v)) {
      case TlsFailure::UnknownCa: return "unknown_ca: the broker certificate is not signed by a trusted CA";
      case TlsFailure::BadCertificate: return "bad_certificate: the broker certificate failed verification";
      case TlsFailure::ClientCertRejected: return "client_cert_rejected: the broker refused our certificate";
      case TlsFailure::HandshakeFailure: return "handshake_failure: the TLS handshake failed";
      case TlsFailure::Identity: return "identity: the TLS identity could not be loaded";
      case TlsFailure::Protocol: return "protocol_error: TLS error on an established connection";
      case TlsFailure::Expired: return "expired: the broker certificate has expired";
      case TlsFailure::NotYetValid: return "not_yet_valid: the broker certificate is not valid yet";
      case TlsFailure::HostnameMismatch: return "hostname_mismatch: the broker certificate does not name the host";
      case TlsFailure::SelfSigned: return "self_signed: the broker certificate is self-signed and not trusted";
      case TlsFailure::HandshakeTimeout: return "handshake_timeout: the TLS handshake did not finish in time";
      case TlsFailure::ResetAfterHandshake:
        return "reset_after_handshake: the broker reset the connection right after the TLS 1.3 handshake, "
               "before any MQTT answer: most often it refused our client certificate (its alert lost to the reset)";
      case TlsFailure::None: break;
    }
    return "tls: no error";
  }
};

// The report label for a failed X.509 verification of the broker's chain.
TlsFailure failure_of_verify(long verify) noexcept {
  switch (verify) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return TlsFailure::SelfSigned;  // the leaf is its own issuer and is not trusted
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:  // a root, just not one we trust
      return TlsFailure::UnknownCa;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return TlsFailure::Expired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return TlsFailure::NotYetValid;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return TlsFailure::HostnameMismatch;
    default:
      return TlsFailure::BadCertificate;  // signature, purpose, revoked, path length, ...
  }
}

// The broker's alerts that mean "your certificate": it did not trust or want it.
bool is_client_cert_alert(unsigned long err) noexcept {
  if (ERR_GET_LIB(err) != ERR_LIB_SSL) return false;
  switch (ERR_GET_REASON(err)) {
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      return true;
    default:
      return false;
  }
}

// SSL_ERROR_SYSCALL: errno when there is one, else the peer closed without close_notify.
error_code syscall_error() {
  const int e = errno;
  if (e != 0 && e != EAGAIN && e != EWOULDBLOCK) return error_code(e, boost::system::system_category());
  return boost::asio::error::eof;
}

// Handshakes in flight in this process, and handshakes ended since the last trim.
std::atomic<std::int64_t> g_in_flight{0};
std::atomic<std::uint64_t> g_ended_since_trim{0};
std::atomic<std::uint64_t> g_trims{0};

}  // namespace

std::uint64_t tls_memory_trims() noexcept { return g_trims.load(std::memory_order_relaxed); }

// A handshake finished, failed or was abandoned. The last one of a burst (a ramp step, a
// reconnect storm) trims the heap, at most once per kTrimAfterHandshakes handshakes: the
// trim walks the free lists (milliseconds on a large heap), so not after every handshake.
void TlsConn::handshake_over() noexcept {
  if (!handshaking_) return;
  handshaking_ = false;
  const std::int64_t left = g_in_flight.fetch_sub(1, std::memory_order_acq_rel) - 1;
  std::uint64_t ended = g_ended_since_trim.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (left > 0 || ended < kTrimAfterHandshakes) return;
  if (!g_ended_since_trim.compare_exchange_strong(ended, 0, std::memory_order_acq_rel)) return;
#if defined(__GLIBC__)
  ::malloc_trim(0);
  g_trims.fetch_add(1, std::memory_order_relaxed);
#endif
}

const boost::system::error_category& tls_category() noexcept {
  static const TlsCategory c;
  return c;
}

TlsFailure tls_failure_of(const error_code& ec) noexcept {
  if (ec.category() != tls_category()) return TlsFailure::None;
  return static_cast<TlsFailure>(ec.value());
}

TlsConn::~TlsConn() {
  end(false);
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

bool TlsConn::begin(SSL_CTX* ctx, int fd, bool resume) {
  end(resume);
  failed_ = false;
  ssl_ = SSL_new(ctx);
  if (ssl_ == nullptr) return false;
  // The unsent tail is a heap vector that moves and grows between retries.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_set_fd(ssl_, fd) != 1) {
    end();
    return false;
  }
  if (resume && session_ != nullptr) SSL_set_session(ssl_, session_);
  if (!resume && session_ != nullptr) {
    SSL_SESSION_free(session_);
    session_ = nullptr;
  }
  SSL_set_connect_state(ssl_);
  started = std::chrono::steady_clock::now();
  handshake_cpu_ns = 0;
  handshaking_ = true;
  g_in_flight.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

namespace {
std::uint64_t thread_cpu_ns() noexcept {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(t.tv_nsec);
}

// OpenSSL 3.0 keeps the broker's chain for the connection's life, though it was verified in
// the handshake and nothing reads it again: the chain as sent (the session's peer chain; a
// broker sends its leaf and an intermediate or its CA, as mosquitto does, each parsed with
// its decoded key) and the verified chain built from it. Emptying both frees every copy but
// the leaf, which the session holds as the peer certificate: 4.9 KB of an idle connection's
// 26.6 KB against mosquitto (bench/RESULTS.md, TLS). A renegotiation or a resumed session
// needs neither.
void drop_broker_chain(SSL* ssl) noexcept {
  const auto empty = [](STACK_OF(X509)* chain) {
    if (chain == nullptr) return;
    while (X509* x = sk_X509_pop(chain)) X509_free(x);
  };
  empty(SSL_get_peer_cert_chain(ssl));
  empty(SSL_get0_verified_chain(ssl));
}
}  // namespace

TlsConn::Step TlsConn::handshake(error_code& ec) {
  ERR_clear_error();
  errno = 0;
  const std::uint64_t cpu0 = thread_cpu_ns();
  const int r = SSL_do_handshake(ssl_);
  handshake_cpu_ns += thread_cpu_ns() - cpu0;
  if (r == 1) {
    drop_broker_chain(ssl_);
    handshake_over();
    return Step::Done;
  }
  const int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ) return Step::WantRead;
  if (e == SSL_ERROR_WANT_WRITE) return Step::WantWrite;
  handshake_over();
  failed_ = true;
  TlsFailure why = TlsFailure::HandshakeFailure;
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    why = failure_of_verify(verify);
  } else if (e == SSL_ERROR_SSL && is_client_cert_alert(ERR_peek_last_error())) {
    why = TlsFailure::ClientCertRejected;
  }
  ERR_clear_error();
  ec = make_error_code(why);
  return Step::Failed;
}

bool TlsConn::resumed() const noexcept { return ssl_ != nullptr && SSL_session_reused(ssl_) == 1; }

std::size_t TlsConn::read_some(std::span<std::uint8_t> buf, error_code& ec, bool& want_write) {
  want_write = false;
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  if (SSL_read_ex(ssl_, buf.data(), buf.size(), &n) == 1) {
    got_data_ = true;
    ec.clear();
    return n;
  }
  const int e = SSL_get_error(ssl_, 0);
  switch (e) {
    case SSL_ERROR_WANT_READ:
      // The read that found nothing has just set up a 17 KiB record buffer again, and
      // SSL_MODE_RELEASE_BUFFERS frees it only after a record: give it back now, or every
      // idle device holds one (it refuses when part of a record is buffered).
      SSL_free_buffers(ssl_);
      ec = boost::asio::error::would_block;
      break;
    case SSL_ERROR_WANT_WRITE:
      want_write = true;
      ec = boost::asio::error::would_block;
      break;
    case SSL_ERROR_ZERO_RETURN:
      ec = boost::asio::error::eof;
      break;
    case SSL_ERROR_SYSCALL:
      failed_ = true;
      ec = reset_error();
      break;
    default:
      failed_ = true;
      // TLS 1.3: the client's handshake ends before the broker has checked our
      // certificate, so its refusal arrives as an alert on the first read.
      ec = make_error_code(is_client_cert_alert(ERR_peek_last_error()) ? TlsFailure::ClientCertRejected
                                                                       : TlsFailure::Protocol);
      break;
  }
  ERR_clear_error();
  return 0;
}

std::size_t TlsConn::write_some(std::span<const std::uint8_t> buf, error_code& ec) {
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  if (SSL_write_ex(ssl_, buf.data(), buf.size(), &n) == 1) {
    ec.clear();
    return n;
  }
  const int e = SSL_get_error(ssl_, 0);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ec = boost::asio::error::would_block;
  } else if (e == SSL_ERROR_SYSCALL) {
    failed_ = true;
    ec = reset_error();
    // TLS 1.3: a broker that refuses our certificate does so after our handshake is done,
    // sends its alert and closes with our last record unread, so its kernel resets the
    // connection. A write that meets the reset comes before any read: the alert may still
    // be waiting in the receive queue, and it, not the reset, says why.
    if (alert_says_client_cert_rejected()) ec = make_error_code(TlsFailure::ClientCertRejected);
  } else {
    failed_ = true;
    ec = make_error_code(TlsFailure::Protocol);
  }
  ERR_clear_error();
  return 0;
}

error_code TlsConn::reset_error() noexcept {
  error_code ec = syscall_error();
  // A reset before the broker's first byte of MQTT, after a TLS 1.3 handshake in which we
  // presented a certificate: the shape of a refused certificate whose alert the reset
  // overtook. Named apart so it is neither a plain socket error nor claimed as a refusal.
  if (!got_data_ && SSL_version(ssl_) == TLS1_3_VERSION && SSL_get_certificate(ssl_) != nullptr &&
      (ec == boost::asio::error::connection_reset || ec == boost::asio::error::broken_pipe))
    ec = make_error_code(TlsFailure::ResetAfterHandshake);
  return ec;
}

bool TlsConn::alert_says_client_cert_rejected() noexcept {
  ERR_clear_error();
  std::uint8_t b = 0;
  std::size_t n = 0;
  if (SSL_read_ex(ssl_, &b, 1, &n) == 1) return false;
  return SSL_get_error(ssl_, 0) == SSL_ERROR_SSL && is_client_cert_alert(ERR_peek_last_error());
}

void TlsConn::end(bool keep_session) noexcept {
  if (ssl_ == nullptr) return;
  handshake_over();  // abandoned mid-handshake (timeout, shutdown)
  const bool finished = SSL_is_init_finished(ssl_) == 1;
  if (finished && !failed_) {
    // close_notify (best effort, non-blocking): an SSL freed without it has its session
    // marked not resumable.
    ERR_clear_error();
    SSL_shutdown(ssl_);
    if (keep_session) {
      SSL_SESSION* s = SSL_get1_session(ssl_);
      if (s != nullptr && SSL_SESSION_is_resumable(s) == 1) {
        if (session_ != nullptr) SSL_SESSION_free(session_);
        session_ = s;
      } else if (s != nullptr) {
        SSL_SESSION_free(s);
      }
    }
  }
  ERR_clear_error();
  SSL_free(ssl_);
  ssl_ = nullptr;
}

}  // namespace fleetload::net
