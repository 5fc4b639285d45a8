#include <gtest/gtest.h>

#include <vector>

#include "message.h"

namespace lioncub::net {
namespace {

TEST(Control, ParsesHeaderAndInlinePayload) {
  std::vector<uint8_t> buf(kControlSize + 100);
  encode_control(ControlMsg{100, -5}, wire::MutableBytes(buf.data(), kControlSize));
  // Incomplete inputs ask for more.
  for (size_t n = 0; n < buf.size(); ++n) {
    EXPECT_EQ(parse_control(wire::Bytes(buf.data(), n), 128).status, ParseStatus::kNeedMore) << n;
  }
  ControlParse p = parse_control(wire::Bytes(buf.data(), buf.size()), 128);
  ASSERT_EQ(p.status, ParseStatus::kOk);
  EXPECT_EQ(p.msg.size, 100u);
  EXPECT_EQ(p.msg.tag, -5);
  EXPECT_EQ(p.consumed, kControlSize + 100);
  // Above the inline limit only the header is consumed.
  p = parse_control(wire::Bytes(buf.data(), kControlSize), 99);
  ASSERT_EQ(p.status, ParseStatus::kOk);
  EXPECT_EQ(p.consumed, kControlSize);
}

TEST(Control, RejectsCorruptAndOversized) {
  uint8_t buf[kControlSize];
  encode_control(ControlMsg{1, 0}, wire::MutableBytes(buf, sizeof(buf)));
  buf[13] ^= 1;
  EXPECT_EQ(parse_control(wire::Bytes(buf, sizeof(buf)), 0).status, ParseStatus::kError);
  encode_control(ControlMsg{kMaxMessageBytes + 1, 0}, wire::MutableBytes(buf, sizeof(buf)));
  EXPECT_EQ(parse_control(wire::Bytes(buf, sizeof(buf)), 0).status, ParseStatus::kError);
  encode_control(ControlMsg{kMaxMessageBytes, 0}, wire::MutableBytes(buf, sizeof(buf)));
  EXPECT_EQ(parse_control(wire::Bytes(buf, sizeof(buf)), 0).status, ParseStatus::kOk);
}

struct Chunk {
  uint32_t stream;
  uint64_t off, len;
};

std::vector<Chunk> chunks(uint64_t size, uint64_t seq, uint32_t streams, uint64_t min_chunk) {
  std::vector<Chunk> out;
  for_each_chunk(size, seq, streams, min_chunk,
                 [&](uint32_t s, uint64_t o, uint64_t l) { out.push_back({s, o, l}); });
  return out;
}

TEST(Striping, CoversEveryByteOnceInOrder) {
  for (uint64_t size : {1ull, 127ull, 65535ull, 65536ull, 65537ull, 4ull << 20, (64ull << 20) + 3}) {
    for (uint32_t streams : {1u, 3u, 8u}) {
      auto c = chunks(size, 5, streams, 64 << 10);
      uint64_t next = 0;
      for (const Chunk& ch : c) {
        EXPECT_EQ(ch.off, next);
        EXPECT_GT(ch.len, 0u);
        EXPECT_LT(ch.stream, streams);
        next += ch.len;
      }
      EXPECT_EQ(next, size);
      EXPECT_LE(c.size(), streams);  // chunk >= size / streams: at most one chunk per stream
    }
  }
  EXPECT_TRUE(chunks(0, 0, 8, 1 << 16).empty());
}

TEST(Striping, ChunkIsMaxOfMinimumAndShareAndRotatesWithSequence) {
  auto c = chunks(64 << 20, 0, 8, 64 << 10);
  ASSERT_EQ(c.size(), 8u);
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].len, 8u << 20);
    EXPECT_EQ(c[i].stream, i);
  }
  c = chunks(100 << 10, 3, 8, 64 << 10);  // two chunks: 64 KiB then 36 KiB
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].len, 64u << 10);
  EXPECT_EQ(c[0].stream, 3u);
  EXPECT_EQ(c[1].stream, 4u);
  c = chunks(1000, 9, 8, 64 << 10);  // small: one chunk, stream rotates with the message number
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].stream, 1u);
}

}  // namespace
}  // namespace lioncub::net
