// TLS failures told apart, through the fleetload binary against real mosquitto TLS listeners
// whose broker certificates this test makes with OpenSSL: expired, not yet valid, for another
// host, self-signed, each counted under its own reason (from the X.509 verify result), while
// mosquitto sees no client at all; a tls.sni override that lets a wrong-host certificate
// through is warned about; a broker that dies under established TLS connections causes drops,
// not connect failures; a device whose certificate file is missing is a local fault.
#include <gtest/gtest.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>

#include "auth/certgen.hpp"
#include "e2e/auth_modes_support.hpp"
#include "e2e/child_process.hpp"
#include "e2e/mosquitto_fixture.hpp"

namespace fleetload::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using auth_modes::failure_cause;
using auth_modes::FleetRun;
using auth_modes::run_fleet;

constexpr long kDay = 24 * 3600;

// The fleet CA (certgen) and a directory for the broker certificates made below.
struct Pki {
  fs::path dir;
  Pki() {
    dir = make_temp_dir("tls-causes");
    auth::CertOptions o;
    o.out_dir = dir;
    o.devices = 3;
    o.threads = 2;
    o.client_id = "dev-{index}";
    auth::generate_fleet_certs(o);
  }
  ~Pki() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};
const Pki& pki() {
  static const Pki p;
  return p;
}

struct BrokerCert {
  std::string san = "IP:127.0.0.1,DNS:localhost";
  long not_before_s = -kDay;  // relative to now
  long not_after_s = 30 * kDay;
  bool self_signed = false;
};

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;

KeyPtr read_key(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + p.string());
  KeyPtr k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return k;
}
X509Ptr read_cert(const fs::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + p.string());
  X509Ptr x(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return x;
}

// Writes <name>.crt / <name>.key: a P-256 broker certificate signed by the fleet CA (or by
// itself) with the validity and names of `spec`.
void make_broker_cert(const std::string& name, const BrokerCert& spec) {
  const fs::path& d = pki().dir;
  KeyPtr key(EVP_EC_gen("P-256"));
  X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  unsigned char serial[8];
  RAND_bytes(serial, sizeof serial);
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), spec.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), spec.not_after_s);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509Ptr ca = read_cert(d / "ca.crt");
  KeyPtr ca_key = read_key(d / "ca.key");
  X509_set_issuer_name(x.get(), spec.self_signed ? subject : X509_get_subject_name(ca.get()));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, spec.self_signed ? x.get() : ca.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, spec.san}, std::pair{NID_basic_constraints, std::string("CA:FALSE")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x.get(), spec.self_signed ? key.get() : ca_key.get(), EVP_sha256()) == 0)
    throw std::runtime_error("X509_sign failed");
  std::FILE* cf = std::fopen((d / (name + ".crt")).c_str(), "w");
  PEM_write_X509(cf, x.get());
  std::fclose(cf);
  std::FILE* kf = std::fopen((d / (name + ".key")).c_str(), "w");
  PEM_write_PrivateKey(kf, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(kf);
}

std::string listener(const std::string& name) {
  const fs::path& d = pki().dir;
  return "certfile " + (d / (name + ".crt")).string() + "\nkeyfile " + (d / (name + ".key")).string() + "\n";
}

// Devices that verify the broker against the fleet CA and present no certificate.
std::string server_auth(const std::string& extra = "") {
  return "  mode: new_default_builder\n  ca_filepath: " + (pki().dir / "ca.crt").string() + "\n" + extra;
}

std::size_t occurrences(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

struct BadCertCase {
  const char* name;
  BrokerCert cert;
  const char* reason;
};

void PrintTo(const BadCertCase& c, std::ostream* os) { *os << c.name; }

class BrokerCertificates : public ::testing::TestWithParam<BadCertCase> {};

TEST_P(BrokerCertificates, EachFailureIsCountedUnderItsOwnReason) {
  const BadCertCase& c = GetParam();
  make_broker_cert(c.name, c.cert);
  MosquittoBroker broker({.extra_config = listener(c.name), .log_connections = true});
  const FleetRun r = run_fleet(auth_modes::fleet_yaml(broker.port(), true, server_auth(), 2, false), c.name);
  const auto& rep = r.report();
  EXPECT_EQ(counter(rep, "connects_ok"), 0u) << r.outcome.describe();
  const std::uint64_t failed = counter(rep, "connect_failures");
  EXPECT_GE(failed, 2u) << r.outcome.describe();
  EXPECT_EQ(failure_cause(rep, "tls_failed", c.reason), failed) << boost::json::serialize(rep.at("errors"));
  EXPECT_EQ(failure_cause(rep, "tls_failed", "bad_certificate"), 0u);
  EXPECT_NE(r.outcome.out.find(std::string("tls_failed/") + c.reason), std::string::npos) << r.outcome.out;
  // Independently: the broker never got a CONNECT from anyone.
  EXPECT_EQ(occurrences(broker.log(), "New client connected"), 0u) << broker.log();
}

INSTANTIATE_TEST_SUITE_P(
    Causes, BrokerCertificates,
    ::testing::Values(BadCertCase{"expired", {.not_before_s = -30 * kDay, .not_after_s = -kDay}, "expired"},
                      BadCertCase{"not-yet-valid", {.not_before_s = 10 * kDay, .not_after_s = 40 * kDay}, "not_yet_valid"},
                      BadCertCase{"wrong-host", {.san = "DNS:broker.example"}, "hostname_mismatch"},
                      BadCertCase{"self-signed", {.self_signed = true}, "self_signed"}),
    [](const auto& info) {
      std::string n = info.param.name;
      std::erase(n, '-');
      return n;
    });

TEST(TlsSni, AnSniOverrideThatLetsAWrongHostCertificateThroughIsWarnedInValidateAndRun) {
  make_broker_cert("sni-host", {.san = "DNS:broker.example"});
  MosquittoBroker broker({.extra_config = listener("sni-host"), .log_connections = true});
  const std::string yaml =
      auth_modes::fleet_yaml(broker.port(), false, server_auth("  tls: {sni: broker.example}\n"), 2, false);
  const fs::path dir = make_temp_dir("tls-sni");
  const fs::path file = write_file(dir, "s.yaml", yaml);
  const Outcome v = run_fleetload({"validate", file.string()}, dir, 30s);
  EXPECT_EQ(v.status.code, 0) << v.describe();
  const std::string warning = "warning: auth.tls.sni \"broker.example\" replaces the endpoint host in the broker "
                              "certificate check";
  EXPECT_NE(v.err.find(warning), std::string::npos) << v.err;
  const FleetRun r = run_fleet(yaml, "sni");
  EXPECT_NE(r.outcome.err.find(warning), std::string::npos) << r.outcome.err;
  // What the warning is about: the certificate names another host, yet the devices connected.
  EXPECT_EQ(counter(r.report(), "connects_ok"), 2u) << r.outcome.describe();
  EXPECT_EQ(occurrences(broker.log(), "New client connected"), 2u) << broker.log();
  fs::remove_all(dir);
}

TEST(TlsDrops, ABrokerDyingUnderEstablishedTlsConnectionsCausesDropsNotConnectFailures) {
  make_broker_cert("dying", {});
  MosquittoBroker broker({.extra_config = listener("dying"), .log_connections = true});
  const fs::path dir = make_temp_dir("tls-drops");
  const fs::path file = write_file(
      dir, "s.yaml",
      "target: {endpoint: 127.0.0.1, port: " + std::to_string(broker.port()) + ", protocol: mqtt5, connect_timeout: 2s}\n"
      "fleet: {devices: 3, connect_rate: 100/s}\n"
      "session: {keepalive: 30s}\n"
      "reconnect: {min_delay: 200ms, max_delay: 400ms}\n"
      "run: {duration: 4s, progress_interval: 200ms}\n"
      "auth:\n" + server_auth());
  const fs::path report = dir / "report.json";
  ChildProcess p = spawn_fleetload({"run", file.string(), "--report", report.string(), "--no-metrics"}, dir);
  ASSERT_TRUE(wait_for_stderr(p, "connected 3/3", 20s)) << p.stderr_text();
  broker.kill();  // the broker's kernel closes every connection: no close_notify, no DISCONNECT
  const Outcome o = finish(p, 60s, report);
  ASSERT_TRUE(o.report.has_value()) << o.describe();
  const auto& rep = *o.report;
  EXPECT_EQ(counter(rep, "connects_ok"), 3u);
  EXPECT_EQ(counter(rep, "drops"), 3u) << o.describe();
  EXPECT_EQ(u64(rep.at("totals").at("drops_by_reason").at("socket_error")), 3u)
      << boost::json::serialize(rep.at("totals").at("drops_by_reason"));
  // The reconnects that follow are refused (nothing listens any more): those are connect
  // failures, and nothing else is.
  for (const auto& c : rep.at("errors").at("connect_failures").as_array())
    EXPECT_EQ(c.at("result").as_string(), "tcp_failed") << boost::json::serialize(c);
  EXPECT_EQ(failure_cause(rep, "tls_failed", "protocol_error"), 0u);
  fs::remove_all(dir);
}

TEST(TlsLocalFaults, AMissingCertificateFileIsALocalFaultNotABrokerError) {
  const fs::path certs = make_temp_dir("tls-local");
  for (int i = 0; i < 3; ++i) {
    fs::copy_file(auth::device_cert_path(pki().dir, i), auth::device_cert_path(certs, i));
    fs::copy_file(auth::device_key_path(pki().dir, i), auth::device_key_path(certs, i));
  }
  fs::remove(auth::device_cert_path(certs, 1));  // the middle device: validate checks 0 and 2
  make_broker_cert("local", {});
  MosquittoBroker broker({.extra_config = listener("local") + "cafile " + (pki().dir / "ca.crt").string() +
                                          "\nrequire_certificate true\n",
                          .log_connections = false});
  const std::string a = "  mode: mtls_from_path\n  cert_filepath: " + (certs / "device-{index}.crt").string() +
                        "\n  pri_key_filepath: " + (certs / "device-{index}.key").string() + "\n  ca_filepath: " +
                        (pki().dir / "ca.crt").string() + "\n";
  const FleetRun r = run_fleet(auth_modes::fleet_yaml(broker.port(), false, a, 3, false), "local");
  const auto& rep = r.report();
  EXPECT_EQ(counter(rep, "connects_ok"), 2u) << r.outcome.describe();
  const std::uint64_t missing = failure_cause(rep, "identity_failed", "file_missing");
  EXPECT_GE(missing, 1u) << boost::json::serialize(rep.at("errors"));
  EXPECT_EQ(failure_cause(rep, "identity_failed", "bad_certificate"), 0u);
  EXPECT_EQ(u64(rep.at("errors").at("local")), missing);
  EXPECT_EQ(u64(rep.at("errors").at("broker")), 0u);
  EXPECT_EQ(u64(rep.at("totals").at("connect_failed_by_reason").at("local_error")), missing);
  EXPECT_NE(r.outcome.out.find("identity_failed/file_missing"), std::string::npos) << r.outcome.out;
  EXPECT_NE(r.outcome.out.find("local faults " + std::to_string(missing)), std::string::npos) << r.outcome.out;
  const std::string why = rep.at("errors").at("identity_error").as_string().c_str();
  EXPECT_NE(why.find("device-1.crt\": no such file"), std::string::npos) << why;
  fs::remove_all(certs);
}

}  // namespace
}  // namespace fleetload::e2e
