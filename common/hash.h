// FNV-1a, 64 bit: a fingerprint of configurations compared across ranks and saved with state
// (not a defence against an adversary; see docs/reliability.md for what is authenticated).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lioncub {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;

inline uint64_t fnv1a64(uint64_t h, const void* p, size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

}  // namespace lioncub
