// Authentication of hellos and acks with a shared secret (LIONCUB_SECRET): HMAC-SHA256 from
// OpenSSL's libcrypto. Without OpenSSL in the build, available() is false and a set secret makes
// init fail (never a silent fallback to unauthenticated hellos).
#pragma once

#include <cstdint>
#include <string>

#include "wire.h"

namespace lioncub::net {

constexpr size_t kMacSize = 32;

bool auth_available();

// HMAC-SHA256(secret, a || b) into out[kMacSize]. Throws NetError if the library fails.
void compute_mac(const std::string& secret, wire::Bytes a, wire::Bytes b, uint8_t* out);

// Constant-time comparison of two MACs.
bool mac_equal(const uint8_t* x, const uint8_t* y);

}  // namespace lioncub::net
