// The first bytes on every TCP stream of a connection (connector -> listener), and the
// listener's acknowledgement on the control stream. Parsers are pure functions over a byte
// span so they can be fuzzed.
//
// Hello, 48 bytes, little-endian:
//    0 u32 magic "LCHL"        4 u16 protocol version   6 u8 kind (0 control, 1 data)
//    7 u8  reserved 0          8 u16 stream index (data: 0..streams-1, control: 0)
//   10 u16 data streams (1..64) of this connection
//   12 u32 min chunk bytes     16 u32 inline max bytes  20 u32 reserved 0
//   24 u64 nonce from the listen handle
//   32 u64 connection id (random per connect; groups the streams of one connection)
//   40 u32 FNV-1a of bytes 0..39                        44 u32 reserved 0
//
// Ack, 16 bytes: 0 u32 magic "LCAK", 4 u16 version, 6 u16 status (0 = accepted),
//                8 u64 connection id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wire.h"

namespace lioncub::net {

constexpr size_t kHelloSize = 48;
constexpr size_t kAckSize = 16;
constexpr int kMaxStreams = 64;

enum class StreamKind : uint8_t { kControl = 0, kData = 1 };

struct Hello {
  StreamKind kind = StreamKind::kControl;
  uint16_t index = 0;
  uint16_t streams = 1;
  uint32_t min_chunk = 0;
  uint32_t inline_max = 0;
  uint64_t nonce = 0;
  uint64_t conn_id = 0;
};

void encode_hello(const Hello& h, wire::MutableBytes out);  // out.size() >= kHelloSize

// Checks the format only; the caller compares the nonce with its listener's.
std::optional<Hello> parse_hello(wire::Bytes in, std::string* why);

void encode_ack(uint64_t conn_id, wire::MutableBytes out);  // out.size() >= kAckSize
bool parse_ack(wire::Bytes in, uint64_t expected_conn_id, std::string* why);

}  // namespace lioncub::net
