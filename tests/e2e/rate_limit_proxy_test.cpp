// The rate-limiting proxy the capacity-search tests rely on: it admits exactly its bucket's
// worth of a burst and refuses the rest, and what it admits reaches the broker (each
// admitted client gets mosquitto's CONNACK; each refused one reads EOF at once).
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "e2e/mosquitto_fixture.hpp"
#include "e2e/rate_limit_proxy.hpp"

namespace fleetload::e2e {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// MQTT 3.1.1 CONNECT, empty client id, clean session, keepalive 60 s ([MQTT-3.1]).
constexpr std::array<unsigned char, 14> kConnect{0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T',
                                                 0x04, 0x02, 0x00, 0x3C, 0x00, 0x00};

// true: the broker answered CONNACK accepted; false: the connection ended first.
bool connects_through(asio::io_context& io, std::uint16_t port) {
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  boost::system::error_code ec;
  asio::write(s, asio::buffer(kConnect), ec);
  std::array<unsigned char, 4> ack{};
  asio::read(s, asio::buffer(ack), ec);
  return !ec && ack[0] == 0x20 && ack[1] == 0x02 && ack[3] == 0x00;
}

TEST(RateLimitProxy, AdmitsItsBurstRefusesTheRestAndRefills) {
  MosquittoBroker broker;
  RateLimitProxy proxy(broker.port(), 5.0);
  asio::io_context io;
  int accepted = 0;
  for (int i = 0; i < 25; ++i) accepted += connects_through(io, proxy.port()) ? 1 : 0;
  // 25 attempts well inside a second: the 5 of the full bucket, at most one refill more.
  EXPECT_GE(accepted, 5);
  EXPECT_LE(accepted, 6);
  EXPECT_EQ(proxy.admitted(), static_cast<std::uint64_t>(accepted));
  EXPECT_EQ(proxy.refused(), 25u - static_cast<std::uint64_t>(accepted));
  // The time itself is what is tested: after a second the bucket holds 5 again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  int later = 0;
  for (int i = 0; i < 5; ++i) later += connects_through(io, proxy.port()) ? 1 : 0;
  EXPECT_EQ(later, 5);
}

}  // namespace
}  // namespace fleetload::e2e
