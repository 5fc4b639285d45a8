// The listen handle NCCL exchanges between ranks (at most NCCL_NET_HANDLE_MAXSIZE = 128 bytes).
//
// Layout (little-endian, offsets in bytes):
//    0  u32  magic "LCNH" (0x484e434c)
//    4  u16  protocol version (kProtocolVersion)
//    6  u8   address family: 4 = IPv4, 6 = IPv6
//    7  u8   reserved, 0
//    8  u16  TCP port of the listener
//   10  u16  reserved, 0
//   12  u32  IPv6 scope id (0 for IPv4)
//   16  u8[16] address (IPv4 in the first 4 bytes, the rest 0)
//   32  u64  nonce: random per listener; every stream's hello must present it
//   40  u32  FNV-1a checksum of bytes 0..39
//   44  ..63 zero
//   64  ..127 connect scratch: the connecting side keeps its in-progress state here between
//             connect() retries (NCCL passes the same buffer again); the listener zeroes it.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "wire.h"

namespace lioncub::net {

constexpr uint16_t kProtocolVersion = 1;
constexpr size_t kHandleSize = 128;
constexpr size_t kHandleWireSize = 44;
constexpr size_t kHandleScratchOffset = 64;

struct ListenHandle {
  sockaddr_storage addr{};  // family, address, port (and scope id for IPv6)
  uint64_t nonce = 0;
};

// Writes all kHandleSize bytes of `out` (wire fields, zero padding, zero scratch).
void encode_handle(const ListenHandle& h, wire::MutableBytes out);

// Validates and decodes; nullopt with `why` set on any malformed field.
std::optional<ListenHandle> decode_handle(wire::Bytes in, std::string* why);

// "a.b.c.d:port" or "[v6]:port" for messages.
std::string format_address(const sockaddr_storage& addr);

}  // namespace lioncub::net
