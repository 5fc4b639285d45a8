// Bit-sliced counts as a wire format: the two-level (hierarchical) vote sends, for each element,
// its host's count of +1 votes as `bits` bit planes (plane k = bit k of every element's count),
// so a count of R ranks costs counter_bits(R) bits per element, and the receiver adds the
// counters of H hosts word-parallel before taking the majority of all P = sum of votes.
//
// Pure host functions over uint32_t words (the word math is bitslice.h's, shared with the
// device); the device backend does not run the two-level vote yet.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lioncub {

// planes[k * words + w] = bit k of the count of ones at each position of word w over nvec
// vectors (vector v at codes + v * stride). bits >= counter_bits(nvec), bits <= 15.
void sliced_count(const uint32_t* codes, size_t stride, int nvec, size_t words, int bits,
                  uint32_t* planes);

// Adds ninputs bit-sliced counters of `bits` planes each (input i at in + i * in_stride; plane k
// at + k * words) and writes the majority of `total` votes per element: sign = count > total/2,
// ties (count == total/2, even total) per the tie policy (alternate: the sign of
// `alternate_positive`; zero: nonzero bit 0). Elements at or beyond numel get 0 bits in both
// planes. nonzero may be null when no element can tie to 0.
void sliced_majority(const uint32_t* in, size_t in_stride, int ninputs, int bits, size_t words,
                     size_t numel, int total, bool alternate, bool alternate_positive,
                     uint32_t* sign, uint32_t* nonzero);

}  // namespace lioncub
