// lioncub-perf's arithmetic (bench/perf/perf_math.h) against values computed by hand.
#include "perf/perf_math.h"

#include <gtest/gtest.h>

namespace lioncub::perf {
namespace {

TEST(PerfMath, BusbwFactorIsNcclTestsAllreduceFactor) {
  EXPECT_DOUBLE_EQ(busbw_factor(1), 0.0);
  EXPECT_DOUBLE_EQ(busbw_factor(2), 1.0);    // 2 * 1 / 2
  EXPECT_DOUBLE_EQ(busbw_factor(4), 1.5);    // 2 * 3 / 4
  EXPECT_DOUBLE_EQ(busbw_factor(8), 1.75);   // 2 * 7 / 8
  EXPECT_DOUBLE_EQ(busbw_factor(16), 1.875); // 2 * 15 / 16
}

TEST(PerfMath, AlgbwAndBusbw) {
  // 64 MiB in 0.1 s: 671088640 B/s = 0.67108864 GB/s; P = 4: busbw = 1.5 x.
  EXPECT_NEAR(algbw_gbs(64.0 * 1024 * 1024, 0.1), 0.67108864, 1e-12);
  EXPECT_NEAR(busbw_gbs(64.0 * 1024 * 1024, 0.1, 4), 1.00663296, 1e-12);
  // nccl-tests' own example shape: 1 GB in 1 s on 8 ranks -> algbw 1, busbw 1.75.
  EXPECT_DOUBLE_EQ(algbw_gbs(1e9, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(busbw_gbs(1e9, 1.0, 8), 1.75);
  EXPECT_EQ(algbw_gbs(1e9, 0.0), 0.0);
}

TEST(PerfMath, LinkEfficiency) {
  // 6 MiB over 1 Gbit/s (125e6 B/s) needs 0.050331648 s; taking 0.1 s is 0.50331648 of the link.
  EXPECT_NEAR(link_efficiency(6.0 * 1024 * 1024, 125e6, 0.1), 0.50331648, 1e-12);
  EXPECT_EQ(link_efficiency(1000, 0, 1), 0.0);   // unknown link
  EXPECT_EQ(link_efficiency(1000, 125e6, 0), 0.0);
}

TEST(PerfMath, RatesInTcUnits) {
  EXPECT_DOUBLE_EQ(*parse_rate("1gbit"), 125e6);
  EXPECT_DOUBLE_EQ(*parse_rate("100mbit"), 12.5e6);
  EXPECT_DOUBLE_EQ(*parse_rate("10gbit"), 1.25e9);
  EXPECT_DOUBLE_EQ(*parse_rate("2500mbit"), 312.5e6);
  EXPECT_DOUBLE_EQ(*parse_rate("800"), 100.0);      // bare number: bit/s
  EXPECT_DOUBLE_EQ(*parse_rate("125mbps"), 125e6);  // tc's bps: bytes/s
  EXPECT_DOUBLE_EQ(*parse_rate("1Gbit"), 125e6);
  EXPECT_DOUBLE_EQ(*parse_rate("1kibit"), 128.0);
  EXPECT_FALSE(parse_rate(""));
  EXPECT_FALSE(parse_rate("fast"));
  EXPECT_FALSE(parse_rate("0gbit"));
  EXPECT_FALSE(parse_rate("1gbyte"));
}

TEST(PerfMath, SizesLikeNcclTests) {
  EXPECT_EQ(*parse_size("4096"), 4096u);
  EXPECT_EQ(*parse_size("4K"), 4096u);
  EXPECT_EQ(*parse_size("64M"), 64u << 20);
  EXPECT_EQ(*parse_size("1G"), 1u << 30);
  EXPECT_FALSE(parse_size("x"));
  EXPECT_FALSE(parse_size("4Q"));
}

TEST(PerfMath, TimeOverRanksAsNcclTestsAverage) {
  const std::vector<double> t = {3.0, 1.0, 8.0, 4.0};
  EXPECT_DOUBLE_EQ(combine_times(t, 0), 3.0);  // rank 0
  EXPECT_DOUBLE_EQ(combine_times(t, 1), 4.0);  // mean: nccl-tests' default
  EXPECT_DOUBLE_EQ(combine_times(t, 2), 1.0);
  EXPECT_DOUBLE_EQ(combine_times(t, 3), 8.0);
  EXPECT_DOUBLE_EQ(combine_times({2.5}, 1), 2.5);
  EXPECT_EQ(combine_times({}, 1), 0.0);
}

TEST(PerfMath, ColumnNumbersNeverOverflowTheColumn) {
  EXPECT_EQ(column_number(12.345, 7), "  12.35");
  EXPECT_EQ(column_number(0.0, 6), "  0.00");
  EXPECT_EQ(column_number(1234.5, 6), "1234.5");    // one decimal when two do not fit
  EXPECT_EQ(column_number(123456.7, 6), "123457");  // none
  EXPECT_EQ(column_number(12345678.0, 7), "1.2e+07");
  EXPECT_EQ(column_number(1234567.0, 6), " 1e+06");
  for (double v : {0.0, 1e-9, 3.14159, 99999.99, 1e12}) {
    EXPECT_EQ(column_number(v, 7).size(), 7u) << v;
    EXPECT_EQ(column_number(v, 6).size(), 6u) << v;
  }
}

}  // namespace
}  // namespace lioncub::perf
