// The first bytes on every TCP stream of a connection (connector -> listener), and the
// listener's acknowledgement on the control stream. Parsers are pure functions over a byte
// span so they can be fuzzed; the MACs are computed and checked by the callers (auth.h).
//
// Hello (protocol version 2), 96 bytes, little-endian:
//    0 u32 magic "LCHL"        4 u16 protocol version   6 u8 kind (0 control, 1 data)
//    7 u8  flags: bit 0 = authenticated (bytes 64..95 hold the MAC); other bits 0
//    8 u16 stream index (data: 0..streams-1, control: 0)
//   10 u16 data streams (1..64) of this connection
//   12 u32 min chunk bytes     16 u32 inline max bytes  20 u32 reserved 0
//   24 u64 nonce from the listen handle (binds the hello to one listener)
//   32 u64 connection id (random per connect; groups the streams of one connection)
//   40 u64 job id hash (FNV-1a 64 of LIONCUB_JOB_ID / TORCHELASTIC_RUN_ID; 0 = no job id)
//   48 u64 hello nonce (random per hello: no two hellos have the same MAC input)
//   56 u32 FNV-1a of bytes 0..55                        60 u32 reserved 0
//   64 u8[32] HMAC-SHA256(secret, bytes 0..63), or zeros when not authenticated
//
// Ack (version 2), 56 bytes: 0 u32 magic "LCAK", 4 u16 version, 6 u16 status (AckStatus),
//   8 u64 connection id, 16 u64 the listener's job id hash,
//   24 u8[32] HMAC-SHA256(secret, ack bytes 0..23 || the control hello's bytes 0..63) when the
//   connection is authenticated and accepted, else zeros.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "wire.h"

namespace lioncub::net {

constexpr uint16_t kHelloVersion = 2;
constexpr size_t kHelloSize = 96;
constexpr size_t kHelloSignedSize = 64;  // bytes covered by the MAC
constexpr size_t kHelloMacOffset = 64;
constexpr size_t kAckSize = 56;
constexpr size_t kAckSignedSize = 24;
constexpr size_t kAckMacOffset = 24;
constexpr int kMaxStreams = 64;

enum class StreamKind : uint8_t { kControl = 0, kData = 1 };

enum class AckStatus : uint16_t {
  kAccepted = 0,
  kOtherJob = 1,      // the hello's job id differs from the listener's
  kAuthFailed = 2,    // MAC missing, unexpected or wrong (LIONCUB_SECRET differs)
};

struct Hello {
  StreamKind kind = StreamKind::kControl;
  bool authenticated = false;
  uint16_t index = 0;
  uint16_t streams = 1;
  uint32_t min_chunk = 0;
  uint32_t inline_max = 0;
  uint64_t nonce = 0;
  uint64_t conn_id = 0;
  uint64_t job_hash = 0;
  uint64_t hello_nonce = 0;
  uint8_t mac[32] = {};  // copied verbatim; zeros when not authenticated
};

// Writes all kHelloSize bytes; the MAC field is h.mac (the caller fills it after encoding the
// signed part: encode, compute the MAC over out[0..64), write it at kHelloMacOffset).
void encode_hello(const Hello& h, wire::MutableBytes out);  // out.size() >= kHelloSize

// Checks the format only; the caller compares nonce, job and MAC with its listener's.
std::optional<Hello> parse_hello(wire::Bytes in, std::string* why);

// On the first 6 bytes: false (with *why) when they cannot start a hello of this version, so a
// peer of another release is told at once instead of at the hello deadline.
bool hello_prefix_ok(wire::Bytes in, std::string* why);

struct Ack {
  AckStatus status = AckStatus::kAccepted;
  uint64_t conn_id = 0;
  uint64_t job_hash = 0;
  uint8_t mac[32] = {};
};

void encode_ack(const Ack& a, wire::MutableBytes out);  // out.size() >= kAckSize
std::optional<Ack> parse_ack(wire::Bytes in, std::string* why);

// What a refusal means, for the connector's error message.
const char* ack_status_text(AckStatus s);

}  // namespace lioncub::net
