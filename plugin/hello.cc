#include "hello.h"

#include <cstring>

namespace lioncub::net {
namespace {
constexpr uint32_t kHelloMagic = 0x4c48434c;  // "LCHL"
constexpr uint32_t kAckMagic = 0x4b41434c;    // "LCAK"
constexpr uint8_t kFlagAuthenticated = 0x1;
}  // namespace

void encode_hello(const Hello& h, wire::MutableBytes out) {
  std::memset(out.data(), 0, kHelloSize);
  wire::put<uint32_t>(out, 0, kHelloMagic);
  wire::put<uint16_t>(out, 4, kHelloVersion);
  out[6] = static_cast<uint8_t>(h.kind);
  out[7] = h.authenticated ? kFlagAuthenticated : 0;
  wire::put<uint16_t>(out, 8, h.index);
  wire::put<uint16_t>(out, 10, h.streams);
  wire::put<uint32_t>(out, 12, h.min_chunk);
  wire::put<uint32_t>(out, 16, h.inline_max);
  wire::put<uint64_t>(out, 24, h.nonce);
  wire::put<uint64_t>(out, 32, h.conn_id);
  wire::put<uint64_t>(out, 40, h.job_hash);
  wire::put<uint64_t>(out, 48, h.hello_nonce);
  wire::put<uint32_t>(out, 56, wire::fnv1a(out.first(56)));
  std::memcpy(out.data() + kHelloMacOffset, h.mac, sizeof(h.mac));
}

std::optional<Hello> parse_hello(wire::Bytes in, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Hello> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  if (in.size() < kHelloSize) return fail("hello too short");
  if (wire::get<uint32_t>(in, 0) != kHelloMagic) return fail("bad hello magic");
  // The version before the checksum: an older peer's hello is shorter and fails the checksum,
  // and "version mismatch" is the message that helps.
  if (wire::get<uint16_t>(in, 4) != kHelloVersion) {
    return fail("hello protocol version mismatch (peer runs another lioncub release)");
  }
  if (wire::get<uint32_t>(in, 56) != wire::fnv1a(in.first(56))) return fail("hello checksum mismatch");
  if ((in[7] & ~kFlagAuthenticated) != 0 || wire::get<uint32_t>(in, 20) != 0 ||
      wire::get<uint32_t>(in, 60) != 0) {
    return fail("hello reserved bytes not zero");
  }
  Hello h;
  if (in[6] > 1) return fail("hello stream kind unknown");
  h.kind = static_cast<StreamKind>(in[6]);
  h.authenticated = (in[7] & kFlagAuthenticated) != 0;
  h.index = wire::get<uint16_t>(in, 8);
  h.streams = wire::get<uint16_t>(in, 10);
  h.min_chunk = wire::get<uint32_t>(in, 12);
  h.inline_max = wire::get<uint32_t>(in, 16);
  h.nonce = wire::get<uint64_t>(in, 24);
  h.conn_id = wire::get<uint64_t>(in, 32);
  h.job_hash = wire::get<uint64_t>(in, 40);
  h.hello_nonce = wire::get<uint64_t>(in, 48);
  std::memcpy(h.mac, in.data() + kHelloMacOffset, sizeof(h.mac));
  if (!h.authenticated) {
    for (uint8_t b : h.mac) {
      if (b != 0) return fail("hello MAC present without the authenticated flag");
    }
  }
  if (h.streams < 1 || h.streams > kMaxStreams) return fail("hello stream count out of range");
  if (h.kind == StreamKind::kControl && h.index != 0) return fail("hello control index not 0");
  if (h.kind == StreamKind::kData && h.index >= h.streams) return fail("hello data index out of range");
  if (h.min_chunk < 4096 || h.min_chunk > (1u << 30)) return fail("hello chunk size out of range");
  if (h.inline_max > 65536) return fail("hello inline size out of range");
  return h;
}

bool hello_prefix_ok(wire::Bytes in, std::string* why) {
  if (in.size() < 6) return true;
  if (wire::get<uint32_t>(in, 0) != kHelloMagic) {
    if (why != nullptr) *why = "bad hello magic";
    return false;
  }
  if (wire::get<uint16_t>(in, 4) != kHelloVersion) {
    if (why != nullptr) *why = "hello protocol version mismatch (peer runs another lioncub release)";
    return false;
  }
  return true;
}

void encode_ack(const Ack& a, wire::MutableBytes out) {
  std::memset(out.data(), 0, kAckSize);
  wire::put<uint32_t>(out, 0, kAckMagic);
  wire::put<uint16_t>(out, 4, kHelloVersion);
  wire::put<uint16_t>(out, 6, static_cast<uint16_t>(a.status));
  wire::put<uint64_t>(out, 8, a.conn_id);
  wire::put<uint64_t>(out, 16, a.job_hash);
  std::memcpy(out.data() + kAckMacOffset, a.mac, sizeof(a.mac));
}

std::optional<Ack> parse_ack(wire::Bytes in, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<Ack> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  if (in.size() < kAckSize) return fail("ack too short");
  if (wire::get<uint32_t>(in, 0) != kAckMagic) return fail("bad ack magic");
  if (wire::get<uint16_t>(in, 4) != kHelloVersion) return fail("ack protocol version mismatch");
  const uint16_t status = wire::get<uint16_t>(in, 6);
  if (status > static_cast<uint16_t>(AckStatus::kAuthFailed)) return fail("ack status unknown");
  Ack a;
  a.status = static_cast<AckStatus>(status);
  a.conn_id = wire::get<uint64_t>(in, 8);
  a.job_hash = wire::get<uint64_t>(in, 16);
  std::memcpy(a.mac, in.data() + kAckMacOffset, sizeof(a.mac));
  return a;
}

const char* ack_status_text(AckStatus s) {
  switch (s) {
    case AckStatus::kAccepted: return "accepted";
    case AckStatus::kOtherJob:
      return "it belongs to another job (LIONCUB_JOB_ID / TORCHELASTIC_RUN_ID differ)";
    case AckStatus::kAuthFailed:
      return "authentication failed (LIONCUB_SECRET differs, or is set on one side only)";
  }
  return "unknown status";
}

}  // namespace lioncub::net
