// Internal to the exporter: where a push goes and the bounded HTTP PUT that does it.
#pragma once

#include <chrono>
#include <string>

namespace fleetload::metrics {

struct PushTarget {
  std::string host;         // for the resolver (IPv6 without brackets)
  std::string port;
  std::string host_header;  // as written in the URL
  std::string target;       // /metrics/job@base64/<job>/scenario@base64/<scenario>/shard/<K>
};

// From "http://host:port[/prefix]" and the grouping key. Throws std::runtime_error on a URL
// that is not plain http (the Pushgateway usually sits beside the job, unencrypted).
PushTarget parse_push_target(const std::string& url, const std::string& job, const std::string& scenario,
                             const std::string& shard);

// PUT `body` (Prometheus text format) within `timeout`; returns the HTTP status, or -1 with
// `error` set when the gateway could not be reached in time. Sets `error` on non-2xx too.
int http_put(const PushTarget& t, const std::string& body, std::chrono::milliseconds timeout, std::string& error);

}  // namespace fleetload::metrics
