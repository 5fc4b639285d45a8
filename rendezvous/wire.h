// The store's wire format, shared by the server and the client. Every message is one frame:
//   u32 body length | body            (little-endian integers)
// request body:  op(u8) seq(u64) keylen(u16) key a(u32) b(u32) vallen(u32) value [mac(32)]
// reply body:    status(u8) seq(u64) vallen(u32) value [mac(32)]
// op: hello (key = job id, a = rank, b = nranks, value = the client's 16-byte nonce Nc),
//     set (key, value; keys are set once), get (key; a = offset, b = length; the server answers
//     when the key exists), done (this rank fetched all it needs).
// status: ok, value, aborted (value = result code u8 + reason), refused (value = reason).
// With a shared secret the op/status byte carries kAuth and the body ends with
// HMAC-SHA256(K, direction || Nc || Ns || body) where Ns is the server's nonce from the hello
// reply (zeros in the hello itself) and seq counts the session's requests: a request or reply
// replayed into another session, or out of order, fails its MAC or its sequence check.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "rendezvous/crypto.h"

namespace lioncub::rendezvous::wire {

enum Op : uint8_t { kHello = 1, kSet = 2, kGet = 3, kDone = 4 };
enum Status : uint8_t { kOk = 1, kValue = 2, kAborted = 3, kRefused = 4 };
constexpr uint8_t kAuth = 0x80;
constexpr size_t kNonce = 16;
constexpr size_t kMaxKey = 256;
constexpr size_t kMaxReason = 1024;

struct Request {
  uint8_t op = 0;
  uint64_t seq = 0;
  std::string key;
  uint32_t a = 0, b = 0;
  std::vector<uint8_t> value;
};

struct Reply {
  uint8_t status = 0;
  uint64_t seq = 0;
  std::vector<uint8_t> value;
};

// What authenticates one connection: nonces of both ends and the MAC key (auth = false: none).
struct Session {
  bool auth = false;
  crypto::Key key{};
  std::array<uint8_t, kNonce> nc{};
  std::array<uint8_t, kNonce> ns{};
};

// The whole frame (length prefix included).
std::vector<uint8_t> encode(const Request& r, const Session& s);
std::vector<uint8_t> encode(const Reply& r, const Session& s);
// Parses a body; false with `why` when it is malformed or fails its MAC. `expect_auth`: whether
// this end requires a MAC (a message without one is refused, and one with a MAC when none is
// expected too: the two ends disagree about LIONCUB_SECRET).
bool decode(const uint8_t* body, size_t n, const Session& s, Request* r, std::string* why);
bool decode(const uint8_t* body, size_t n, const Session& s, Reply* r, std::string* why);

inline uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

}  // namespace lioncub::rendezvous::wire
