// WsConn: the upgrade request and response check (Beast HTTP), client frames (Beast frame
// writer and masking), the incremental in-place frame reader, failure reasons.
#include "net/ws_stream.hpp"

#include "net/server_text.hpp"

#include <algorithm>
#include <cstring>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_static_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <boost/beast/websocket/detail/mask.hpp>
#include <boost/beast/websocket/detail/prng.hpp>

namespace fleetload::net {

namespace http = boost::beast::http;
namespace wsd = boost::beast::websocket::detail;

const char* to_string(WsFailure f) noexcept {
  switch (f) {
    case WsFailure::None: return "none";
    case WsFailure::UpgradeUnauthorized: return "upgrade_unauthorized";
    case WsFailure::UpgradeForbidden: return "upgrade_forbidden";
    case WsFailure::UpgradeRefused: return "upgrade_refused";
    case WsFailure::BadUpgradeResponse: return "bad_upgrade_response";
    case WsFailure::CredentialsMissing: return "credentials_missing";
    case WsFailure::CredentialsExpired: return "credentials_expired";
    case WsFailure::CredentialsProcess: return "credentials_process";
    case WsFailure::Protocol: return "websocket_protocol_error";
    case WsFailure::Closed: return "websocket_closed";
    case WsFailure::UpgradeTimeout: return "upgrade_timeout";
  }
  return "unknown";
}

namespace {

class WsCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "websocket"; }
  std::string message(int v) const override {
    switch (static_cast<WsFailure>(v)) {
      case WsFailure::UpgradeUnauthorized: return "upgrade_unauthorized: the server answered the WebSocket upgrade with HTTP 401";
      case WsFailure::UpgradeForbidden: return "upgrade_forbidden: the server answered the WebSocket upgrade with HTTP 403";
      case WsFailure::UpgradeRefused: return "upgrade_refused: the server did not accept the WebSocket upgrade";
      case WsFailure::BadUpgradeResponse: return "bad_upgrade_response: the server's upgrade response is not a valid WebSocket handshake";
      case WsFailure::CredentialsMissing: return "credentials_missing: no AWS credentials to sign the WebSocket handshake";
      case WsFailure::CredentialsExpired: return "credentials_expired: the AWS credentials have expired";
      case WsFailure::CredentialsProcess: return "credentials_process: credential_process failed or printed unusable output";
      case WsFailure::Protocol: return "websocket_protocol_error: the server broke WebSocket framing";
      case WsFailure::Closed: return "websocket_closed: the server closed the WebSocket";
      case WsFailure::UpgradeTimeout: return "upgrade_timeout: no upgrade response within target.connect_timeout";
      case WsFailure::None: break;
    }
    return "websocket: no error";
  }
};

constexpr std::size_t kMaxResponseHeader = 8 * 1024;

bool is_control(WsOpcode op) noexcept { return static_cast<std::uint8_t>(op) >= 8; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// True when the comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// A masked frame header (Beast's writer) for `len` payload bytes; masks `payload` in place.
template <class Buffer>
void masked_header(Buffer& hb, wsd::opcode op, std::span<std::uint8_t> payload) {
  // Beast's per-thread PRNG, as its own websocket stream uses for mask keys (RFC 6455 §5.3).
  static thread_local const wsd::generator gen = wsd::make_prng(true);
  wsd::frame_header fh{};
  fh.op = op;
  fh.fin = true;
  fh.mask = true;
  fh.rsv1 = fh.rsv2 = fh.rsv3 = false;
  fh.len = payload.size();
  fh.key = gen();
  wsd::write(hb, fh);
  wsd::prepared_key key;
  wsd::prepare_key(key, fh.key);
  if (!payload.empty()) wsd::mask_inplace(boost::asio::mutable_buffer(payload.data(), payload.size()), key);
}

}  // namespace

const boost::system::error_category& ws_category() noexcept {
  static const WsCategory c;
  return c;
}

WsFailure ws_failure_of(const error_code& ec) noexcept {
  if (ec.category() != ws_category()) return WsFailure::None;
  return static_cast<WsFailure>(ec.value());
}

struct WsConn::Upgrade {
  std::string request;
  std::size_t written = 0;
  std::string response;  // bytes of the response header received so far
  wsd::sec_ws_key_type key;
  std::string subprotocol;
  unsigned status = 0;
  std::string reason;
};

WsConn::WsConn() = default;
WsConn::~WsConn() = default;
WsConn::WsConn(WsConn&&) noexcept = default;
WsConn& WsConn::operator=(WsConn&&) noexcept = default;

void WsConn::begin(std::string_view host, std::string_view target, std::string_view subprotocol,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  up_ = std::make_unique<Upgrade>();
  upgraded_ = failed_ = close_sent_ = false;
  wsd::make_sec_ws_key(up_->key);
  up_->subprotocol = subprotocol;
  http::request<http::empty_body> req{http::verb::get, boost::beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, boost::beast::string_view(host.data(), host.size()));
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, boost::beast::string_view(up_->key.data(), up_->key.size()));
  req.set(http::field::sec_websocket_version, "13");
  if (!subprotocol.empty())
    req.set(http::field::sec_websocket_protocol, boost::beast::string_view(subprotocol.data(), subprotocol.size()));
  for (const auto& [k, v] : headers) req.insert(k, v);

  http::request_serializer<http::empty_body> sr{req};
  boost::beast::error_code ec;
  std::string& out = up_->request;
  do {
    sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (const auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  } while (!ec && !sr.is_done());
}

std::span<const std::uint8_t> WsConn::request_pending() const noexcept {
  if (!up_ || up_->written >= up_->request.size()) return {};
  return {reinterpret_cast<const std::uint8_t*>(up_->request.data()) + up_->written,
          up_->request.size() - up_->written};
}

void WsConn::request_written(std::size_t n) noexcept {
  if (up_) up_->written = std::min(up_->request.size(), up_->written + n);
}

unsigned WsConn::status() const noexcept { return up_ ? up_->status : 0; }

const std::string& WsConn::reason() const noexcept {
  static const std::string none;
  return up_ ? up_->reason : none;
}

// What this request sent that a server could echo back: the query values and the value of
// every header but the handshake's own fixed ones (custom headers carry tokens).
std::vector<std::string> WsConn::sent_values() const {
  std::vector<std::string> out;
  if (!up_) return out;
  const std::string_view req(up_->request);
  const auto line_end = req.find("\r\n");
  const auto sp1 = req.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : req.find(' ', sp1 + 1);
  if (sp2 != std::string_view::npos) query_values(req.substr(sp1 + 1, sp2 - sp1 - 1), out);
  for (auto at = line_end; at != std::string_view::npos && at + 2 < req.size();) {
    const auto next = req.find("\r\n", at + 2);
    const std::string_view line = req.substr(at + 2, next == std::string_view::npos ? next : next - at - 2);
    at = next;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (iequals(name, "host") || iequals(name, "upgrade") || iequals(name, "connection") ||
        iequals(name, "sec-websocket-version") || iequals(name, "sec-websocket-protocol") ||
        iequals(name, "sec-websocket-key"))
      continue;
    if (!value.empty()) out.emplace_back(value);
  }
  return out;
}

std::string WsConn::describe() const {
  if (!up_) return upgraded_ ? "HTTP 101" : "no upgrade request";
  std::string out = up_->status != 0 ? "HTTP " + std::to_string(up_->status) : std::string("response");
  // The reason phrase is the server's own text: a server that echoes our request would put
  // our query values and header tokens into the report through it.
  if (!up_->reason.empty()) out += " " + sanitize_server_text(up_->reason, sent_values());
  // Request line: "GET <target> HTTP/1.1".
  const std::string_view req(up_->request);
  const auto sp1 = req.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : req.find(' ', sp1 + 1);
  if (sp2 != std::string_view::npos) out += " for GET " + redact_target(req.substr(sp1 + 1, sp2 - sp1 - 1));
  return out;
}

WsConn::Step WsConn::on_response(std::span<const std::uint8_t> in, std::size_t& consumed, error_code& ec) {
  consumed = 0;
  Upgrade& u = *up_;
  const std::size_t before = u.response.size();
  u.response.append(reinterpret_cast<const char*>(in.data()), in.size());
  // Look for the end of the header, starting a little before the new bytes.
  const auto end = u.response.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
  if (end == std::string::npos) {
    if (u.response.size() <= kMaxResponseHeader) {
      consumed = in.size();
      return Step::NeedMore;
    }
    failed_ = true;
    u.reason = "response header larger than 8 KiB";
    ec = make_error_code(WsFailure::BadUpgradeResponse);
    return Step::Failed;
  }
  const std::size_t header_len = end + 4;
  consumed = header_len - before;

  http::response_parser<http::empty_body> p;
  p.header_limit(kMaxResponseHeader);
  p.eager(false);
  boost::beast::error_code pec;
  p.put(boost::asio::buffer(u.response.data(), header_len), pec);
  failed_ = true;  // until proven otherwise
  if ((pec && pec != http::error::need_more) || !p.is_header_done()) {
    u.reason = "unparsable HTTP response";
    ec = make_error_code(WsFailure::BadUpgradeResponse);
    return Step::Failed;
  }
  const auto& res = p.get();
  u.status = res.result_int();
  u.reason.assign(res.reason().data(), res.reason().size());
  if (u.status != 101) {
    ec = make_error_code(u.status == 401   ? WsFailure::UpgradeUnauthorized
                         : u.status == 403 ? WsFailure::UpgradeForbidden
                                           : WsFailure::UpgradeRefused);
    return Step::Failed;
  }
  wsd::sec_ws_accept_type accept;
  wsd::make_sec_ws_accept(accept, boost::beast::string_view(u.key.data(), u.key.size()));
  auto field = [&res](http::field f) {
    const auto v = res[f];
    return std::string_view(v.data(), v.size());
  };
  const std::string_view proto = field(http::field::sec_websocket_protocol);
  const char* wrong = nullptr;
  if (!iequals(field(http::field::upgrade), "websocket")) wrong = "no Upgrade: websocket";
  else if (!has_token(field(http::field::connection), "upgrade")) wrong = "no Connection: Upgrade";
  else if (field(http::field::sec_websocket_accept) != std::string_view(accept.data(), accept.size()))
    wrong = "wrong Sec-WebSocket-Accept";
  // RFC 6455 §4.1: a subprotocol we did not ask for fails the handshake. (An absent one is
  // tolerated, as the SDK's client does.)
  else if (!proto.empty() && proto != u.subprotocol) wrong = "unrequested Sec-WebSocket-Protocol";
  if (wrong != nullptr) {
    u.reason = wrong;
    ec = make_error_code(WsFailure::BadUpgradeResponse);
    return Step::Failed;
  }
  failed_ = false;
  upgraded_ = true;
  up_.reset();  // the handshake state is not needed for the rest of the connection
  return Step::Done;
}

void WsConn::frame_binary(std::vector<std::uint8_t>& buf) {
  boost::beast::flat_static_buffer<14> hb;
  masked_header(hb, wsd::opcode::binary, std::span<std::uint8_t>(buf.data(), buf.size()));
  const auto* h = static_cast<const std::uint8_t*>(hb.data().data());
  buf.insert(buf.begin(), h, h + hb.size());
}

void WsConn::frame_control(std::vector<std::uint8_t>& out, WsOpcode op, std::span<const std::uint8_t> payload) {
  const std::size_t n = std::min<std::size_t>(payload.size(), 125);
  std::uint8_t body[125];
  if (n != 0) std::memcpy(body, payload.data(), n);
  boost::beast::flat_static_buffer<14> hb;
  masked_header(hb, static_cast<wsd::opcode>(op), std::span<std::uint8_t>(body, n));
  const auto* h = static_cast<const std::uint8_t*>(hb.data().data());
  out.insert(out.end(), h, h + hb.size());
  out.insert(out.end(), body, body + n);
}

void WsConn::frame_close(std::vector<std::uint8_t>& out) {
  const std::uint8_t normal[2] = {0x03, 0xE8};  // 1000, RFC 6455 §7.4.1
  frame_control(out, WsOpcode::Close, normal);
}

// RFC 6455 §5.2, client side: server frames are unmasked; no extension was negotiated, so
// RSV bits must be clear; control frames are final and at most 125 bytes. MQTT over
// WebSocket allows binary data frames only (MQTT 5.0 §6, 3.1.1 §6).
bool WsConn::parse_header(error_code& ec) {
  const std::uint8_t b0 = hdr_[0], b1 = hdr_[1];
  const auto op = static_cast<WsOpcode>(b0 & 0x0F);
  const bool fin = (b0 & 0x80) != 0;
  bool ok = (b0 & 0x70) == 0 && (b1 & 0x80) == 0;
  switch (op) {
    case WsOpcode::Continuation:
    case WsOpcode::Binary:
    case WsOpcode::Close:
    case WsOpcode::Ping:
    case WsOpcode::Pong:
      break;
    default:
      ok = false;  // text, reserved
  }
  std::uint64_t len = b1 & 0x7F;
  if (len == 126) {
    len = (std::uint64_t{hdr_[2]} << 8) | hdr_[3];
  } else if (len == 127) {
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | hdr_[i];
    if (len >> 63) ok = false;
  }
  if (is_control(op) && (!fin || len > 125)) ok = false;
  if (!ok) {
    failed_ = true;
    ec = make_error_code(WsFailure::Protocol);
    return false;
  }
  op_ = op;
  remaining_ = len;
  if (is_control(op)) control_.clear();
  return true;
}

std::size_t WsConn::unframe(std::span<std::uint8_t> buf, Events& ev, error_code& ec) {
  std::size_t r = 0, w = 0;
  const std::size_t size = buf.size();
  while (r < size && !failed_ && close_code_ == 0 && !ev.close) {
    if (!in_payload_) {
      hdr_[hdr_have_++] = buf[r++];
      std::size_t need = 2;
      if (hdr_have_ >= 2) {
        const std::uint8_t l = hdr_[1] & 0x7F;
        need += (l == 126 ? 2 : l == 127 ? 8 : 0) + ((hdr_[1] & 0x80) ? 4 : 0);
      }
      if (hdr_have_ < need) continue;
      hdr_have_ = 0;
      if (!parse_header(ec)) break;
      in_payload_ = true;
    } else {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - r));
      if (is_control(op_)) {
        control_.append(reinterpret_cast<const char*>(buf.data() + r), take);
      } else if (take != 0) {
        std::memmove(buf.data() + w, buf.data() + r, take);
        w += take;
      }
      r += take;
      remaining_ -= take;
    }
    if (in_payload_ && remaining_ == 0) {
      in_payload_ = false;
      if (op_ == WsOpcode::Ping) {
        ev.ping = true;  // answered once per call, with the latest ping (RFC 6455 §5.5.3)
        ping_.swap(control_);
      } else if (op_ == WsOpcode::Close) {
        ev.close = true;
        close_code_ = control_.size() >= 2
                          ? static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) |
                                                       static_cast<std::uint8_t>(control_[1]))
                          : 1005;  // no status code present (RFC 6455 §7.4.1)
      }
    }
  }
  return w;
}

std::span<const std::uint8_t> WsConn::pong_payload() const noexcept {
  return {reinterpret_cast<const std::uint8_t*>(ping_.data()), ping_.size()};
}

std::string redact_target(std::string_view target) {
  const auto q = target.find('?');
  std::string out(target.substr(0, q));
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  char sep = '?';
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    out += sep;
    out += item.substr(0, item.find('='));
    out += "=…";
    sep = '&';
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace fleetload::net
