// Control-stream messages and the striping rule, shared by both ends.
//
// Control message, 16 bytes, little-endian, one per isend, in send order:
//    0 u64 payload size in bytes (<= kMaxMessageBytes)
//    8 i32 tag
//   12 u16 magic "CM" (0x4d43)   14 u16 flags, 0
// When size <= the connection's inline max, the payload follows immediately on the control
// stream; otherwise it is striped over the data streams (see for_each_chunk) with no headers.
#pragma once

#include <cstdint>
#include <string>

#include "wire.h"

namespace lioncub::net {

constexpr size_t kControlSize = 16;
constexpr uint64_t kMaxMessageBytes = uint64_t{1} << 40;

struct ControlMsg {
  uint64_t size = 0;
  int32_t tag = 0;
};

void encode_control(const ControlMsg& m, wire::MutableBytes out);  // out.size() >= kControlSize

enum class ParseStatus { kOk, kNeedMore, kError };

struct ControlParse {
  ParseStatus status = ParseStatus::kNeedMore;
  ControlMsg msg;
  size_t consumed = 0;  // header + inline payload when kOk
  std::string error;
};

// Parses one control message (and, when inline, checks its payload is present) from the front
// of `in`. The inline payload is in[kControlSize, consumed).
ControlParse parse_control(wire::Bytes in, uint32_t inline_max);

// Striping: message number `seq` of `size` bytes over `streams` data streams. Chunk length is
// max(min_chunk, ceil(size / streams)); chunk i covers [i*len, min(size, (i+1)*len)) and goes
// to stream (seq + i) % streams. Both ends compute it, so chunks carry no headers.
template <typename Fn>
void for_each_chunk(uint64_t size, uint64_t seq, uint32_t streams, uint64_t min_chunk, Fn&& fn) {
  if (size == 0) return;
  uint64_t len = (size + streams - 1) / streams;
  if (len < min_chunk) len = min_chunk;
  uint32_t i = 0;
  for (uint64_t off = 0; off < size; off += len, ++i) {
    const uint64_t n = size - off < len ? size - off : len;
    fn(static_cast<uint32_t>((seq + i) % streams), off, n);
  }
}

}  // namespace lioncub::net
