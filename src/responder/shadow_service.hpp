// The Device Shadow service as AWS IoT documents it, over any broker: per-thing classic and
// named shadow documents with versions and metadata, get / update / delete with their
// accepted and rejected answers, /update/delta and /update/documents.
//
// Sources (AWS IoT developer guide): "Interacting with shadows" (device-shadow-data-flow.html),
// "Device Shadow service documents", "Device Shadow MQTT topics", "Device Shadow error messages".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json.hpp>

#include "awsiot/topics.hpp"
#include "responder/publisher.hpp"

namespace fleetload::responder {

namespace json = boost::json;

class ShadowService {
 public:
  explicit ShadowService(Publisher& out) : out_(out) {}

  // Handles a request published on a shadow request topic (`t.suffix` None). `now` is the
  // epoch time in seconds for timestamps and metadata. Publishes the answer(s).
  Outcome handle(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now);

  std::size_t shadows() const noexcept { return live_; }   // existing (not deleted) documents
  // The stored document of a shadow (tests, the summary): nullptr when it does not exist.
  struct Document {
    json::object desired, reported;            // state sections ...
    json::object desired_meta, reported_meta;  // ... and their metadata
    bool has_desired = false, has_reported = false;
    std::uint64_t version = 0;  // kept across delete: "Deleting a shadow does not reset its version number to 0"
    bool exists = false;
  };
  const Document* find(awsiot::ShadowId id) const;

 private:
  Outcome get(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now);
  Outcome update(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now);
  Outcome remove(const awsiot::ShadowTopic& t, std::string_view payload, std::uint64_t now);
  Outcome reject(const awsiot::ShadowTopic& t, int code, std::string message, const std::optional<std::string>& token,
                 std::uint64_t now);
  void send(const awsiot::ShadowTopic& t, awsiot::ShadowSuffix suffix, const std::string& payload);
  const std::string& key_of(awsiot::ShadowId id);

  Publisher& out_;
  std::unordered_map<std::string, Document> docs_;  // key: thing, or thing + '/' + shadow name
  std::size_t live_ = 0;
  std::string key_;    // reused lookup key
  std::string topic_;  // reused topic buffer
};

}  // namespace fleetload::responder
