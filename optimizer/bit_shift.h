// Moving a code that starts inside a word of a flat plane. A tensor (or ternary block) whose flat
// offset is not a multiple of 32 is encoded into a scratch plane from bit 0 and inserted at its
// bit offset, and its part of the aggregated plane is extracted to bit 0 for apply. The word
// functions below are the one definition: the host loops (insert_bits / extract_bits) and the
// CUDA kernels (bit_shift.cu, one thread per output word) both call them, so the host tests of
// the loops test the device's shifts too.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/hd.h"
#include "lioncub/lioncub.h"

namespace lioncub::lion {

// Word k (bit / 32 <= k <= (bit + len - 1) / 32) of a plane after inserting len >= 1 bits of
// src (from bit 0; its bits past len are 0) at bit `bit`. `old` is the plane's word k before: its
// bits below `bit` are kept in the first word; every later word is overwritten whole (the next
// piece of the plane fills the bits past the end).
LIONCUB_HD uint32_t inserted_word(uint32_t old, size_t k, size_t bit, const uint32_t* src,
                                  size_t len) {
  const size_t w = bit / 32, sh = bit % 32, j = k - w, nsrc = (len + 31) / 32;
  if (sh == 0) return src[j];
  if (j == 0) return (old & ((1u << sh) - 1u)) | (src[0] << sh);
  uint32_t v = src[j - 1] >> (32 - sh);
  if (j < nsrc) v |= src[j] << sh;
  return v;
}

// Word j (< ceil(len / 32)) of bits [bit, bit + len) of plane, from bit 0, bits past len 0.
LIONCUB_HD uint32_t extracted_word(const uint32_t* plane, size_t bit, size_t len, size_t j) {
  const size_t w = bit / 32, sh = bit % 32, last = (bit + len - 1) / 32, n = (len + 31) / 32;
  uint32_t v = plane[w + j] >> sh;
  if (sh != 0 && w + j + 1 <= last) v |= plane[w + j + 1] << (32 - sh);
  if (j + 1 == n && len % 32 != 0) v &= (1u << (len % 32)) - 1u;
  return v;
}

// Host: the loops over those words (len >= 1).
inline void insert_bits(uint32_t* plane, size_t bit, const uint32_t* src, size_t len) {
  const size_t first = bit / 32, last = (bit + len - 1) / 32;
  for (size_t k = first; k <= last; ++k) plane[k] = inserted_word(plane[k], k, bit, src, len);
}
inline void extract_bits(const uint32_t* plane, size_t bit, size_t len, uint32_t* dst) {
  const size_t n = (len + 31) / 32;
  for (size_t j = 0; j < n; ++j) dst[j] = extracted_word(plane, bit, len, j);
}

// Device: the same, as kernels on `stream` (bit_shift.cu; lioncubNotSupported without CUDA).
// Result: launch errors only.
lioncubResult_t device_insert_bits(uint32_t* plane, size_t bit, const uint32_t* src, size_t len,
                                   cudaStream_t stream);
lioncubResult_t device_extract_bits(const uint32_t* plane, size_t bit, size_t len, uint32_t* dst,
                                    cudaStream_t stream);

}  // namespace lioncub::lion
