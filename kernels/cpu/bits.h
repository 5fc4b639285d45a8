// Bit packing on the CPU without branches or variable shifts, so that GCC vectorizes the loops
// around it with plain SSE2: bit i of a word is selected by the constant kBit[i].
#pragma once

#include <cstdint>

namespace lioncub::cpu {

alignas(64) inline constexpr uint32_t kBit[32] = {
    1u << 0,  1u << 1,  1u << 2,  1u << 3,  1u << 4,  1u << 5,  1u << 6,  1u << 7,
    1u << 8,  1u << 9,  1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15,
    1u << 16, 1u << 17, 1u << 18, 1u << 19, 1u << 20, 1u << 21, 1u << 22, 1u << 23,
    1u << 24, 1u << 25, 1u << 26, 1u << 27, 1u << 28, 1u << 29, 1u << 30, 1u << 31};

// kBit[i] when flag is 1, 0 when it is 0.
inline uint32_t bit_if(uint32_t flag, int i) { return kBit[i] & (0u - flag); }

// Bit i of w as 0 or 1.
inline uint32_t bit_at(uint32_t w, int i) { return uint32_t((w & kBit[i]) != 0); }

}  // namespace lioncub::cpu
