#include "rendezvous/wire.h"

#include <cstring>

namespace lioncub::rendezvous::wire {

namespace {

struct Writer {
  std::vector<uint8_t> b;
  void u8(uint8_t x) { b.push_back(x); }
  void un(uint64_t x, int bytes) {
    for (int i = 0; i < bytes; ++i) b.push_back(static_cast<uint8_t>(x >> (8 * i)));
  }
  void raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b.insert(b.end(), c, c + n);
  }
};

struct Reader {
  const uint8_t* p;
  size_t n;
  bool ok = true;
  uint64_t un(int bytes) {
    if (n < static_cast<size_t>(bytes)) return ok = false, 0;
    uint64_t x = 0;
    for (int i = 0; i < bytes; ++i) x |= uint64_t(p[i]) << (8 * i);
    p += bytes;
    n -= static_cast<size_t>(bytes);
    return x;
  }
  const uint8_t* take(size_t k) {
    if (n < k) return ok = false, nullptr;
    const uint8_t* r = p;
    p += k;
    n -= k;
    return r;
  }
};

crypto::Mac mac_of(const Session& s, char dir, const uint8_t* body, size_t n) {
  std::vector<uint8_t> m;
  m.reserve(1 + 2 * kNonce + n);
  m.push_back(static_cast<uint8_t>(dir));
  m.insert(m.end(), s.nc.begin(), s.nc.end());
  m.insert(m.end(), s.ns.begin(), s.ns.end());
  m.insert(m.end(), body, body + n);
  return crypto::hmac(s.key, m.data(), m.size());
}

std::vector<uint8_t> finish(Writer w, const Session& s, char dir) {
  if (s.auth) {
    const crypto::Mac m = mac_of(s, dir, w.b.data(), w.b.size());
    w.raw(m.data(), m.size());
  }
  Writer f;
  f.un(w.b.size(), 4);
  f.raw(w.b.data(), w.b.size());
  return std::move(f.b);
}

// Strips and checks the MAC; false with `why` on a mismatch or a disagreement about auth.
bool check_mac(const uint8_t* body, size_t* n, const Session& s, char dir, std::string* why) {
  const bool has = *n > 0 && (body[0] & kAuth) != 0;
  if (has != s.auth) {
    *why = s.auth ? "no authentication (this end has LIONCUB_SECRET set, the other has not)"
                  : "authenticated (the other end has LIONCUB_SECRET set, this one has not)";
    return false;
  }
  if (!s.auth) return true;
  if (*n < 1 + 32) return *why = "truncated", false;
  *n -= 32;
  const crypto::Mac m = mac_of(s, dir, body, *n);
  if (!crypto::equal(m.data(), body + *n, 32)) {
    *why = "failed authentication (LIONCUB_SECRET differs, or the message was altered or replayed)";
    return false;
  }
  return true;
}

}  // namespace

std::vector<uint8_t> encode(const Request& r, const Session& s) {
  Writer w;
  w.u8(static_cast<uint8_t>(r.op | (s.auth ? kAuth : 0)));
  w.un(r.seq, 8);
  w.un(r.key.size(), 2);
  w.raw(r.key.data(), r.key.size());
  w.un(r.a, 4);
  w.un(r.b, 4);
  w.un(r.value.size(), 4);
  w.raw(r.value.data(), r.value.size());
  return finish(std::move(w), s, 'Q');
}

std::vector<uint8_t> encode(const Reply& r, const Session& s) {
  Writer w;
  w.u8(static_cast<uint8_t>(r.status | (s.auth ? kAuth : 0)));
  w.un(r.seq, 8);
  w.un(r.value.size(), 4);
  w.raw(r.value.data(), r.value.size());
  return finish(std::move(w), s, 'R');
}

bool decode(const uint8_t* body, size_t n, const Session& s, Request* r, std::string* why) {
  if (!check_mac(body, &n, s, 'Q', why)) return false;
  Reader rd{body, n};
  r->op = static_cast<uint8_t>(rd.un(1) & ~kAuth);
  r->seq = rd.un(8);
  const size_t klen = rd.un(2);
  if (!rd.ok || klen > kMaxKey) return *why = "malformed request", false;
  const uint8_t* k = rd.take(klen);
  r->a = static_cast<uint32_t>(rd.un(4));
  r->b = static_cast<uint32_t>(rd.un(4));
  const size_t vlen = rd.un(4);
  const uint8_t* v = rd.take(vlen);
  if (!rd.ok || rd.n != 0 || r->op < kHello || r->op > kDone) {
    return *why = "malformed request", false;
  }
  r->key.assign(reinterpret_cast<const char*>(k), klen);
  r->value.assign(v, v + vlen);
  return true;
}

bool decode(const uint8_t* body, size_t n, const Session& s, Reply* r, std::string* why) {
  if (!check_mac(body, &n, s, 'R', why)) return false;
  Reader rd{body, n};
  r->status = static_cast<uint8_t>(rd.un(1) & ~kAuth);
  r->seq = rd.un(8);
  const size_t vlen = rd.un(4);
  const uint8_t* v = rd.take(vlen);
  if (!rd.ok || rd.n != 0) return *why = "malformed reply", false;
  if (r->status < kOk || r->status > kRefused) {
    return *why = "a reply status " + std::to_string(r->status) + " outside the protocol", false;
  }
  r->value.assign(v, v + vlen);
  return true;
}

}  // namespace lioncub::rendezvous::wire
