// The bucket layout and the momentum-sync schedule of the optimizer step (optimizer/layout.h).
#include <gtest/gtest.h>

#include "optimizer/layout.h"

namespace lioncub::lion {
namespace {

TEST(LionLayout, BucketsCoverTheSpaceAndCutAtTensorsAndBlocks) {
  const std::vector<size_t> sizes = {100, 0, 37, 500, 363};
  for (size_t block : {size_t(0), size_t(64)}) {
    for (size_t bucket : {size_t(64), size_t(128), size_t(1024)}) {
      const auto buckets = make_buckets(sizes, bucket, block);
      size_t next_apply = 0, next_encode = 0;
      for (const Bucket& b : buckets) {
        EXPECT_EQ(b.begin % bucket, 0u);
        for (const Piece& p : b.apply_pieces) {
          EXPECT_EQ(p.flat, next_apply);
          EXPECT_GT(p.len, 0u);
          next_apply += p.len;
        }
        for (const Piece& p : b.encode_pieces) {
          EXPECT_EQ(p.flat, next_encode);
          if (block) {  // one piece never spans a block boundary it did not start on
            EXPECT_TRUE(p.flat % block == 0 || (p.flat + p.len - 1) / block == p.flat / block);
          }
          next_encode += p.len;
        }
        EXPECT_EQ(next_apply, b.end);
      }
      EXPECT_EQ(next_apply, 1000u);
    }
  }
  EXPECT_EQ(bucket_elements(100, 4, 32), 32u);  // rounded up to one word
  EXPECT_EQ(bucket_elements(1000, 4, 32), 224u);
  EXPECT_EQ(bucket_elements(1 << 20, 2, 1024), 524288u);
}

TEST(LionSchedule, EveryKAndExponential) {
  Schedule every{lioncubSyncEvery, 3, 1.0};
  SchedulePos pos;
  std::vector<uint64_t> fired;
  for (uint64_t s = 0; s < 10; ++s) {
    if (sync_fires(every, s, &pos)) fired.push_back(s);
  }
  EXPECT_EQ(fired, (std::vector<uint64_t>{2, 5, 8}));
  // T0 = 0, T(j+1) = T(j) + ceil(2^(j/k)), k = 2: 0, 1, 3, 5, 8, 12, 18, 26
  Schedule expo{lioncubSyncExponential, 1, 2.0};
  pos = SchedulePos{};
  fired.clear();
  for (uint64_t s = 0; s < 23; ++s) {
    if (sync_fires(expo, s, &pos)) fired.push_back(s);
  }
  EXPECT_EQ(fired, (std::vector<uint64_t>{0, 1, 3, 5, 8, 12, 18}));
  Schedule never{};
  EXPECT_FALSE(sync_fires(never, 0, &pos));
}

}  // namespace
}  // namespace lioncub::lion
