// MQTT over WebSocket (RFC 6455) as a thin layer on the reactor-style TCP/TLS streams: the
// upgrade handshake and binary framing, byte-in/byte-out, no socket of its own.
//
// Why not beast::websocket::stream over an adapter: the engine is reactor-style (wait for
// readiness, then a non-blocking read into one buffer per worker thread), and a Beast
// websocket stream fails for good on the first would_block of a synchronous read, so it
// would need the asynchronous API: a composed operation, its handler allocation and
// Beast's own read buffer (its impl holds a 1.5 KiB static buffer behind a shared_ptr) per
// device for the connection's life. Here Beast does what it is good at without owning the
// I/O: the upgrade request is a beast::http::request serialized by Beast, the response
// header is parsed by beast::http::response_parser (on the stack, once, when the header is
// complete), Sec-WebSocket-Key/Accept come from Beast's hybi13 helpers, frame headers are
// written by Beast's frame writer and client payloads masked by Beast's mask_inplace with
// its per-thread PRNG (all of boost/beast/websocket/detail, stable in the Boost 1.81 we
// pin). What is ours is the small incremental frame-header reader, because Beast's lives
// inside its stream. The result: a connected WebSocket device holds one WsConn (112 bytes:
// frame-reader state, no buffer), the upgrade state exists only during the handshake, MQTT
// bytes are unframed in place in the worker's read buffer and framed in place in its write
// buffer (one frame per batch of packets; aws doc §3: a frame may hold several packets).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/error_code.hpp>

namespace fleetload::net {

using error_code = boost::system::error_code;

// Why a WebSocket connection attempt failed (or a connection ended), as a report label.
enum class WsFailure : int {
  None = 0,
  UpgradeUnauthorized,  // the server answered the upgrade with HTTP 401
  UpgradeForbidden,     // HTTP 403 (AWS IoT: bad signature, unknown or expired credentials)
  UpgradeRefused,       // any other status than 101
  BadUpgradeResponse,   // 101 with a wrong Sec-WebSocket-Accept/Upgrade/subprotocol, or garbage
  CredentialsMissing,   // SigV4: no provider had AWS credentials
  CredentialsExpired,   // SigV4: the credentials had expired
  CredentialsProcess,   // SigV4: credential_process failed or printed something unusable
  Protocol,             // a framing error after the upgrade (masked or text frame, bad opcode)
  Closed,               // the server sent a close frame
  UpgradeTimeout,       // no complete upgrade response within target.connect_timeout
};
inline constexpr std::size_t kWsFailureCount = 11;
const char* to_string(WsFailure f) noexcept;

const boost::system::error_category& ws_category() noexcept;
inline error_code make_error_code(WsFailure f) noexcept { return error_code(static_cast<int>(f), ws_category()); }
WsFailure ws_failure_of(const error_code& ec) noexcept;

// RFC 6455 §5.2 opcodes.
enum class WsOpcode : std::uint8_t { Continuation = 0, Text = 1, Binary = 2, Close = 8, Ping = 9, Pong = 10 };

// The client side of one WebSocket connection.
class WsConn {
 public:
  WsConn();
  ~WsConn();
  WsConn(WsConn&&) noexcept;
  WsConn& operator=(WsConn&&) noexcept;

  // ---- upgrade -------------------------------------------------------------------------
  // Builds the GET request for `target` (path + query, already encoded) with Host,
  // Upgrade, Connection, a fresh Sec-WebSocket-Key, Sec-WebSocket-Version: 13,
  // Sec-WebSocket-Protocol: `subprotocol`, then `headers` in order.
  void begin(std::string_view host, std::string_view target, std::string_view subprotocol,
             const std::vector<std::pair<std::string, std::string>>& headers);
  // Request bytes not yet written; request_written(n) after a write.
  std::span<const std::uint8_t> request_pending() const noexcept;
  void request_written(std::size_t n) noexcept;

  enum class Step : std::uint8_t { NeedMore, Done, Failed };
  // Feeds response bytes. Done: upgraded, `consumed` bytes were the response header (the
  // rest are frames). Failed: ec (ws_category) says why; status()/reason() tell the HTTP
  // answer. NeedMore: all bytes kept, feed more.
  Step on_response(std::span<const std::uint8_t> in, std::size_t& consumed, error_code& ec);
  unsigned status() const noexcept;      // HTTP status of the answer (0 before / garbage)
  const std::string& reason() const noexcept;  // its reason phrase, or what was wrong
  bool upgraded() const noexcept { return upgraded_; }
  // "HTTP 403 Forbidden for GET /mqtt?X-Amz-Date=…&…" (query values withheld), for messages.
  // The server's reason phrase passes through sanitize_server_text (net/server_text.hpp):
  // without our query values and header values, printable ASCII, at most 200 characters.
  std::string describe() const;

  // When the upgrade request was started (for the websocket stage histogram).
  std::chrono::steady_clock::time_point started{};

  // ---- framing (after the upgrade) ------------------------------------------------------
  // Turns `buf` (payload, e.g. MQTT packets) into one masked binary frame, in place.
  static void frame_binary(std::vector<std::uint8_t>& buf);
  // Appends a masked control frame (payload at most 125 bytes) to `out`.
  static void frame_control(std::vector<std::uint8_t>& out, WsOpcode op, std::span<const std::uint8_t> payload);
  // A close frame with status 1000 (normal closure).
  static void frame_close(std::vector<std::uint8_t>& out);

  // What unframe() found besides data.
  struct Events {
    bool ping = false;          // answer with a pong carrying pong_payload()
    bool close = false;         // the server closed (close_code() tells its status)
  };
  // Decodes server frames from `buf` in place: the payload of binary/continuation frames is
  // moved to the front of `buf`; returns its length. Frames may be split anywhere across
  // calls. On a protocol violation sets ec (WsFailure::Protocol) and returns the data
  // decoded before it.
  std::size_t unframe(std::span<std::uint8_t> buf, Events& ev, error_code& ec);
  std::span<const std::uint8_t> pong_payload() const noexcept;
  std::uint16_t close_code() const noexcept { return close_code_; }

  // False after a failure or a close: no close frame must be sent any more.
  bool may_send_close() const noexcept { return upgraded_ && !failed_ && !close_sent_; }
  void close_sent() noexcept { close_sent_ = true; }

 private:
  struct Upgrade;  // handshake state: exists only until the upgrade is done
  bool parse_header(error_code& ec);
  std::vector<std::string> sent_values() const;

  std::unique_ptr<Upgrade> up_;
  std::string control_;       // payload of the control frame being read
  std::string ping_;          // payload of the last ping (the pong carries it back)
  std::uint64_t remaining_ = 0;  // payload bytes left in the current frame
  std::uint8_t hdr_[14]{};
  std::uint8_t hdr_have_ = 0;
  WsOpcode op_ = WsOpcode::Binary;
  std::uint16_t close_code_ = 0;
  bool in_payload_ = false;
  bool upgraded_ = false;
  bool failed_ = false;
  bool close_sent_ = false;
};

// "GET /mqtt?a=…&X-Amz-Signature=…" for messages: the path and parameter names only, every
// value withheld (a presigned query carries credentials and a signature).
std::string redact_target(std::string_view target);

}  // namespace fleetload::net
