// Seeded byte patterns for end-to-end verification: byte i of (seed) is a fixed function of
// (seed, i), so the receiver can check every byte without a copy of the sender's buffer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lioncub::driver {

void fill_pattern(uint8_t* buf, size_t size, uint64_t seed);
// Offset of the first wrong byte, or -1 when all `size` bytes match.
int64_t check_pattern(const uint8_t* buf, size_t size, uint64_t seed);

}  // namespace lioncub::driver
