#include "driver/pattern.h"

#include <cstring>

namespace lioncub::driver {
namespace {

inline uint64_t mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline uint64_t word(uint64_t seed, size_t index) { return mix(seed * 0x100000001b3ull ^ index); }

}  // namespace

void fill_pattern(uint8_t* buf, size_t size, uint64_t seed) {
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const uint64_t w = word(seed, i / 8);
    std::memcpy(buf + i, &w, 8);
  }
  if (i < size) {
    const uint64_t w = word(seed, i / 8);
    std::memcpy(buf + i, &w, size - i);
  }
}

int64_t check_pattern(const uint8_t* buf, size_t size, uint64_t seed) {
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t w = word(seed, i / 8);
    const size_t n = size - i < 8 ? size - i : 8;
    if (std::memcmp(buf + i, &w, n) != 0) {
      for (size_t j = 0; j < n; ++j) {
        if (buf[i + j] != reinterpret_cast<const uint8_t*>(&w)[j]) return static_cast<int64_t>(i + j);
      }
    }
  }
  return -1;
}

}  // namespace lioncub::driver
