// TlsConn against an in-process OpenSSL server over a socket pair: handshake and data both
// ways on a non-blocking socket, failure reasons (unknown CA, name mismatch, client
// certificate refused), session resumption only when the session is kept.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <thread>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "auth/certgen.hpp"
#include "auth/tls_identity.hpp"
#include "net/tls_stream.hpp"

namespace fleetload::net {
namespace {

namespace fs = std::filesystem;

struct Pki {
  fs::path dir, good, foreign;
  Pki() {
    dir = fs::temp_directory_path() / ("fleetload-net-tls-" + std::to_string(::getpid()));
    auth::CertOptions o;
    o.devices = 1;
    o.threads = 1;
    good = o.out_dir = dir / "good";
    auth::generate_fleet_certs(o);
    foreign = o.out_dir = dir / "foreign";
    auth::generate_fleet_certs(o);
  }
  ~Pki() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
const Pki& pki() {
  static const Pki p;
  return p;
}

// Broker side: blocking OpenSSL server on one end of a socket pair, echoing what it reads.
struct Server {
  SSL_CTX* ctx = nullptr;
  explicit Server(bool require_client_cert) {
    ctx = SSL_CTX_new(TLS_server_method());
    const auto& d = pki().good;
    EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx, (d / "server.crt").c_str()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx, (d / "server.key").c_str(), SSL_FILETYPE_PEM), 1);
    EXPECT_EQ(SSL_CTX_load_verify_locations(ctx, (d / "ca.crt").c_str(), nullptr), 1);
    static const unsigned char sid[] = "net_tls_test";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
    if (require_client_cert) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  ~Server() { SSL_CTX_free(ctx); }
  // Serves one connection on fd: handshake, echo one message, close_notify.
  std::thread serve(int fd) {
    return std::thread([this, fd] {
      SSL* s = SSL_new(ctx);
      SSL_set_fd(s, fd);
      if (SSL_accept(s) == 1) {
        char buf[256];
        const int n = SSL_read(s, buf, sizeof buf);
        if (n > 0) SSL_write(s, buf, n);
        SSL_shutdown(s);
      }
      SSL_free(s);
      ERR_clear_error();
      ::shutdown(fd, SHUT_WR);
    });
  }
};

struct Pair {
  int client = -1, server = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    client = fds[0];
    server = fds[1];
    ::fcntl(client, F_SETFL, ::fcntl(client, F_GETFL) | O_NONBLOCK);
  }
  ~Pair() {
    ::close(client);
    ::close(server);
  }
};

bool wait_fd(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 5000) == 1;
}

TlsConn::Step drive(TlsConn& c, int fd, error_code& ec) {
  for (int i = 0; i < 100; ++i) {
    const auto st = c.handshake(ec);
    if (st == TlsConn::Step::WantRead) {
      if (!wait_fd(fd, POLLIN)) break;
    } else if (st == TlsConn::Step::WantWrite) {
      if (!wait_fd(fd, POLLOUT)) break;
    } else {
      return st;
    }
  }
  return TlsConn::Step::Failed;
}

// Reads until data, eof or error; returns the bytes read.
std::string read_all(TlsConn& c, int fd, error_code& ec) {
  std::string got;
  std::uint8_t buf[256];
  for (int i = 0; i < 100; ++i) {
    bool want_write = false;
    const auto n = c.read_some(buf, ec, want_write);
    if (ec == boost::asio::error::would_block) {
      if (!got.empty()) return got;
      wait_fd(fd, want_write ? POLLOUT : POLLIN);
      continue;
    }
    if (ec) return got;
    got.append(reinterpret_cast<const char*>(buf), n);
  }
  return got;
}

auth::SslCtxPtr client_ctx(const fs::path& ca_dir, bool with_cert, bool resumption = false) {
  auth::TlsIdentitySpec spec;
  spec.ca_filepath = (ca_dir / "ca.crt").string();
  spec.session_resumption = resumption;
  if (with_cert) {
    spec.kind = auth::TlsIdentitySpec::Kind::PemFiles;
    spec.cert_filepath = auth::device_cert_path(pki().good, 0).string();
    spec.pri_key_filepath = auth::device_key_path(pki().good, 0).string();
  }
  return auth::make_client_context(spec);
}

bool configure_host(SSL* ssl, const char* name) {
  return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1 || SSL_set1_host(ssl, name) == 1;
}

TEST(TlsConn, HandshakesAndCarriesDataBothWaysOnANonBlockingSocket) {
  Server server(true);
  Pair pair;
  auto th = server.serve(pair.server);
  auto ctx = client_ctx(pki().good, true);
  TlsConn c;
  ASSERT_TRUE(c.start(ctx.get(), pair.client, false, [](SSL* s) { return configure_host(s, "127.0.0.1"); }));
  error_code ec;
  ASSERT_EQ(drive(c, pair.client, ec), TlsConn::Step::Done) << ec.message();
  EXPECT_FALSE(c.resumed());
  const std::string msg = "hello over tls";
  const auto n = c.write_some({reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()}, ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(n, msg.size());
  EXPECT_EQ(read_all(c, pair.client, ec), msg);
  read_all(c, pair.client, ec);
  EXPECT_EQ(ec, boost::asio::error::eof);  // close_notify from the server
  th.join();
  c.end();
  EXPECT_FALSE(c.active());
}

// The broker sends its leaf and its CA (the server builds the chain from its trust store, as
// mosquitto does). Once verified, only the leaf is kept, as the peer certificate: the
// connection still carries data, and a kept session still resumes.
TEST(TlsConn, VerifiedBrokerChainIsFreedAfterTheHandshakeButTheLeafStays) {
  Server server(true);
  auto ctx = client_ctx(pki().good, true, true);
  TlsConn c;
  for (int round = 0; round < 2; ++round) {
    Pair pair;
    auto th = server.serve(pair.server);
    SSL* ssl = nullptr;
    ASSERT_TRUE(c.start(ctx.get(), pair.client, true, [&](SSL* s) {
      ssl = s;
      return configure_host(s, "127.0.0.1");
    }));
    error_code ec;
    ASSERT_EQ(drive(c, pair.client, ec), TlsConn::Step::Done) << ec.message();
    EXPECT_EQ(c.resumed(), round > 0);
    const STACK_OF(X509)* sent = SSL_get_peer_cert_chain(ssl);
    ASSERT_NE(sent, nullptr);
    EXPECT_EQ(sk_X509_num(sent), 0);
    const STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl);
    EXPECT_TRUE(verified == nullptr || sk_X509_num(verified) == 0);
    const X509* leaf = SSL_get0_peer_certificate(ssl);
    ASSERT_NE(leaf, nullptr);
    EXPECT_EQ(X509_check_ip_asc(const_cast<X509*>(leaf), "127.0.0.1", 0), 1);
    const std::uint8_t ping[] = {'p'};
    c.write_some(ping, ec);
    EXPECT_EQ(read_all(c, pair.client, ec), "p");  // also reads the session tickets
    th.join();
    c.end(true);
  }
}

TEST(TlsConn, UntrustedBrokerIsUnknownCa) {
  Server server(false);
  Pair pair;
  auto th = server.serve(pair.server);
  auto ctx = client_ctx(pki().foreign, false);
  TlsConn c;
  ASSERT_TRUE(c.start(ctx.get(), pair.client, false, [](SSL* s) { return configure_host(s, "127.0.0.1"); }));
  error_code ec;
  EXPECT_EQ(drive(c, pair.client, ec), TlsConn::Step::Failed);
  EXPECT_EQ(tls_failure_of(ec), TlsFailure::UnknownCa) << ec.message();
  EXPECT_NE(ec.message().find("unknown_ca"), std::string::npos);
  c.end();
  ::shutdown(pair.client, SHUT_RDWR);
  th.join();
}

TEST(TlsConn, NameMismatchIsHostnameMismatch) {
  Server server(false);
  Pair pair;
  auto th = server.serve(pair.server);
  auto ctx = client_ctx(pki().good, false);
  TlsConn c;
  ASSERT_TRUE(c.start(ctx.get(), pair.client, false, [](SSL* s) { return configure_host(s, "broker.invalid"); }));
  error_code ec;
  EXPECT_EQ(drive(c, pair.client, ec), TlsConn::Step::Failed);
  EXPECT_EQ(tls_failure_of(ec), TlsFailure::HostnameMismatch) << ec.message();
  c.end();
  ::shutdown(pair.client, SHUT_RDWR);
  th.join();
}

TEST(TlsConn, MissingClientCertificateIsRefusedByTheBroker) {
  Server server(true);
  Pair pair;
  auto th = server.serve(pair.server);
  auto ctx = client_ctx(pki().good, false);
  TlsConn c;
  ASSERT_TRUE(c.start(ctx.get(), pair.client, false, [](SSL* s) { return configure_host(s, "127.0.0.1"); }));
  error_code ec;
  auto st = drive(c, pair.client, ec);
  if (st == TlsConn::Step::Done) {  // TLS 1.3: the refusal comes as an alert on the first read
    read_all(c, pair.client, ec);
  }
  EXPECT_EQ(tls_failure_of(ec), TlsFailure::ClientCertRejected) << ec.message();
  c.end();
  th.join();
}

TEST(TlsConn, KeptSessionIsResumedOnTheNextConnection) {
  Server server(true);
  auto ctx = client_ctx(pki().good, true, true);
  TlsConn c;
  for (int round = 0; round < 3; ++round) {
    Pair pair;
    auto th = server.serve(pair.server);
    ASSERT_TRUE(c.start(ctx.get(), pair.client, true, [](SSL* s) { return configure_host(s, "127.0.0.1"); }));
    error_code ec;
    ASSERT_EQ(drive(c, pair.client, ec), TlsConn::Step::Done) << ec.message();
    EXPECT_EQ(c.resumed(), round > 0) << round;
    const std::uint8_t ping[] = {'p'};
    c.write_some(ping, ec);
    EXPECT_EQ(read_all(c, pair.client, ec), "p");  // also reads the session tickets
    th.join();
    c.end(true);
    EXPECT_TRUE(c.has_session());
  }
  // Without keep: the next start offers nothing.
  Pair pair;
  auto th = server.serve(pair.server);
  ASSERT_TRUE(c.start(ctx.get(), pair.client, false, [](SSL* s) { return configure_host(s, "127.0.0.1"); }));
  error_code ec;
  ASSERT_EQ(drive(c, pair.client, ec), TlsConn::Step::Done);
  EXPECT_FALSE(c.resumed());
  EXPECT_FALSE(c.has_session());
  const std::uint8_t ping[] = {'q'};
  c.write_some(ping, ec);
  read_all(c, pair.client, ec);
  th.join();
}

// TLS 1.3 over real TCP: the broker refuses our (missing) certificate after our handshake is
// done, sends its alert and closes with our last record unread, so its kernel answers with a
// reset. When our next write meets that reset before any read, the alert still waiting in our
// receive queue must name the cause, not the reset.
TEST(TlsConn, WriteThatMeetsTheResetAfterARefusedCertificateReadsTheAlert) {
  Server server(true);
  const int lis = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lis, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(lis, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(lis, 1), 0);
  ASSERT_EQ(::getsockname(lis, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int cli = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(cli, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::fcntl(cli, F_SETFL, ::fcntl(cli, F_GETFL) | O_NONBLOCK);
  const int srv = ::accept(lis, nullptr, nullptr);
  ASSERT_GE(srv, 0);
  std::thread th([&] {
    SSL* s = SSL_new(server.ctx);
    SSL_set_fd(s, srv);
    EXPECT_NE(SSL_accept(s), 1);  // no client certificate: alert, and our Finished unread
    SSL_free(s);
    ERR_clear_error();
    ::close(srv);  // unread data: the kernel sends a reset
  });
  auto ctx = client_ctx(pki().good, false);
  TlsConn c;
  ASSERT_TRUE(c.start(ctx.get(), cli, false, [](SSL* s) { return configure_host(s, "127.0.0.1"); }));
  error_code ec;
  ASSERT_EQ(drive(c, cli, ec), TlsConn::Step::Done) << ec.message();  // TLS 1.3
  th.join();
  ASSERT_TRUE(wait_fd(cli, POLLERR));  // the reset has arrived
  const std::uint8_t connect_packet[] = {0x10, 0x00};
  c.write_some(connect_packet, ec);
  EXPECT_EQ(tls_failure_of(ec), TlsFailure::ClientCertRejected) << ec.message();
  c.end();
  ::close(cli);
  ::close(lis);
}

}  // namespace
}  // namespace fleetload::net
