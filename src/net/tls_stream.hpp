// TLS over a TcpStream's non-blocking socket, reactor style: OpenSSL reads and writes the
// socket itself (SSL_set_fd) and the caller waits for readiness with the TcpStream.
//
// Why not asio::ssl::stream: it keeps a memory-BIO pair and its own buffers per connection
// for the connection's life; here an idle connection keeps only OpenSSL's SSL object (its
// record buffers are given back when idle) and reads go into the worker's shared buffer,
// exactly as plain TCP does.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include <openssl/ssl.h>
#include <boost/system/error_code.hpp>

namespace fleetload::net {

using error_code = boost::system::error_code;

// Why a TLS connection attempt failed (or an established TLS connection ended), as a
// report label. The broker-certificate reasons come from the X.509 verify result.
enum class TlsFailure : int {
  None = 0,
  UnknownCa,           // the broker's chain ends in a CA we do not trust (or lacks its issuer)
  BadCertificate,      // broker certificate failed verification for another reason (purpose, signature, ...)
  ClientCertRejected,  // the broker refused our certificate (unknown_ca / bad_certificate alert)
  HandshakeFailure,    // any other handshake failure (protocol, alert, reset mid-handshake)
  Identity,            // our identity (certificate, key, trust store) could not be loaded
  Protocol,            // a TLS error after the handshake (bad record, fatal alert)
  Expired,             // the broker certificate's notAfter is in the past
  NotYetValid,         // its notBefore is in the future
  HostnameMismatch,    // it does not name the host checked (the endpoint host, or tls.sni)
  SelfSigned,          // the broker presented a self-signed certificate we do not trust
  HandshakeTimeout,    // the handshake did not finish within target.connect_timeout
  // TLS 1.3, our certificate presented: the broker reset the connection after our handshake
  // and before sending a byte of MQTT. A broker refusing our certificate does exactly this;
  // its alert is lost when the reset overtakes it (the kernel then drops what is queued).
  ResetAfterHandshake,
};
inline constexpr std::size_t kTlsFailureCount = 13;
const char* to_string(TlsFailure f) noexcept;

// error_code category for TlsFailure values ("tls: unknown_ca ...").
const boost::system::error_category& tls_category() noexcept;
inline error_code make_error_code(TlsFailure f) noexcept {
  return error_code(static_cast<int>(f), tls_category());
}
// The TlsFailure an error_code stands for (None when it is not a TLS failure).
TlsFailure tls_failure_of(const error_code& ec) noexcept;

// Handshakes allocate large temporaries (record buffers, the handshake message buffer,
// 17-21 KiB each) between the long-lived objects of the connections being set up; freed,
// they leave holes that glibc keeps mapped (~5 KB per device after a ramp). When the last
// handshake in flight ends and at least kTrimAfterHandshakes ended since the last trim,
// malloc_trim(0) gives those pages back. How many trims ran (for benches):
inline constexpr std::uint64_t kTrimAfterHandshakes = 256;
std::uint64_t tls_memory_trims() noexcept;

class TlsConn {
 public:
  enum class Step : std::uint8_t { Done, WantRead, WantWrite, Failed };

  TlsConn() = default;
  ~TlsConn();
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;

  // New SSL on `fd` from `ctx` (shared by every device with the same identity). When
  // `resume` and a session was kept from the previous connection, offers it. configure
  // applies SNI/ALPN/host check (returns false on refusal). false = OpenSSL refused.
  template <class Configure>
  bool start(SSL_CTX* ctx, int fd, bool resume, Configure&& configure) {
    if (!begin(ctx, fd, resume)) return false;
    if (!configure(ssl_)) {
      end();
      return false;
    }
    return true;
  }

  // One non-blocking handshake step; Failed sets ec (tls_category) with the reason.
  Step handshake(error_code& ec);
  // True when the last completed handshake resumed a session.
  bool resumed() const noexcept;
  // True once the handshake of the current connection has completed.
  bool handshake_done() const noexcept { return ssl_ != nullptr && SSL_is_init_finished(ssl_) == 1; }

  // Non-blocking; would_block when nothing is there (want_write set when OpenSSL needs the
  // socket writable first), eof when the peer closed.
  std::size_t read_some(std::span<std::uint8_t> buf, error_code& ec, bool& want_write);
  // Non-blocking; may write fewer bytes than given (would_block when none). A retry must
  // start with the same bytes (the unsent tail does).
  std::size_t write_some(std::span<const std::uint8_t> buf, error_code& ec);
  // Plaintext OpenSSL already holds (no readiness event will announce it).
  bool has_pending() const noexcept { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }

  // Frees the SSL (sending close_notify when it can), keeping the session for the next
  // start() when `keep_session`. The socket is closed by its owner.
  void end(bool keep_session = false) noexcept;
  bool active() const noexcept { return ssl_ != nullptr; }
  bool has_session() const noexcept { return session_ != nullptr; }

  // When the handshake began (for the tls_handshake histogram).
  std::chrono::steady_clock::time_point started{};
  // CPU time this thread spent inside the handshake steps so far (CLOCK_THREAD_CPUTIME_ID
  // around each SSL_do_handshake: key exchange, signatures, certificate checks, the socket
  // reads and writes they make), for the report's client CPU per handshake.
  std::uint64_t handshake_cpu_ns = 0;
  // Whose identity the last start() presented when it was not the context's (an opaque tag:
  // a provisioned device's auth::ClientIdentity), so a kept session is offered only to the
  // same identity.
  const void* identity = nullptr;

 private:
  bool begin(SSL_CTX* ctx, int fd, bool resume);

  void handshake_over() noexcept;
  // After a failed write: reads what is queued; true when it is the broker's alert refusing
  // our certificate.
  bool alert_says_client_cert_rejected() noexcept;
  // The error for a reset (SSL_ERROR_SYSCALL) met by a read or a write.
  error_code reset_error() noexcept;

  SSL* ssl_ = nullptr;
  SSL_SESSION* session_ = nullptr;
  bool failed_ = false;  // a fatal error happened: no close_notify, no session kept
  bool handshaking_ = false;  // counted among the handshakes in flight
  bool got_data_ = false;     // the broker sent application data on this connection
};

}  // namespace fleetload::net
