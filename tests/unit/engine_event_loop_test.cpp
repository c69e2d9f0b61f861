// EventLoop and FdStream against real sockets (loopback TCP, socketpairs): the contracts the
// worker's I/O relies on — edge-triggered reports, posts from other threads waking an idle
// loop, a deadline that never fires early and does not spin, deferred work after the batch.
#include "engine/event_loop.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <thread>
#include <vector>

#include "net/fd_stream.hpp"

namespace fleetload::engine {
namespace {

using namespace std::chrono_literals;

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
      a = fds[0];
      b = fds[1];
    }
  }
  ~Pair() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

// Calls the test's lambdas.
template <class Io, class Deadline>
struct Fn final : EventLoop::Handler {
  Io io;
  Deadline dl;
  Fn(Io i, Deadline d) : io(std::move(i)), dl(std::move(d)) {}
  void on_io(std::uint64_t tag, std::uint32_t ev) override { io(tag, ev); }
  void on_deadline() override { dl(); }
};
template <class Io, class Deadline>
Fn<Io, Deadline> handler(Io io, Deadline dl) {
  return Fn<Io, Deadline>(std::move(io), std::move(dl));
}

TEST(EventLoop, ReportsReadabilityOncePerArrivalNotWhileDataWaitsUnread) {
  Pair p;
  ASSERT_GE(p.a, 0);
  EventLoop loop;
  ASSERT_FALSE(loop.watch(p.a, 7));
  int reads_reported = 0;
  int deadlines = 0;
  auto h = handler(
      [&](std::uint64_t tag, std::uint32_t ev) {
        EXPECT_EQ(tag, 7u);
        if ((ev & EPOLLIN) == 0) return;  // the first report is writability alone
        ++reads_reported;
        // Nothing is read: a level-triggered set would report it at every wait from now on.
        if (reads_reported == 1) loop.set_deadline(EventLoop::Clock::now() + 30ms);
      },
      [&] {
        ++deadlines;
        loop.stop();
      });
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  loop.run(h);
  EXPECT_EQ(reads_reported, 1);
  EXPECT_EQ(deadlines, 1);
  // And it waited in the kernel rather than spinning on the unread byte: a handful of waits.
  EXPECT_LE(loop.waits(), 4u);
}

TEST(EventLoop, ANewArrivalIsReportedAgainThoughTheOldOneIsUnread) {
  Pair p;
  EventLoop loop;
  ASSERT_FALSE(loop.watch(p.a, 1));
  int reads_reported = 0;
  auto h = handler(
      [&](std::uint64_t, std::uint32_t ev) {
        if ((ev & EPOLLIN) == 0) return;
        if (++reads_reported == 3) return loop.stop();
        ASSERT_EQ(::write(p.b, "y", 1), 1);  // a new edge
      },
      [] {});
  ASSERT_EQ(::write(p.b, "x", 1), 1);
  loop.run(h);
  EXPECT_EQ(reads_reported, 3);
  char buf[8];
  EXPECT_EQ(::read(p.a, buf, sizeof buf), 3);  // all three bytes still there: none was read
}

TEST(EventLoop, APostFromAnotherThreadWakesALoopWithNothingToWaitFor) {
  EventLoop loop;
  std::thread::id ran_on;
  int ran = 0;
  auto h = handler([](std::uint64_t, std::uint32_t) {}, [] { ADD_FAILURE() << "no deadline was set"; });
  std::thread runner([&] { loop.run(h); });
  const auto loop_thread = runner.get_id();
  loop.post([&] {
    ran_on = std::this_thread::get_id();
    ++ran;
    loop.post([&] {  // posted from the loop's own thread: runs too, in order
      ++ran;
      loop.stop();
    });
  });
  runner.join();
  EXPECT_EQ(ran, 2);
  EXPECT_EQ(ran_on, loop_thread);
  EXPECT_LE(loop.waits(), 4u);  // it slept until the post, it did not poll
}

TEST(EventLoop, TheDeadlineFiresOnceNeverEarlyAndWithoutSpinning) {
  EventLoop loop;
  const auto start = EventLoop::Clock::now();
  const auto due = start + 25ms;
  EventLoop::TimePoint fired{};
  int fires = 0;
  auto h = handler([](std::uint64_t, std::uint32_t) {},
                   [&] {
                     fired = EventLoop::Clock::now();
                     EXPECT_EQ(loop.deadline(), EventLoop::kNoDeadline);  // cleared before the call
                     if (++fires == 2) return loop.stop();
                     loop.set_deadline(fired + 5ms);
                   });
  loop.set_deadline(due);
  loop.run(h);
  EXPECT_EQ(fires, 2);
  EXPECT_GE(fired, due + 5ms);
  EXPECT_LE(loop.waits(), 6u);  // one wait per deadline, a spurious wake at most
}

TEST(EventLoop, DeferredWorkRunsAfterTheBatchAndWhatItDefersRunsNextRound) {
  Pair p1, p2;
  EventLoop loop;
  ASSERT_FALSE(loop.watch(p1.a, 1));
  ASSERT_FALSE(loop.watch(p2.a, 2));
  std::vector<std::string> order;
  bool deferred_once = false;
  auto h = handler(
      [&](std::uint64_t tag, std::uint32_t ev) {
        if ((ev & EPOLLIN) == 0) return;
        order.push_back("io" + std::to_string(tag));
        if (deferred_once) return;
        deferred_once = true;
        loop.defer([&] {
          order.push_back("deferred");
          loop.defer([&] {
            order.push_back("next round");
            loop.stop();
          });
        });
      },
      [] {});
  ASSERT_EQ(::write(p1.b, "x", 1), 1);
  ASSERT_EQ(::write(p2.b, "x", 1), 1);
  loop.run(h);
  ASSERT_EQ(order.size(), 4u);
  // Both descriptors' events of the wake-up come before the deferred call.
  EXPECT_TRUE((order[0] == "io1" && order[1] == "io2") || (order[0] == "io2" && order[1] == "io1"));
  EXPECT_EQ(order[2], "deferred");
  EXPECT_EQ(order[3], "next round");
}

// A TCP listener on 127.0.0.1, port chosen by the kernel.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd, 16) != 0) return;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  net::tcp::endpoint endpoint() const { return {boost::asio::ip::make_address("127.0.0.1"), port}; }
};

TEST(FdStream, ConnectsThroughTheLoopAndReadsWritesAndEof) {
  Listener l;
  ASSERT_NE(l.port, 0);
  EventLoop loop;
  net::FdStream s;
  ASSERT_FALSE(s.open(l.endpoint(), nullptr));
  ASSERT_FALSE(s.connect(l.endpoint()));
  ASSERT_FALSE(loop.watch(s.native_handle(), 3));
  net::error_code connected = boost::asio::error::would_block;
  auto h = handler(
      [&](std::uint64_t, std::uint32_t ev) {
        if ((ev & EPOLLOUT) != 0) {
          connected = s.connect_result();
          loop.stop();
        }
      },
      [] {});
  loop.run(h);
  EXPECT_FALSE(connected) << connected.message();
  const int peer = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(peer, 0);
  net::error_code ec;
  std::uint8_t buf[16];
  EXPECT_EQ(s.read_some(buf, ec), 0u);
  EXPECT_EQ(ec, boost::asio::error::would_block);
  const std::uint8_t hello[] = {'h', 'i'};
  EXPECT_EQ(s.write_some(std::span<const std::uint8_t>(hello), ec), 2u);
  EXPECT_FALSE(ec);
  char got[4];
  ASSERT_EQ(::read(peer, got, sizeof got), 2);
  const iovec iov[2] = {{const_cast<std::uint8_t*>(hello), 1}, {const_cast<std::uint8_t*>(hello) + 1, 1}};
  EXPECT_EQ(s.write_some(std::span<const iovec>(iov), ec), 2u);
  ASSERT_EQ(::read(peer, got, sizeof got), 2);
  ::close(peer);
  // The peer's end is seen as eof, like Asio's; writing on then fails with an error, not
  // SIGPIPE (which would end this process).
  for (int i = 0; i < 100 && !ec; ++i) {
    (void)s.read_some(buf, ec);
    if (ec == boost::asio::error::would_block) {
      ec.clear();
      std::this_thread::yield();
    }
  }
  EXPECT_EQ(ec, boost::asio::error::eof);
  for (int i = 0; i < 3; ++i) (void)s.write_some(std::span<const std::uint8_t>(hello), ec);
  EXPECT_TRUE(ec == boost::asio::error::broken_pipe || ec == boost::asio::error::connection_reset) << ec.message();
}

TEST(FdStream, ARefusedConnectEndsWithConnectionRefused) {
  net::tcp::endpoint closed;
  {
    Listener l;  // a port that was just free and is closed again
    closed = l.endpoint();
  }
  EventLoop loop;
  net::FdStream s;
  ASSERT_FALSE(s.open(closed, nullptr));
  net::error_code ec = s.connect(closed);
  if (!ec) {
    ASSERT_FALSE(loop.watch(s.native_handle(), 4));
    auto h = handler(
        [&](std::uint64_t, std::uint32_t ev) {
          if ((ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
          ec = s.connect_result();
          loop.stop();
        },
        [] {});
    loop.run(h);
  }
  EXPECT_EQ(ec, boost::asio::error::connection_refused) << ec.message();
  EXPECT_EQ(net::connect_failure_of(ec), net::ConnectFailure::Refused);
}

TEST(FdStream, BindsToTheSourceAddressGiven) {
  Listener l;
  net::FdStream s;
  const auto src = boost::asio::ip::make_address("127.0.0.3");
  ASSERT_FALSE(s.open(l.endpoint(), &src));
  ASSERT_FALSE(s.connect(l.endpoint()));
  const int peer = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);  // blocking listener
  ASSERT_GE(peer, 0);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  ASSERT_EQ(::getpeername(peer, reinterpret_cast<sockaddr*>(&from), &len), 0);
  EXPECT_EQ(ntohl(from.sin_addr.s_addr), 0x7f000003u);
  ::close(peer);
}

}  // namespace
}  // namespace fleetload::engine
