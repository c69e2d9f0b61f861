// PKCS#11 private keys through OpenSSL's "pkcs11" engine (Debian libengine-pkcs11-openssl):
// every private-key operation of the handshake is done by the token (aws doc §2).
// The ENGINE API is deprecated in OpenSSL 3 but is the one libp11 offers on Debian 12.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <dlfcn.h>

#include <filesystem>
#include <map>
#include <mutex>

#include <openssl/engine.h>
#include <openssl/err.h>

#include "auth/tls_identity.hpp"

namespace fleetload::auth {
namespace {

using F = TlsIdentityFailure;

// One initialised engine per PKCS#11 module: MODULE_PATH cannot change after ENGINE_init.
// Engines stay loaded for the process lifetime (devices reconnect with them).
std::mutex g_mutex;
std::map<std::string, ENGINE*>& engines() {
  static std::map<std::string, ENGINE*> m;
  return m;
}

std::string drain_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* r = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    out += r != nullptr ? r : "error " + std::to_string(ERR_GET_REASON(e));
  }
  return out;
}

ENGINE* engine_for(const std::string& module) {
  auto& m = engines();
  if (auto it = m.find(module); it != m.end()) return it->second;
  ENGINE_load_dynamic();
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (e == nullptr) {
    throw TlsIdentityError(F::Pkcs11Module,
                           "PKCS#11: OpenSSL engine \"pkcs11\" not found (install Debian's "
                           "libengine-pkcs11-openssl): " + drain_errors(), "pkcs11_lib");
  }
  if (ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0) != 1 || ENGINE_init(e) != 1) {
    const std::string why = drain_errors();
    ENGINE_free(e);
    throw TlsIdentityError(F::Pkcs11Module, "PKCS#11: cannot load pkcs11_lib \"" + module + "\": " + why,
                           "pkcs11_lib");
  }
  m.emplace(module, e);
  return e;
}

// RFC 7512 percent-encoding of a path attribute value.
std::string pct(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

std::string pkcs11_key_id(const TlsIdentitySpec& spec) {
  // libp11 0.4.12 has no slot attribute in URIs; its "slot_<n>-label_<l>" form selects a
  // slot. A token label, when given, is the RFC 7512 URI.
  if (spec.slot_id && !spec.token_label && spec.private_key_label) {
    return "slot_" + std::to_string(*spec.slot_id) + "-label_" + *spec.private_key_label;
  }
  std::string uri = "pkcs11:";
  if (spec.token_label) uri += "token=" + pct(*spec.token_label) + ";";
  if (spec.private_key_label) uri += "object=" + pct(*spec.private_key_label) + ";";
  uri += "type=private";
  return uri;
}

void check_pkcs11_module(const std::string& module) {
  std::error_code ec;
  if (!std::filesystem::exists(module, ec))
    throw TlsIdentityError(F::FileMissing, "pkcs11_lib \"" + module + "\": no such file", "pkcs11_lib");
  // libp11 opens the module only at the first key load, which needs the PIN; a PKCS#11
  // module is a shared library exporting C_GetFunctionList (PKCS#11 §5.2), so that is what
  // is checked here, without touching any token.
  void* h = ::dlopen(module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = ::dlerror();
    throw TlsIdentityError(F::Pkcs11Module,
                           "PKCS#11: cannot load pkcs11_lib \"" + module + "\": " + (why ? why : "dlopen failed"),
                           "pkcs11_lib");
  }
  const bool exports = ::dlsym(h, "C_GetFunctionList") != nullptr;
  ::dlclose(h);
  if (!exports)
    throw TlsIdentityError(F::Pkcs11Module,
                           "PKCS#11: cannot load pkcs11_lib \"" + module +
                               "\": not a PKCS#11 module (no C_GetFunctionList)",
                           "pkcs11_lib");
  std::lock_guard lock(g_mutex);
  ERR_clear_error();
  (void)engine_for(module);  // the engine must be there too (libengine-pkcs11-openssl)
}

EVP_PKEY* load_pkcs11_key(const TlsIdentitySpec& spec) {
  if (spec.slot_id && !spec.token_label && !spec.private_key_label) {
    throw TlsIdentityError(F::Pkcs11,
                           "PKCS#11: slot_id alone cannot select a key with libp11; add "
                           "token_label or private_key_label");
  }
  std::lock_guard lock(g_mutex);  // the PIN is engine-wide: set and use it in one step
  ERR_clear_error();
  ENGINE* e = engine_for(spec.pkcs11_lib);
  const std::string id = pkcs11_key_id(spec);
  if (spec.user_pin && ENGINE_ctrl_cmd_string(e, "PIN", spec.user_pin->c_str(), 0) != 1) {
    throw TlsIdentityError(F::Pkcs11, "PKCS#11: the engine refused the user PIN setting");
  }
  EVP_PKEY* key = ENGINE_load_private_key(e, id.c_str(), nullptr, nullptr);
  // Do not keep the PIN in the engine longer than this load.
  if (spec.user_pin) ENGINE_ctrl_cmd_string(e, "PIN", "", 0);
  if (key == nullptr) {
    const std::string why = drain_errors();
    const bool pin = why.find("PIN") != std::string::npos || why.find("pin") != std::string::npos ||
                     why.find("login") != std::string::npos || why.find("Login") != std::string::npos;
    throw TlsIdentityError(pin ? F::WrongPin : F::Pkcs11,
                           "PKCS#11: cannot load private key \"" + id + "\" from pkcs11_lib \"" +
                               spec.pkcs11_lib + "\"" +
                               (pin ? ": login failed (wrong user_pin?)" : ": " + why),
                           pin ? "user_pin" : "private_key_label");
  }
  return key;
}

}  // namespace fleetload::auth
