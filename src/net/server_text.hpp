// Text a server chose (an HTTP reason phrase, ...) made fit for the summary, the report and
// the metrics: a hostile or merely echoing server must not be able to put our secrets, or
// anything else, into them verbatim.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fleetload::net {

inline constexpr std::size_t kMaxServerText = 200;

// `text` with: every occurrence of a value in `secrets` replaced by "***" (values shorter
// than 4 characters only where they stand alone, between spaces or separators such as = & ;
// quotes, so that a "1" does not blank "HTTP/1.1"), every query value ("?name=value" and "&name=value", up to the next
// '&', space or quote) replaced by "***", every byte that is not printable ASCII by '?', and
// the result cut to `max_chars` characters (ending in "..." when cut). Empty secrets are
// ignored. This is the one place server-supplied text passes through on its way out.
std::string sanitize_server_text(std::string_view text, std::span<const std::string> secrets,
                                 std::size_t max_chars = kMaxServerText);

// The values a request target's query carries, as sent and percent-decoded: what a server
// echoing the request could give back.
void query_values(std::string_view target, std::vector<std::string>& out);

}  // namespace fleetload::net
