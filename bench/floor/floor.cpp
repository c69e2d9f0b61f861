// mqtt_floor: the physical floor of an MQTT publisher fleet on this machine, for comparing
// fleetload against (bench/floor/compare.sh). No MQTT library, no event library: N
// non-blocking sockets to a local broker, a real CONNECT/CONNACK each, then pre-encoded
// PUBLISH packets, one write() each, paced by a 1 ms timerfd in one epoll loop. At QoS 1 it
// reads the PUBACKs (level-triggered epoll, one read() per wake into one buffer shared by
// all connections) and patches the packet id into the pre-encoded packet before each write.
//
// It reports, as one JSON object, its own CPU (getrusage) over a measurement window that
// starts after a warm-up, per 100k messages: the same window rule fleet_bench uses for
// fleetload ("steady_*" fields), so the two figures compare like for like.
//
// Usage: mqtt_floor --port P [--host 127.0.0.1] [--connections N] [--rate R] [--qos 0|1]
//                   [--seconds S] [--warmup W] [--payload BYTES] [--sources A.B.C.D-A.B.C.E]
//                   [--connect-rate C]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  int connections = 1000;
  int rate = 10;  // messages per second per connection; 1000 / rate must be whole ms
  int qos = 0;
  double seconds = 30;
  double warmup = 3;
  int payload = 64;
  std::vector<in_addr> sources;
  int connect_rate = 2000;  // connections started per second
};

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "mqtt_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

std::vector<in_addr> parse_range(const char* text) {
  std::vector<in_addr> out;
  std::string s(text);
  const auto dash = s.find('-');
  in_addr a{}, b{};
  if (inet_pton(AF_INET, s.substr(0, dash).c_str(), &a) != 1) {
    std::fprintf(stderr, "mqtt_floor: bad --sources %s\n", text);
    std::exit(2);
  }
  b = a;
  if (dash != std::string::npos && inet_pton(AF_INET, s.substr(dash + 1).c_str(), &b) != 1) {
    std::fprintf(stderr, "mqtt_floor: bad --sources %s\n", text);
    std::exit(2);
  }
  for (std::uint32_t v = ntohl(a.s_addr); v <= ntohl(b.s_addr); ++v) out.push_back(in_addr{htonl(v)});
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v);
    else if (k == "--connections") o.connections = std::atoi(v);
    else if (k == "--rate") o.rate = std::atoi(v);
    else if (k == "--qos") o.qos = std::atoi(v);
    else if (k == "--seconds") o.seconds = std::atof(v);
    else if (k == "--warmup") o.warmup = std::atof(v);
    else if (k == "--payload") o.payload = std::atoi(v);
    else if (k == "--sources") o.sources = parse_range(v);
    else if (k == "--connect-rate") o.connect_rate = std::atoi(v);
    else {
      std::fprintf(stderr, "mqtt_floor: unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (o.rate <= 0 || 1000 % o.rate != 0 || o.qos < 0 || o.qos > 1 || o.connections <= 0 || o.payload < 24) {
    std::fprintf(stderr, "mqtt_floor: need --rate dividing 1000, --qos 0|1, --connections > 0, --payload >= 24\n");
    std::exit(2);
  }
  return o;
}

// MQTT "remaining length" (3.1.1 §2.2.3).
void put_varint(std::vector<std::uint8_t>& b, std::size_t v) {
  do {
    std::uint8_t d = v % 128;
    v /= 128;
    if (v) d |= 0x80;
    b.push_back(d);
  } while (v);
}
void put_str(std::vector<std::uint8_t>& b, const std::string& s) {
  b.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}

std::vector<std::uint8_t> connect_packet(const std::string& client_id) {
  std::vector<std::uint8_t> body;
  put_str(body, "MQTT");
  body.push_back(4);     // 3.1.1
  body.push_back(0x02);  // clean session
  body.push_back(0x01);  // keepalive 300 s
  body.push_back(0x2c);
  put_str(body, client_id);
  std::vector<std::uint8_t> p{0x10};
  put_varint(p, body.size());
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

// PUBLISH to bench/<i>/t with a payload laid out like fleetload's accounting header (magic,
// publisher, seq, ns) plus padding; `id_at` is where the QoS 1 packet id sits (0 at QoS 0).
std::vector<std::uint8_t> publish_packet(int i, int qos, int payload, std::size_t& id_at) {
  const std::string topic = "bench/" + std::to_string(i) + "/t";
  std::vector<std::uint8_t> body;
  put_str(body, topic);
  std::size_t id_off = 0;
  if (qos) {
    id_off = body.size();
    body.push_back(0);
    body.push_back(1);
  }
  std::vector<std::uint8_t> pl(static_cast<std::size_t>(payload));
  const std::uint32_t magic = 0x31444C46;
  std::memcpy(pl.data(), &magic, 4);
  std::memcpy(pl.data() + 4, &i, 4);
  for (std::size_t k = 24; k < pl.size(); ++k) pl[k] = static_cast<std::uint8_t>('a' + k % 26);
  body.insert(body.end(), pl.begin(), pl.end());
  std::vector<std::uint8_t> p{static_cast<std::uint8_t>(0x30 | (qos << 1))};
  put_varint(p, body.size());
  id_at = qos ? p.size() + id_off : 0;
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

struct Conn {
  int fd = -1;
  bool connected = false;  // CONNACK seen
  std::vector<std::uint8_t> pkt;
  std::size_t id_at = 0;
  std::uint16_t next_id = 0;
};

double cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
double user_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  sockaddr_in broker{};
  broker.sin_family = AF_INET;
  broker.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &broker.sin_addr) != 1) {
    std::fprintf(stderr, "mqtt_floor: --host must be an IPv4 address\n");
    return 2;
  }
  const int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  std::vector<Conn> conns(static_cast<std::size_t>(o.connections));
  std::vector<std::uint8_t> buf(64 * 1024);

  // ---- connect: paced, then CONNECT/CONNACK each (bounded by a 60 s deadline) --------
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  int started = 0, acked = 0;
  const auto deadline = t0 + std::chrono::seconds(60);
  while (acked < o.connections) {
    if (clock::now() > deadline) {
      std::fprintf(stderr, "mqtt_floor: only %d of %d connections up after 60 s\n", acked, o.connections);
      return 1;
    }
    const double el = std::chrono::duration<double>(clock::now() - t0).count();
    const int due = std::min(o.connections, static_cast<int>(el * o.connect_rate) + 1);
    for (; started < due; ++started) {
      Conn& c = conns[static_cast<std::size_t>(started)];
      c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (c.fd < 0) die("socket");
      const int one = 1;
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (!o.sources.empty()) {
        setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr = o.sources[static_cast<std::size_t>(started) % o.sources.size()];
        if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) die("bind");
      }
      if (connect(c.fd, reinterpret_cast<sockaddr*>(&broker), sizeof broker) != 0 && errno != EINPROGRESS)
        die("connect");
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u32 = static_cast<std::uint32_t>(started);
      if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) die("epoll_ctl");
    }
    epoll_event evs[256];
    const int n = epoll_wait(ep, evs, 256, 1);
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[evs[k].data.u32];
      if (evs[k].events & EPOLLOUT) {  // TCP connected: CONNECT, then wait for CONNACK
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
          errno = err;
          die("connect (async)");
        }
        const auto cp = connect_packet("floor-" + std::to_string(evs[k].data.u32));
        if (write(c.fd, cp.data(), cp.size()) != static_cast<ssize_t>(cp.size())) die("write CONNECT");
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = evs[k].data.u32;
        epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
      } else if (evs[k].events & EPOLLIN) {
        const ssize_t r = read(c.fd, buf.data(), 4);
        if (r != 4 || buf[0] != 0x20 || buf[3] != 0) {
          std::fprintf(stderr, "mqtt_floor: connection %u: no CONNACK accepted\n", evs[k].data.u32);
          return 1;
        }
        c.connected = true;
        ++acked;
      }
    }
  }
  const double connect_s = std::chrono::duration<double>(clock::now() - t0).count();

  // ---- pre-encode; bucket connections by their phase in the publish period --------------
  const int period = 1000 / o.rate;  // ticks (ms) between two publishes of one connection
  std::vector<std::vector<std::uint32_t>> bucket(static_cast<std::size_t>(period));
  for (int i = 0; i < o.connections; ++i) {
    Conn& c = conns[static_cast<std::size_t>(i)];
    c.pkt = publish_packet(i, o.qos, o.payload, c.id_at);
    // Spread evenly over the period (as fleetload's random phases do on average).
    bucket[static_cast<std::size_t>(static_cast<long long>(i) * period / o.connections)].push_back(
        static_cast<std::uint32_t>(i));
  }

  const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (tfd < 0) die("timerfd_create");
  itimerspec its{};
  its.it_interval.tv_nsec = 1'000'000;
  its.it_value.tv_nsec = 1'000'000;
  timerfd_settime(tfd, 0, &its, nullptr);
  epoll_event tev{};
  tev.events = EPOLLIN;
  tev.data.u32 = UINT32_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

  std::uint64_t tick = 0, sent = 0, acks = 0, short_writes = 0;
  std::uint64_t sent_w0 = 0, acks_w0 = 0;
  double cpu_w0 = 0, user_w0 = 0;
  bool in_window = false;
  const auto start = clock::now();
  const auto w_begin = start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.warmup));
  const auto w_end = w_begin + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.seconds));
  clock::time_point w_begin_at{};
  for (;;) {
    epoll_event evs[512];
    const int n = epoll_wait(ep, evs, 512, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; ++k) {
      if (evs[k].data.u32 == UINT32_MAX) {
        std::uint64_t exp = 0;
        if (read(tfd, &exp, sizeof exp) != sizeof exp) continue;
        for (std::uint64_t e = 0; e < exp; ++e, ++tick) {
          for (const std::uint32_t i : bucket[tick % static_cast<std::uint64_t>(period)]) {
            Conn& c = conns[i];
            if (c.id_at) {
              if (++c.next_id == 0) c.next_id = 1;
              c.pkt[c.id_at] = static_cast<std::uint8_t>(c.next_id >> 8);
              c.pkt[c.id_at + 1] = static_cast<std::uint8_t>(c.next_id);
            }
            const ssize_t w = write(c.fd, c.pkt.data(), c.pkt.size());
            if (w != static_cast<ssize_t>(c.pkt.size())) {
              // Not expected at these rates; counted so a run that hit it is visible.
              ++short_writes;
              if (w < 0 && errno != EAGAIN) die("write PUBLISH");
              continue;
            }
            ++sent;
          }
        }
        const auto now = clock::now();
        if (!in_window && now >= w_begin) {
          in_window = true;
          w_begin_at = now;
          cpu_w0 = cpu_s();
          user_w0 = user_s();
          sent_w0 = sent;
          acks_w0 = acks;
        }
        if (now >= w_end) goto done;
      } else {
        // PUBACKs (4 bytes each, 3.1.1 §3.4), or EOF / an error if the broker closed.
        const ssize_t r = read(conns[evs[k].data.u32].fd, buf.data(), buf.size());
        if (r <= 0) {
          if (r < 0 && errno == EAGAIN) continue;
          std::fprintf(stderr, "mqtt_floor: broker closed connection %u\n", evs[k].data.u32);
          return 1;
        }
        acks += static_cast<std::uint64_t>(r) / 4;
      }
    }
  }
done:
  const double cpu = cpu_s() - cpu_w0, user = user_s() - user_w0;
  const double win = std::chrono::duration<double>(clock::now() - w_begin_at).count();
  const std::uint64_t wsent = sent - sent_w0, wacks = acks - acks_w0;
  // DISCONNECT each, then close.
  const std::uint8_t disc[2] = {0xe0, 0x00};
  for (auto& c : conns) {
    if (write(c.fd, disc, 2) != 2) {}
    close(c.fd);
  }
  std::printf("{\"tool\": \"mqtt_floor\", \"connections\": %d, \"rate_per_conn\": %d, \"qos\": %d, \"payload\": %d,\n"
              " \"connect_s\": %.3f, \"window_s\": %.3f, \"steady_sent\": %llu, \"steady_acked\": %llu,\n"
              " \"steady_rate\": %.2f, \"requested_rate\": %d, \"short_writes\": %llu,\n"
              " \"steady_cpu_s\": %.4f, \"steady_cpu_user_s\": %.4f, \"steady_cpu_sys_s\": %.4f,\n"
              " \"steady_cpu_s_per_100k_msgs\": %.4f}\n",
              o.connections, o.rate, o.qos, o.payload, connect_s, win, static_cast<unsigned long long>(wsent),
              static_cast<unsigned long long>(wacks), static_cast<double>(wsent) / win, o.connections * o.rate,
              static_cast<unsigned long long>(short_writes), cpu, user, cpu - user,
              wsent ? cpu * 100000.0 / static_cast<double>(wsent) : 0.0);
  return 0;
}
