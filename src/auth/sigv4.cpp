// SigV4 presigning of the WebSocket handshake (aws doc §3, §9 test vectors).
#include "auth/sigv4.hpp"

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace fleetload::auth {

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string uri_encode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Presigned presign_websocket(const AwsCredentials& creds, const PresignRequest& req) {
  const std::string date_time = amz_date(req.when);
  const std::string date = date_time.substr(0, 8);
  const std::string scope = date + "/" + req.region + "/" + req.service + "/aws4_request";
  const bool with_connection = req.signed_headers == SignedHeaders::ConnectionHost;
  const std::string signed_headers = with_connection ? "connection;host" : "host";

  std::vector<std::pair<std::string, std::string>> params = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", creds.access_key_id + "/" + scope},
      {"X-Amz-Date", date_time},
      {"X-Amz-SignedHeaders", signed_headers},
  };
  params.insert(params.end(), req.extra_query.begin(), req.extra_query.end());
  // The canonical query is sorted by encoded name, then value (SigV4).
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : params) encoded.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(encoded.begin(), encoded.end());
  std::string query;
  for (const auto& [k, v] : encoded) {
    if (!query.empty()) query += '&';
    query += k + "=" + v;
  }

  Presigned out;
  std::string headers = with_connection ? "connection:Upgrade\n" : "";
  headers += "host:" + req.host + "\n";
  out.canonical_request = "GET\n" + req.path + "\n" + query + "\n" + headers + "\n" +
                          signed_headers + "\n" + sha256_hex("");
  out.canonical_request_sha256 = sha256_hex(out.canonical_request);
  out.string_to_sign =
      "AWS4-HMAC-SHA256\n" + date_time + "\n" + scope + "\n" + out.canonical_request_sha256;
  std::string key = hmac_sha256("AWS4" + creds.secret_access_key, date);
  key = hmac_sha256(key, req.region);
  key = hmac_sha256(key, req.service);
  key = hmac_sha256(key, "aws4_request");
  out.signature = to_hex(hmac_sha256(key, out.string_to_sign));

  const std::string token =
      creds.session_token.empty() ? "" : "&X-Amz-Security-Token=" + uri_encode(creds.session_token);
  const std::string sig = "&X-Amz-Signature=" + out.signature;
  out.query = query + (with_connection ? token + sig : sig + token);
  out.target = req.path + "?" + out.query;
  return out;
}

}  // namespace fleetload::auth
