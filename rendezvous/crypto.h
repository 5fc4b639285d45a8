// The few primitives the store's authentication needs, from OpenSSL's libcrypto (a well-kept
// library rather than home-made crypto): HMAC-SHA256 and AES-256-GCM; random bytes come from
// the kernel (getrandom).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lioncub::rendezvous::crypto {

using Key = std::array<uint8_t, 32>;
using Mac = std::array<uint8_t, 32>;
constexpr size_t kSealOverhead = 12 + 16;  // GCM IV + tag

// HMAC-SHA256(key, data).
Mac hmac(const Key& key, const uint8_t* data, size_t n);
// A key for one purpose: HMAC(SHA256(secret), label || 0 || job id), so that keys of different
// jobs and purposes differ even when the secret is shared.
Key derive(const std::string& secret, const char* label, const std::string& job_id);
// Equal in constant time (a MAC comparison must not leak how many bytes matched).
bool equal(const uint8_t* a, const uint8_t* b, size_t n);
// Cryptographically random bytes (getrandom); throws Error(lioncubSystemError) on failure.
void random(uint8_t* out, size_t n);
// AES-256-GCM with a random IV: iv || ciphertext || tag. `aad` is authenticated, not stored.
std::vector<uint8_t> seal(const Key& key, const std::vector<uint8_t>& plain,
                          const std::string& aad);
// The plaintext, or false when the box was altered or sealed under another key or aad.
bool open(const Key& key, const uint8_t* box, size_t n, const std::string& aad,
          std::vector<uint8_t>* plain);

}  // namespace lioncub::rendezvous::crypto
