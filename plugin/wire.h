// Little-endian field access for the wire formats (handle, hello, control messages), independent
// of the host's byte order and alignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lioncub::net::wire {

using Bytes = std::span<const uint8_t>;
using MutableBytes = std::span<uint8_t>;

template <typename T>
inline void put(MutableBytes out, size_t at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
  }
}

template <typename T>
inline T get(Bytes in, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(in[at + i]) << (8 * i);
  return static_cast<T>(v);
}

// 32-bit FNV-1a, used as a checksum over handles and hellos to reject garbage early.
inline uint32_t fnv1a(Bytes in) {
  uint32_t h = 2166136261u;
  for (uint8_t b : in) h = (h ^ b) * 16777619u;
  return h;
}

}  // namespace lioncub::net::wire
