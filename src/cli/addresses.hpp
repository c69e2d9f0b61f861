// Strict parsing of the network addresses given on the command line (--metrics-listen,
// --pushgateway): an IPv4 address is four decimal numbers 0-255, never inet_aton's
// shorthands (127.1, 999.1.1.1 read as 231.1.1.1); a host name is resolved once, before the
// run, so a typo is bad input (exit 2) instead of a silent listener elsewhere.
#pragma once

#include <cstdint>
#include <string>

namespace fleetload::cli {

struct HostPort {
  std::string host;  // an address (IPv6 without brackets) or a DNS name, as given
  std::uint16_t port = 0;
  bool ipv6 = false;
  bool numeric = false;  // host is an address, not a name
};

// "HOST:PORT" or "[V6]:PORT" (PORT may be left out when `default_port` is non-zero). HOST
// is a dotted-quad IPv4 address, a bracketed IPv6 address or a DNS name (letters, digits,
// '-' and '.', the last label not all digits). Throws ArgError "<what>: ..." naming `text`.
HostPort parse_host_port(const std::string& text, const std::string& what, std::uint16_t default_port,
                         bool allow_port_zero);

// --metrics-listen HOST:PORT as the exposer wants it: "a.b.c.d:port" or "[v6]:port"; a
// name is resolved now (IPv4 first). Port 0 picks a free port. Throws ArgError.
std::string metrics_listen_address(const std::string& text);

// --pushgateway http://HOST[:PORT][/path]: checked, and a host name resolved now. Throws
// ArgError.
void check_pushgateway_url(const std::string& url);

}  // namespace fleetload::cli
