// What the responder's services publish through, and what they tell the dispatcher about
// each request: sans-I/O, so unit tests collect the messages and the MQTT connection sends them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetload::responder {

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Publishes `payload` (JSON text or CBOR bytes) on `topic`. Both views are only valid for
  // the call: the implementation copies or encodes them before returning.
  virtual void publish(std::string_view topic, std::string_view payload) = 0;
};

// A Publisher that keeps every message (unit tests, and the bench's checks).
class CollectingPublisher : public Publisher {
 public:
  void publish(std::string_view topic, std::string_view payload) override {
    messages.emplace_back(std::string(topic), std::string(payload));
  }
  std::vector<std::pair<std::string, std::string>> messages;
};

// How one request ended. `reason` is a static string naming the rejection ("404",
// "VersionMismatch", "InvalidCertificateOwnershipToken", ...), a bounded set for metrics.
struct Outcome {
  bool accepted = false;
  const char* reason = "";
  static Outcome ok() { return {true, ""}; }
  static Outcome rejected(const char* why) { return {false, why}; }
};

}  // namespace fleetload::responder
