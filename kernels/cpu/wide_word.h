// The CPU kernels' wide word: 256 bits (8 packed words) per bitwise operation, as a GCC vector
// that the compiler maps onto SSE2 or AVX2 registers. Bit operations on it mean exactly what
// they mean on the 8 uint32_t words it is loaded from, so results match the device's.
#pragma once

#include <cstdint>
#include <cstring>

#include "../bitslice.h"

namespace lioncub::cpu {

typedef uint64_t Wide __attribute__((vector_size(32)));
constexpr size_t kWideWords = sizeof(Wide) / sizeof(uint32_t);

inline Wide load_wide(const uint32_t* p) {
  Wide w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline void store_wide(uint32_t* p, Wide w) { std::memcpy(p, &w, sizeof w); }

// Writes the sign (and, if not null, nonzero) plane of numel elements, a 256-bit group at a time
// and then word by word, masking the last word's pad bits. planes(load, sign, nonzero) computes
// one group: load(p) reads the input plane p at the current position as the group's word type W
// (Wide or uint32_t), and sign and nonzero are W&.
template <class Planes>
inline void write_planes(size_t numel, uint32_t* sign_out, uint32_t* nonzero_out, Planes&& planes) {
  const size_t words = (numel + 31) / 32;
  const size_t wide_end = numel / 32 / kWideWords * kWideWords;  // whole groups, no pad bits
  for (size_t w = 0; w < wide_end; w += kWideWords) {
    Wide sign, nonzero;
    planes([w](const uint32_t* p) { return load_wide(p + w); }, sign, nonzero);
    store_wide(sign_out + w, sign);
    if (nonzero_out) store_wide(nonzero_out + w, nonzero);
  }
  for (size_t w = wide_end; w < words; ++w) {
    uint32_t sign, nonzero;
    planes([w](const uint32_t* p) { return p[w]; }, sign, nonzero);
    const uint32_t valid = valid_bits(w, numel);
    sign_out[w] = sign & valid;
    if (nonzero_out) nonzero_out[w] = nonzero & valid;
  }
}

}  // namespace lioncub::cpu
