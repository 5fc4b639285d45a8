#include "hello.h"

#include <cstring>

namespace lioncub::net {
namespace {
constexpr uint32_t kHelloMagic = 0x4c48434c;  // "LCHL"
constexpr uint32_t kAckMagic = 0x4b41434c;    // "LCAK"
constexpr uint16_t kVersion = 1;
}  // namespace

void encode_hello(const Hello& h, wire::MutableBytes out) {
  std::memset(out.data(), 0, kHelloSize);
  wire::put<uint32_t>(out, 0, kHelloMagic);
  wire::put<uint16_t>(out, 4, kVersion);
  out[6] = static_cast<uint8_t>(h.kind);
  wire::put<uint16_t>(out, 8, h.index);
  wire::put<uint16_t>(out, 10, h.streams);
  wire::put<uint32_t>(out, 12, h.min_chunk);
  wire::put<uint32_t>(out, 16, h.inline_max);
  wire::put<uint64_t>(out, 24, h.nonce);
  wire::put<uint64_t>(out, 32, h.conn_id);
  wire::put<uint32_t>(out, 40, wire::fnv1a(out.first(40)));
}

std::optional<Hello> parse_hello(wire::Bytes in, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Hello> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  if (in.size() < kHelloSize) return fail("hello too short");
  if (wire::get<uint32_t>(in, 0) != kHelloMagic) return fail("bad hello magic");
  if (wire::get<uint32_t>(in, 40) != wire::fnv1a(in.first(40))) return fail("hello checksum mismatch");
  if (wire::get<uint16_t>(in, 4) != kVersion) return fail("hello protocol version mismatch");
  if (in[7] != 0 || wire::get<uint32_t>(in, 20) != 0 || wire::get<uint32_t>(in, 44) != 0) {
    return fail("hello reserved bytes not zero");
  }
  Hello h;
  if (in[6] > 1) return fail("hello stream kind unknown");
  h.kind = static_cast<StreamKind>(in[6]);
  h.index = wire::get<uint16_t>(in, 8);
  h.streams = wire::get<uint16_t>(in, 10);
  h.min_chunk = wire::get<uint32_t>(in, 12);
  h.inline_max = wire::get<uint32_t>(in, 16);
  h.nonce = wire::get<uint64_t>(in, 24);
  h.conn_id = wire::get<uint64_t>(in, 32);
  if (h.streams < 1 || h.streams > kMaxStreams) return fail("hello stream count out of range");
  if (h.kind == StreamKind::kControl && h.index != 0) return fail("hello control index not 0");
  if (h.kind == StreamKind::kData && h.index >= h.streams) return fail("hello data index out of range");
  if (h.min_chunk < 4096 || h.min_chunk > (1u << 30)) return fail("hello chunk size out of range");
  if (h.inline_max > 65536) return fail("hello inline size out of range");
  return h;
}

void encode_ack(uint64_t conn_id, wire::MutableBytes out) {
  std::memset(out.data(), 0, kAckSize);
  wire::put<uint32_t>(out, 0, kAckMagic);
  wire::put<uint16_t>(out, 4, kVersion);
  wire::put<uint64_t>(out, 8, conn_id);
}

bool parse_ack(wire::Bytes in, uint64_t expected_conn_id, std::string* why) {
  auto fail = [&](const char* reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (in.size() < kAckSize) return fail("ack too short");
  if (wire::get<uint32_t>(in, 0) != kAckMagic) return fail("bad ack magic");
  if (wire::get<uint16_t>(in, 4) != kVersion) return fail("ack protocol version mismatch");
  if (wire::get<uint16_t>(in, 6) != 0) return fail("listener refused the connection");
  if (wire::get<uint64_t>(in, 8) != expected_conn_id) return fail("ack for another connection");
  return true;
}

}  // namespace lioncub::net
