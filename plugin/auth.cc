#include "auth.h"

#include <algorithm>

#include "error.h"

#ifdef LIONCUB_HAVE_OPENSSL
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif

namespace lioncub::net {

bool auth_available() {
#ifdef LIONCUB_HAVE_OPENSSL
  return true;
#else
  return false;
#endif
}

void compute_mac(const std::string& secret, wire::Bytes a, wire::Bytes b, uint8_t* out) {
#ifdef LIONCUB_HAVE_OPENSSL
  // The one-shot HMAC() takes one buffer; the two parts are short, so join them.
  uint8_t joined[512];
  if (a.size() + b.size() > sizeof(joined)) throw_system("hello authentication: input too long");
  std::copy(a.begin(), a.end(), joined);
  std::copy(b.begin(), b.end(), joined + a.size());
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), joined,
           a.size() + b.size(), out, &len) == nullptr ||
      len != kMacSize) {
    throw_system("hello authentication: HMAC-SHA256 failed in libcrypto");
  }
#else
  (void)secret, (void)a, (void)b, (void)out;
  throw_invalid_usage("LIONCUB_SECRET is set but this build has no OpenSSL (install libssl-dev "
                      "and rebuild)");
#endif
}

bool mac_equal(const uint8_t* x, const uint8_t* y) {
#ifdef LIONCUB_HAVE_OPENSSL
  return CRYPTO_memcmp(x, y, kMacSize) == 0;
#else
  unsigned diff = 0;
  for (size_t i = 0; i < kMacSize; ++i) diff |= x[i] ^ y[i];
  return diff == 0;
#endif
}

}  // namespace lioncub::net
