// Worker, TLS part: presentation and shared SSL_CTX per attempt, the non-blocking
// handshake driven by readiness waits, failure counting by reason.
#include <boost/asio/error.hpp>

#include "auth/client_identity.hpp"
#include "auth/presentation.hpp"
#include "auth/tls_identity.hpp"
#include "engine/worker.hpp"

namespace fleetload::engine {

// Presentation, shared SSL_CTX and a new SSL on the just-opened socket. false: `down` is
// set and the socket is closed again.
bool Worker::start_tls(Device& d, std::uint64_t endpoint, Down& down) {
  SSL_CTX* ctx = nullptr;
  auth::DevicePresentation pres;
  const auth::TlsIdentitySpec* spec = nullptr;
  try {
    pres = cfg_.presentation->device(d.session.index(), (*cfg_.targets)[endpoint]);
    spec = &cfg_.presentation->identity(pres.identity);
    ctx = cfg_.tls_contexts->get(*spec).get();  // the cache keeps it alive
  } catch (const auth::TlsIdentityError& e) {
    // what() names the file/option and the reason, never a key, PIN or password.
    if (tls_identity_error_.empty()) tls_identity_error_ = e.what();
    tls_stats_->identity[static_cast<std::size_t>(e.failure())].add();
    ctx = nullptr;
  } catch (const std::exception& e) {
    if (tls_identity_error_.empty()) tls_identity_error_ = e.what();
    tls_stats_->identity[static_cast<std::size_t>(auth::TlsIdentityFailure::OpenSsl)].add();
    ctx = nullptr;
  }
  if (ctx == nullptr) {
    // Our certificate, key, bundle, token or trust store could not be loaded: a local fault
    // (counted by identity reason above), not something the broker did.
    close_transport(d);
    down = {true, device::DropReason::LocalError, net::make_error_code(net::TlsFailure::Identity)};
    return false;
  }
  if (!d.tls) d.tls = std::make_unique<net::TlsConn>();
  const bool verify = spec->verify_peer;
  // A provisioned device presents its own certificate and key on this SSL instead of the
  // shared context's (the claim identity); a session kept from a connection under another
  // identity is not offered, as resuming it would skip presenting the new certificate.
  const auth::ClientIdentity* own = d.session.client_identity();
  const bool same_identity = d.tls->identity == own;
  d.tls->identity = own;
  if (d.tls->start(ctx, d.stream.native_handle(), cfg_.tls_resumption && same_identity, [&](SSL* ssl) {
        return auth::apply_presentation(ssl, pres, verify) && (own == nullptr || own->apply(ssl));
      }))
    return true;
  const net::error_code ec = net::make_error_code(net::TlsFailure::HandshakeFailure);
  count_tls(ec, false);
  close_transport(d);
  down = {true, device::DropReason::ConnectFailed, ec};
  return false;
}

void Worker::tls_step(std::uint32_t id) {
  Device& d = devices_[id];
  net::error_code ec;
  switch (d.tls->handshake(ec)) {
    case net::TlsConn::Step::Done: {
      const TimePoint now = Clock::now();
      ctx_.stats.tls_handshake.record(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - d.tls->started).count()));
      tls_stats_->handshakes.add();
      if (d.tls->resumed()) {
        tls_stats_->resumed.add();
        tls_stats_->resumed_cpu_ns.add(d.tls->handshake_cpu_ns);
      } else {
        tls_stats_->full_cpu_ns.add(d.tls->handshake_cpu_ns);
      }
      d.connecting = false;
      transport_up(id);
      return;
    }
    case net::TlsConn::Step::WantRead:  // OpenSSL's read came back with would_block
      wait_in(id, Wait::Tls, true);
      return;
    case net::TlsConn::Step::WantWrite:
      wait_out(id, Wait::Tls);
      return;
    case net::TlsConn::Step::Failed:
      count_tls(ec, false);
      fail_connect(id, ec);
      return;
  }
}

void Worker::on_tls_io(std::uint32_t id, std::uint32_t gen) {
  Device& d = devices_[id];
  if (gen != d.gen || !d.connecting) return;
  tls_step(id);
}

void Worker::count_tls(const net::error_code& ec, bool established) noexcept {
  const auto f = net::tls_failure_of(ec);
  if (f == net::TlsFailure::None) return;
  (established ? tls_stats_->drops : tls_stats_->failures)[static_cast<std::size_t>(f)].add();
}

device::DropReason Worker::transport_error(const net::error_code& ec, bool established) noexcept {
  count_tls(ec, established);
  if (net::is_local_limit(ec)) return device::DropReason::LocalLimit;
  const auto f = net::tls_failure_of(ec);
  // TLS 1.3 lets the broker refuse our certificate only after our handshake is done.
  if (!established && (f == net::TlsFailure::ClientCertRejected || f == net::TlsFailure::ResetAfterHandshake))
    return device::DropReason::ConnectFailed;
  return device::DropReason::SocketError;
}

std::vector<ConnectFailureCause> connect_failure_causes(const std::vector<Worker*>& workers,
                                                        const device::StatsSnapshot& total, mqtt::Version v,
                                                        const std::vector<std::string>& endpoint_names) {
  std::vector<std::array<std::uint64_t, net::kConnectFailureCount>> tcp(endpoint_names.size());
  std::array<std::uint64_t, net::kTlsFailureCount> tls{};
  std::array<std::uint64_t, auth::kTlsIdentityFailureCount> identity{};
  std::array<std::uint64_t, net::kWsFailureCount> ws{};
  for (const auto& w : workers) {
    const auto& by_endpoint = w->tcp_stats().by_endpoint;
    for (std::size_t e = 0; e < tcp.size() && e < by_endpoint.size(); ++e)
      for (std::size_t i = 0; i < net::kConnectFailureCount; ++i) tcp[e][i] += by_endpoint[e][i].load();
    const TlsStats& t = w->tls_stats();
    for (std::size_t i = 0; i < tls.size(); ++i) tls[i] += t.failures[i].load();
    for (std::size_t i = 0; i < identity.size(); ++i) identity[i] += t.identity[i].load();
    for (std::size_t i = 0; i < ws.size(); ++i) ws[i] += w->ws_stats().failures[i].load();
  }
  std::vector<ConnectFailureCause> out;
  for (std::size_t e = 0; e < tcp.size(); ++e) {
    for (std::size_t i = 1; i < net::kConnectFailureCount; ++i) {
      if (tcp[e][i] == 0) continue;
      const auto f = static_cast<net::ConnectFailure>(i);
      const bool dns = f == net::ConnectFailure::NameNotResolved || f == net::ConnectFailure::ResolutionFailed;
      out.push_back({dns ? "dns_failed" : "tcp_failed", net::to_string(f), tcp[e][i], endpoint_names[e]});
    }
  }
  for (std::size_t i = 1; i < tls.size(); ++i) {
    const auto f = static_cast<net::TlsFailure>(i);
    // Identity failures are told apart by their own reason below.
    if (tls[i] > 0 && f != net::TlsFailure::Identity) out.push_back({"tls_failed", net::to_string(f), tls[i], {}});
  }
  for (std::size_t i = 0; i < identity.size(); ++i)
    if (identity[i] > 0)
      out.push_back({"identity_failed", auth::to_string(static_cast<auth::TlsIdentityFailure>(i)), identity[i], {}});
  for (std::size_t i = 1; i < ws.size(); ++i)
    if (ws[i] > 0) out.push_back({"websocket_failed", net::to_string(static_cast<net::WsFailure>(i)), ws[i], {}});
  if (total.connects_unencodable > 0)
    out.push_back({"local_error", "connect_unencodable", total.connects_unencodable, {}});
  if (total.connack_mqtt311_on_v5 > 0)
    out.push_back({"connack_refused",
                   "broker answered with MQTT 3.1.1 CONNACK 0x01 unacceptable protocol version: it does not speak MQTT 5",
                   total.connack_mqtt311_on_v5, {}});
  for (std::size_t c = 1; c < total.connack_codes.size(); ++c)
    if (total.connack_codes[c] > 0)
      out.push_back(
          {"connack_refused", device::connack_code_name(v, static_cast<std::uint8_t>(c)), total.connack_codes[c], {}});
  return out;
}

std::size_t Worker::write_some(Device& d, std::span<const std::uint8_t> buf, net::error_code& ec) {
  if (d.tls && d.tls->active()) return d.tls->write_some(buf, ec);
  return d.stream.write_some(buf, ec);
}

}  // namespace fleetload::engine
