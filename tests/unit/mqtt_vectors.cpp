// The hand-assembled test vectors: packet values and their bytes, laid out per the spec
// (3.1.1 §3.x and 5.0 §3.x figures), one field per line.
#include "mqtt_vectors.hpp"

namespace fleetload::mqtt::test {
namespace {

constexpr std::uint8_t kCafe[] = {0xCA, 0xFE};
constexpr std::uint8_t kOne[] = {0x01};
constexpr std::uint8_t kPw3[] = {0x01, 0x02, 0x03};
constexpr std::uint8_t kAuthData[] = {0x01, 0x02};
constexpr std::uint8_t kSeven[] = {0x07};

std::vector<Vector> v311() {
  std::vector<Vector> v;
  {
    Connect c = make_connect(Version::V311, "abc");
    c.keep_alive = 60;
    v.push_back({"v3_connect_minimal", Version::V311, c,
                 bytes({0x10, 0x0F,                          // CONNECT, RL 15
                        0x00, 0x04, 'M', 'Q', 'T', 'T',      // protocol name
                        0x04,                                // level 4
                        0x02,                                // flags: clean session
                        0x00, 0x3C,                          // keep alive 60
                        0x00, 0x03, 'a', 'b', 'c'})});       // client id
  }
  {
    Connect c = make_connect(Version::V311, "c1");
    c.keep_alive = 10;
    c.will = Will{"w/t", as_bytes("bye"), QoS::AtLeastOnce, true, {}};
    c.username = "u";
    c.password = as_bytes("pw");
    v.push_back({"v3_connect_will_user_password", Version::V311, c,
                 bytes({0x10, 0x1F,                          // CONNECT, RL 31
                        0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
                        0xEE,        // user|password|will retain|will QoS 1|will|clean
                        0x00, 0x0A,                          // keep alive 10
                        0x00, 0x02, 'c', '1',                // client id
                        0x00, 0x03, 'w', '/', 't',           // will topic
                        0x00, 0x03, 'b', 'y', 'e',           // will payload
                        0x00, 0x01, 'u',                     // user name
                        0x00, 0x02, 'p', 'w'})});            // password
  }
  v.push_back({"v3_connack_session_present", Version::V311, Connack{true, 0, {}},
               bytes({0x20, 0x02, 0x01, 0x00})});  // ack flags SP=1, return code 0
  v.push_back({"v3_connack_not_authorized", Version::V311, Connack{false, 5, {}},
               bytes({0x20, 0x02, 0x00, 0x05})});
  {
    Publish p;
    p.topic = "a/b";
    p.payload = as_bytes("hi");
    v.push_back({"v3_publish_qos0", Version::V311, p,
                 bytes({0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'})});  // topic, payload
  }
  {
    Publish p;
    p.topic = "t";
    p.payload = as_bytes("x");
    p.qos = QoS::AtLeastOnce;
    p.dup = true;
    p.retain = true;
    p.packet_id = 0x1234;
    v.push_back({"v3_publish_qos1_dup_retain", Version::V311, p,
                 bytes({0x3B, 0x06,            // PUBLISH DUP|QoS1|RETAIN, RL 6
                        0x00, 0x01, 't',       // topic
                        0x12, 0x34,            // packet id
                        'x'})});               // payload
  }
  {
    Publish p;
    p.topic = "t";
    p.qos = QoS::ExactlyOnce;
    p.packet_id = 1;
    v.push_back({"v3_publish_qos2_empty_payload", Version::V311, p,
                 bytes({0x34, 0x05, 0x00, 0x01, 't', 0x00, 0x01})});
  }
  v.push_back({"v3_puback", Version::V311, PubAck{PacketType::Puback, 1, 0, {}}, bytes({0x40, 0x02, 0x00, 0x01})});
  v.push_back({"v3_pubrec", Version::V311, PubAck{PacketType::Pubrec, 2, 0, {}}, bytes({0x50, 0x02, 0x00, 0x02})});
  v.push_back({"v3_pubrel", Version::V311, PubAck{PacketType::Pubrel, 3, 0, {}}, bytes({0x62, 0x02, 0x00, 0x03})});
  v.push_back({"v3_pubcomp", Version::V311, PubAck{PacketType::Pubcomp, 4, 0, {}}, bytes({0x70, 0x02, 0x00, 0x04})});
  {
    Subscribe s;
    s.packet_id = 10;
    s.subscriptions = {{"a/+", QoS::AtLeastOnce}, {"#", QoS::ExactlyOnce}};
    v.push_back({"v3_subscribe", Version::V311, s,
                 bytes({0x82, 0x0C,                       // SUBSCRIBE (flags 0010), RL 12
                        0x00, 0x0A,                       // packet id 10
                        0x00, 0x03, 'a', '/', '+', 0x01,  // filter, requested QoS 1
                        0x00, 0x01, '#', 0x02})});        // filter, requested QoS 2
  }
  v.push_back({"v3_suback", Version::V311, Suback{10, {0x01, 0x02, 0x80}, {}},
               bytes({0x90, 0x05, 0x00, 0x0A, 0x01, 0x02, 0x80})});  // id, return codes
  {
    Unsubscribe u;
    u.packet_id = 11;
    u.filters = {"a/+", "#"};
    v.push_back({"v3_unsubscribe", Version::V311, u,
                 bytes({0xA2, 0x0A, 0x00, 0x0B, 0x00, 0x03, 'a', '/', '+', 0x00, 0x01, '#'})});
  }
  v.push_back({"v3_unsuback", Version::V311, Unsuback{11, {}, {}}, bytes({0xB0, 0x02, 0x00, 0x0B})});
  v.push_back({"v3_pingreq", Version::V311, Pingreq{}, bytes({0xC0, 0x00})});
  v.push_back({"v3_pingresp", Version::V311, Pingresp{}, bytes({0xD0, 0x00})});
  v.push_back({"v3_disconnect", Version::V311, Disconnect{}, bytes({0xE0, 0x00})});
  return v;
}

std::vector<Vector> v5() {
  std::vector<Vector> v;
  {
    Connect c = make_connect(Version::V5, "d1");
    c.keep_alive = 30;
    Properties& p = c.properties;
    p.session_expiry_interval = 3600;
    p.authentication_method = "am";
    p.authentication_data = Bytes(kOne);
    p.request_problem_information = 0;
    p.request_response_information = 1;
    p.receive_maximum = 20;
    p.topic_alias_maximum = 10;
    p.user_properties = {{"k", "v"}};
    p.maximum_packet_size = 4096;
    Will w;
    w.topic = "w/1";
    w.payload = as_bytes("ok");
    w.qos = QoS::ExactlyOnce;
    w.properties.payload_format_indicator = 1;
    w.properties.message_expiry_interval = 60;
    w.properties.content_type = "t/p";
    w.properties.response_topic = "r/t";
    w.properties.correlation_data = Bytes(kCafe);
    w.properties.will_delay_interval = 5;
    w.properties.user_properties = {{"x", "y"}};
    c.will = w;
    c.username = "user";
    c.password = Bytes(kPw3);
    v.push_back({"v5_connect_full", Version::V5, c,
                 bytes({0x10, 0x6C,                                // CONNECT, RL 108
                        0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05,      // name, level 5
                        0xD6,        // user|password|will QoS 2|will|clean start
                        0x00, 0x1E,                                // keep alive 30
                        0x24,                                      // properties: 36 bytes
                        0x11, 0x00, 0x00, 0x0E, 0x10,              //   session expiry 3600
                        0x15, 0x00, 0x02, 'a', 'm',                //   auth method
                        0x16, 0x00, 0x01, 0x01,                    //   auth data
                        0x17, 0x00,                                //   request problem info 0
                        0x19, 0x01,                                //   request response info 1
                        0x21, 0x00, 0x14,                          //   receive maximum 20
                        0x22, 0x00, 0x0A,                          //   topic alias maximum 10
                        0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',    //   user property
                        0x27, 0x00, 0x00, 0x10, 0x00,              //   maximum packet size 4096
                        0x00, 0x02, 'd', '1',                      // client id
                        0x24,                                      // will properties: 36 bytes
                        0x01, 0x01,                                //   payload format 1
                        0x02, 0x00, 0x00, 0x00, 0x3C,              //   message expiry 60
                        0x03, 0x00, 0x03, 't', '/', 'p',           //   content type
                        0x08, 0x00, 0x03, 'r', '/', 't',           //   response topic
                        0x09, 0x00, 0x02, 0xCA, 0xFE,              //   correlation data
                        0x18, 0x00, 0x00, 0x00, 0x05,              //   will delay 5
                        0x26, 0x00, 0x01, 'x', 0x00, 0x01, 'y',    //   user property
                        0x00, 0x03, 'w', '/', '1',                 // will topic
                        0x00, 0x02, 'o', 'k',                      // will payload
                        0x00, 0x04, 'u', 's', 'e', 'r',            // user name
                        0x00, 0x03, 0x01, 0x02, 0x03})});          // password
  }
  {
    Connect c = make_connect(Version::V5, "");
    c.clean_start = false;
    v.push_back({"v5_connect_empty_client_id", Version::V5, c,
                 bytes({0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x00, 0x00, 0x00,
                        0x00,          // no properties
                        0x00, 0x00})});  // empty client id
  }
  {
    Connack c;
    Properties& p = c.properties;
    p.session_expiry_interval = 120;
    p.assigned_client_identifier = "id";
    p.server_keep_alive = 60;
    p.response_information = "r";
    p.server_reference = "s";
    p.reason_string = "ok";
    p.receive_maximum = 10;
    p.topic_alias_maximum = 5;
    p.maximum_qos = 1;
    p.retain_available = 1;
    p.user_properties = {{"a", "b"}};
    p.maximum_packet_size = 65536;
    p.wildcard_subscription_available = 1;
    p.subscription_identifier_available = 0;
    p.shared_subscription_available = 1;
    v.push_back({"v5_connack_all_properties", Version::V5, c,
                 bytes({0x20, 0x39,                                // CONNACK, RL 57
                        0x00, 0x00,                                // ack flags, success
                        0x36,                                      // properties: 54 bytes
                        0x11, 0x00, 0x00, 0x00, 0x78,              //   session expiry 120
                        0x12, 0x00, 0x02, 'i', 'd',                //   assigned client id
                        0x13, 0x00, 0x3C,                          //   server keep alive 60
                        0x1A, 0x00, 0x01, 'r',                     //   response information
                        0x1C, 0x00, 0x01, 's',                     //   server reference
                        0x1F, 0x00, 0x02, 'o', 'k',                //   reason string
                        0x21, 0x00, 0x0A,                          //   receive maximum 10
                        0x22, 0x00, 0x05,                          //   topic alias maximum 5
                        0x24, 0x01,                                //   maximum QoS 1
                        0x25, 0x01,                                //   retain available
                        0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b',    //   user property
                        0x27, 0x00, 0x01, 0x00, 0x00,              //   maximum packet size
                        0x28, 0x01, 0x29, 0x00, 0x2A, 0x01})});    //   wildcard/subid/shared
  }
  v.push_back({"v5_connack_not_authorized", Version::V5, Connack{false, 0x87, {}},
               bytes({0x20, 0x03, 0x00, 0x87, 0x00})});
  {
    Publish p;
    p.topic = "a/b";
    p.qos = QoS::AtLeastOnce;
    p.packet_id = 7;
    p.payload = as_bytes("data");
    Properties& pr = p.properties;
    pr.payload_format_indicator = 1;
    pr.message_expiry_interval = 10;
    pr.content_type = "json";
    pr.response_topic = "r/1";
    pr.correlation_data = Bytes(kSeven);
    pr.subscription_identifiers = {129, 2};
    pr.topic_alias = 5;
    pr.user_properties = {{"k", "v"}, {"k", "w"}};
    v.push_back({"v5_publish_qos1_properties", Version::V5, p,
                 bytes({0x32, 0x3A,                                // PUBLISH QoS 1, RL 58
                        0x00, 0x03, 'a', '/', 'b',                 // topic
                        0x00, 0x07,                                // packet id 7
                        0x2E,                                      // properties: 46 bytes
                        0x01, 0x01,                                //   payload format 1
                        0x02, 0x00, 0x00, 0x00, 0x0A,              //   message expiry 10
                        0x03, 0x00, 0x04, 'j', 's', 'o', 'n',      //   content type
                        0x08, 0x00, 0x03, 'r', '/', '1',           //   response topic
                        0x09, 0x00, 0x01, 0x07,                    //   correlation data
                        0x0B, 0x81, 0x01,                          //   subscription id 129 (VBI)
                        0x0B, 0x02,                                //   subscription id 2
                        0x23, 0x00, 0x05,                          //   topic alias 5
                        0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',    //   user property
                        0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'w',    //   user property again
                        'd', 'a', 't', 'a'})});                    // payload
  }
  {
    Publish p;
    p.payload = as_bytes("x");
    p.properties.topic_alias = 5;
    v.push_back({"v5_publish_empty_topic_with_alias", Version::V5, p,
                 bytes({0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x05, 'x'})});
  }
  {
    Publish p;
    p.topic = "t";
    p.payload = as_bytes("hi");
    v.push_back({"v5_publish_qos0_no_properties", Version::V5, p,
                 bytes({0x30, 0x06, 0x00, 0x01, 't', 0x00, 'h', 'i'})});
  }
  v.push_back({"v5_puback_short_form", Version::V5, PubAck{PacketType::Puback, 1, 0, {}},
               bytes({0x40, 0x02, 0x00, 0x01})});  // §3.4.2.1: Success, no properties
  v.push_back({"v5_pubrec_reason_only", Version::V5, PubAck{PacketType::Pubrec, 2, 0x10, {}},
               bytes({0x50, 0x03, 0x00, 0x02, 0x10})});  // no property length
  {
    PubAck a{PacketType::Pubrel, 3, 0x92, {}};
    a.properties.reason_string = "nf";
    a.properties.user_properties = {{"a", "b"}};
    v.push_back({"v5_pubrel_reason_properties", Version::V5, a,
                 bytes({0x62, 0x10, 0x00, 0x03, 0x92,  // PUBREL, id 3, id not found
                        0x0C,                          // properties: 12 bytes
                        0x1F, 0x00, 0x02, 'n', 'f', 0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b'})});
  }
  v.push_back({"v5_pubcomp_short_form", Version::V5, PubAck{PacketType::Pubcomp, 4, 0, {}},
               bytes({0x70, 0x02, 0x00, 0x04})});
  {
    Subscribe s;
    s.packet_id = 10;
    s.properties.subscription_identifiers = {5};
    s.properties.user_properties = {{"k", "v"}};
    s.subscriptions = {{"a/#", QoS::AtLeastOnce, true, true, RetainHandling::SendIfNew},
                       {"$share/g/x/+", QoS::ExactlyOnce, false, false, RetainHandling::DoNotSend}};
    v.push_back({"v5_subscribe_options", Version::V5, s,
                 bytes({0x82, 0x21, 0x00, 0x0A,                    // SUBSCRIBE, RL 33, id 10
                        0x09, 0x0B, 0x05,                          // props: subscription id 5
                        0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',    //        user property
                        0x00, 0x03, 'a', '/', '#',
                        0x1D,        // QoS 1 | no local | retain as published | RH 1
                        0x00, 0x0C, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'x', '/', '+',
                        0x22})});    // QoS 2 | RH 2
  }
  {
    Suback s{10, {0x01, 0xA2}, {}};
    s.properties.reason_string = "r";
    v.push_back({"v5_suback", Version::V5, s,
                 bytes({0x90, 0x09, 0x00, 0x0A, 0x04, 0x1F, 0x00, 0x01, 'r', 0x01, 0xA2})});
  }
  {
    Unsubscribe u;
    u.packet_id = 11;
    u.filters = {"a/#"};
    u.properties.user_properties = {{"k", "v"}};
    v.push_back({"v5_unsubscribe", Version::V5, u,
                 bytes({0xA2, 0x0F, 0x00, 0x0B, 0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
                        0x00, 0x03, 'a', '/', '#'})});
  }
  v.push_back({"v5_unsuback", Version::V5, Unsuback{11, {0x00, 0x11}, {}},
               bytes({0xB0, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x11})});  // id, no props, codes
  v.push_back({"v5_pingreq", Version::V5, Pingreq{}, bytes({0xC0, 0x00})});
  v.push_back({"v5_pingresp", Version::V5, Pingresp{}, bytes({0xD0, 0x00})});
  v.push_back({"v5_disconnect_zero_length", Version::V5, Disconnect{}, bytes({0xE0, 0x00})});
  v.push_back({"v5_disconnect_reason_only", Version::V5, Disconnect{0x04, {}},
               bytes({0xE0, 0x01, 0x04})});  // §3.14.2.2: property length omitted
  {
    Disconnect d{0x8E, {}};
    d.properties.session_expiry_interval = 0;
    d.properties.reason_string = "x";
    d.properties.server_reference = "s";
    v.push_back({"v5_disconnect_properties", Version::V5, d,
                 bytes({0xE0, 0x0F, 0x8E, 0x0D,                    // session taken over, 13 B
                        0x11, 0x00, 0x00, 0x00, 0x00,              //   session expiry 0
                        0x1C, 0x00, 0x01, 's',                     //   server reference
                        0x1F, 0x00, 0x01, 'x'})});                 //   reason string
  }
  v.push_back({"v5_auth_zero_length", Version::V5, Auth{}, bytes({0xF0, 0x00})});
  {
    Auth a{0x18, {}};
    a.properties.authentication_method = "SCRAM";
    a.properties.authentication_data = Bytes(kAuthData);
    v.push_back({"v5_auth_continue", Version::V5, a,
                 bytes({0xF0, 0x0F, 0x18, 0x0D,                    // continue authentication
                        0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', //   auth method
                        0x16, 0x00, 0x02, 0x01, 0x02})});          //   auth data
  }
  return v;
}

}  // namespace

const std::vector<Vector>& all_vectors() {
  static const std::vector<Vector> vectors = [] {
    std::vector<Vector> all = v311();
    for (Vector& x : v5()) all.push_back(std::move(x));
    return all;
  }();
  return vectors;
}

}  // namespace fleetload::mqtt::test
