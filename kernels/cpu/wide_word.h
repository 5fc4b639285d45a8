// The CPU kernels' wide word: 256 bits (8 packed words) per bitwise operation, as a GCC vector
// that the compiler maps onto SSE2 or AVX2 registers. Bit operations on it mean exactly what
// they mean on the 8 uint32_t words it is loaded from, so results match the device's.
#pragma once

#include <cstdint>
#include <cstring>

namespace lioncub::cpu {

typedef uint64_t Wide __attribute__((vector_size(32)));
constexpr size_t kWideWords = sizeof(Wide) / sizeof(uint32_t);

inline Wide load_wide(const uint32_t* p) {
  Wide w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline void store_wide(uint32_t* p, Wide w) { std::memcpy(p, &w, sizeof w); }

}  // namespace lioncub::cpu
