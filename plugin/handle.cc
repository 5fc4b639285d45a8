#include "handle.h"

#include <arpa/inet.h>

#include <cstring>

namespace lioncub::net {

namespace {
constexpr uint32_t kHandleMagic = 0x484e434c;  // "LCNH"
}

void encode_handle(const ListenHandle& h, wire::MutableBytes out) {
  std::memset(out.data(), 0, kHandleSize);
  wire::put<uint32_t>(out, 0, kHandleMagic);
  wire::put<uint16_t>(out, 4, kProtocolVersion);
  if (h.addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&h.addr);
    out[6] = 4;
    wire::put<uint16_t>(out, 8, ntohs(sin->sin_port));
    std::memcpy(out.data() + 16, &sin->sin_addr, 4);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&h.addr);
    out[6] = 6;
    wire::put<uint16_t>(out, 8, ntohs(sin6->sin6_port));
    wire::put<uint32_t>(out, 12, sin6->sin6_scope_id);
    std::memcpy(out.data() + 16, &sin6->sin6_addr, 16);
  }
  wire::put<uint64_t>(out, 32, h.nonce);
  wire::put<uint32_t>(out, 40, wire::fnv1a(out.first(40)));
}

std::optional<ListenHandle> decode_handle(wire::Bytes in, std::string* why) {
  auto fail = [&](const char* reason) -> std::optional<ListenHandle> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  if (in.size() < kHandleWireSize) return fail("handle too short");
  if (wire::get<uint32_t>(in, 0) != kHandleMagic) return fail("not a lioncub handle (bad magic)");
  if (wire::get<uint32_t>(in, 40) != wire::fnv1a(in.first(40))) return fail("handle checksum mismatch");
  if (wire::get<uint16_t>(in, 4) != kProtocolVersion) return fail("handle protocol version mismatch");
  if (in[7] != 0 || wire::get<uint16_t>(in, 10) != 0) return fail("handle reserved bytes not zero");
  const uint16_t port = wire::get<uint16_t>(in, 8);
  if (port == 0) return fail("handle port is 0");
  ListenHandle h;
  h.nonce = wire::get<uint64_t>(in, 32);
  if (in[6] == 4) {
    for (size_t i = 20; i < 32; ++i) {
      if (in[i] != 0) return fail("handle IPv4 address padding not zero");
    }
    if (wire::get<uint32_t>(in, 12) != 0) return fail("handle IPv4 scope id not zero");
    auto* sin = reinterpret_cast<sockaddr_in*>(&h.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, in.data() + 16, 4);
  } else if (in[6] == 6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&h.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_scope_id = wire::get<uint32_t>(in, 12);
    std::memcpy(&sin6->sin6_addr, in.data() + 16, 16);
  } else {
    return fail("handle address family is neither IPv4 nor IPv6");
  }
  return h;
}

std::string format_address(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(sin->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(sin6->sin6_port));
  }
  return "<unknown address>";
}

}  // namespace lioncub::net
