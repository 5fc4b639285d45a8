#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "handle.h"
#include "hello.h"

namespace lioncub::net {
namespace {

ListenHandle v4_handle() {
  ListenHandle h;
  auto* sin = reinterpret_cast<sockaddr_in*>(&h.addr);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(43210);
  inet_pton(AF_INET, "198.18.0.1", &sin->sin_addr);
  h.nonce = 0x0123456789abcdefull;
  return h;
}

TEST(Handle, RoundTripsIPv4AndFitsNcclLimit) {
  uint8_t buf[kHandleSize];
  encode_handle(v4_handle(), wire::MutableBytes(buf, sizeof(buf)));
  static_assert(kHandleSize <= 128);
  std::string why;
  auto h = decode_handle(wire::Bytes(buf, sizeof(buf)), &why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->nonce, 0x0123456789abcdefull);
  EXPECT_EQ(format_address(h->addr), "198.18.0.1:43210");
  for (size_t i = kHandleWireSize; i < kHandleSize; ++i) EXPECT_EQ(buf[i], 0) << i;
}

TEST(Handle, RoundTripsIPv6) {
  ListenHandle in;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&in.addr);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(7);
  sin6->sin6_scope_id = 3;
  inet_pton(AF_INET6, "fd00::2", &sin6->sin6_addr);
  in.nonce = 42;
  uint8_t buf[kHandleSize];
  encode_handle(in, wire::MutableBytes(buf, sizeof(buf)));
  auto h = decode_handle(wire::Bytes(buf, sizeof(buf)), nullptr);
  ASSERT_TRUE(h);
  EXPECT_EQ(format_address(h->addr), "[fd00::2]:7");
  EXPECT_EQ(reinterpret_cast<sockaddr_in6*>(&h->addr)->sin6_scope_id, 3u);
}

TEST(Handle, RejectsEverySingleByteCorruption) {
  uint8_t good[kHandleSize];
  encode_handle(v4_handle(), wire::MutableBytes(good, sizeof(good)));
  for (size_t i = 0; i < kHandleWireSize; ++i) {
    uint8_t bad[kHandleSize];
    std::memcpy(bad, good, sizeof(bad));
    bad[i] ^= 0x40;
    EXPECT_FALSE(decode_handle(wire::Bytes(bad, sizeof(bad)), nullptr)) << "byte " << i;
  }
}

TEST(Handle, RejectsShortAndRandomInput) {
  uint8_t buf[kHandleSize];
  encode_handle(v4_handle(), wire::MutableBytes(buf, sizeof(buf)));
  std::string why;
  EXPECT_FALSE(decode_handle(wire::Bytes(buf, kHandleWireSize - 1), &why));
  EXPECT_EQ(why, "handle too short");
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    EXPECT_FALSE(decode_handle(wire::Bytes(buf, sizeof(buf)), nullptr));
  }
}

Hello sample_hello() {
  Hello h;
  h.kind = StreamKind::kData;
  h.index = 3;
  h.streams = 8;
  h.min_chunk = 1 << 17;
  h.inline_max = 4096;
  h.nonce = 99;
  h.conn_id = 1234567;
  return h;
}

TEST(Hello, RoundTrips) {
  uint8_t buf[kHelloSize];
  encode_hello(sample_hello(), wire::MutableBytes(buf, sizeof(buf)));
  std::string why;
  auto h = parse_hello(wire::Bytes(buf, sizeof(buf)), &why);
  ASSERT_TRUE(h) << why;
  EXPECT_EQ(h->kind, StreamKind::kData);
  EXPECT_EQ(h->index, 3);
  EXPECT_EQ(h->streams, 8);
  EXPECT_EQ(h->min_chunk, 1u << 17);
  EXPECT_EQ(h->inline_max, 4096u);
  EXPECT_EQ(h->nonce, 99u);
  EXPECT_EQ(h->conn_id, 1234567u);
}

TEST(Hello, RejectsCorruptionAndBadFields) {
  uint8_t good[kHelloSize];
  encode_hello(sample_hello(), wire::MutableBytes(good, sizeof(good)));
  for (size_t i = 0; i < kHelloSize; ++i) {
    uint8_t bad[kHelloSize];
    std::memcpy(bad, good, sizeof(bad));
    bad[i] ^= 0x01;
    EXPECT_FALSE(parse_hello(wire::Bytes(bad, sizeof(bad)), nullptr)) << "byte " << i;
  }
  Hello h = sample_hello();
  h.index = 8;  // == streams
  uint8_t buf[kHelloSize];
  encode_hello(h, wire::MutableBytes(buf, sizeof(buf)));
  std::string why;
  EXPECT_FALSE(parse_hello(wire::Bytes(buf, sizeof(buf)), &why));
  EXPECT_EQ(why, "hello data index out of range");
  h = sample_hello();
  h.streams = 0;
  encode_hello(h, wire::MutableBytes(buf, sizeof(buf)));
  EXPECT_FALSE(parse_hello(wire::Bytes(buf, sizeof(buf)), nullptr));
  EXPECT_FALSE(parse_hello(wire::Bytes(good, kHelloSize - 1), nullptr));
}

TEST(Hello, CarriesJobAndMacFields) {
  Hello h = sample_hello();
  h.job_hash = 0x1122334455667788ull;
  h.hello_nonce = 42;
  h.authenticated = true;
  for (int i = 0; i < 32; ++i) h.mac[i] = static_cast<uint8_t>(i + 1);
  uint8_t buf[kHelloSize];
  encode_hello(h, wire::MutableBytes(buf, sizeof(buf)));
  std::string why;
  auto back = parse_hello(wire::Bytes(buf, sizeof(buf)), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->job_hash, h.job_hash);
  EXPECT_EQ(back->hello_nonce, 42u);
  EXPECT_TRUE(back->authenticated);
  EXPECT_EQ(std::memcmp(back->mac, h.mac, 32), 0);
  // A version-1 hello (the previous release) is named as such, from its first 6 bytes.
  buf[4] = 1;
  buf[5] = 0;
  EXPECT_FALSE(hello_prefix_ok(wire::Bytes(buf, 6), &why));
  EXPECT_NE(why.find("version"), std::string::npos) << why;
}

TEST(Hello, AckRoundTripsAndRejectsJunk) {
  Ack a;
  a.status = AckStatus::kOtherJob;
  a.conn_id = 77;
  a.job_hash = 5;
  uint8_t buf[kAckSize];
  encode_ack(a, wire::MutableBytes(buf, sizeof(buf)));
  std::string why;
  auto back = parse_ack(wire::Bytes(buf, sizeof(buf)), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->status, AckStatus::kOtherJob);
  EXPECT_EQ(back->conn_id, 77u);
  EXPECT_EQ(back->job_hash, 5u);
  EXPECT_FALSE(parse_ack(wire::Bytes(buf, kAckSize - 1), &why));
  buf[6] = 3;  // unknown status
  EXPECT_FALSE(parse_ack(wire::Bytes(buf, sizeof(buf)), &why));
  buf[6] = 0;
  buf[0] ^= 1;
  EXPECT_FALSE(parse_ack(wire::Bytes(buf, sizeof(buf)), &why));
}

}  // namespace
}  // namespace lioncub::net
