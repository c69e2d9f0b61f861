// Text made safe for HTML element content and attribute values: one rule for every page
// fleetload writes (the run report, the report diff).
#pragma once

#include <string>
#include <string_view>

namespace fleetload::metrics {

inline std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace fleetload::metrics
