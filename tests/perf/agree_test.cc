// bench/support/agree.h: every rank's 64-bit words arrive exactly on every rank (all bit
// patterns, doubles bit for bit, host names), from one allreduce; forked ranks (tests/support).
#include "support/agree.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/ranks.h"

namespace lioncub::test {
namespace {

std::vector<std::uint64_t> words_of(int rank) {
  return {~std::uint64_t(0), std::uint64_t(0), splitmix64(std::uint64_t(rank)),
          bench::double_word(-0.0), bench::double_word(1e-310 * (rank + 1)),  // a subnormal
          bench::double_word(std::numeric_limits<double>::quiet_NaN()),
          std::uint64_t(0x8000000000000001ull) ^ std::uint64_t(rank)};
}

TEST(Agree, EveryRanksWordsArriveExactly) {
  for (int P : {1, 2, 3}) {
    const auto errors = run_with_comms(P, [&](int rank, lioncubComm_t comm) -> std::string {
      std::vector<std::vector<std::uint64_t>> all;
      const std::string host = "rank-" + std::to_string(rank) + "-host-with-a-long-name-cut-here";
      std::vector<std::uint64_t> mine = words_of(rank);
      const auto name = bench::string_words(host, 4);
      mine.insert(mine.end(), name.begin(), name.end());
      const lioncubResult_t rc = bench::allgather_words(comm, mine, &all);
      if (rc != lioncubSuccess) return describe(rc);
      if (int(all.size()) != P) return "got " + std::to_string(all.size()) + " ranks";
      for (int r = 0; r < P; ++r) {
        const auto want = words_of(r);
        for (std::size_t i = 0; i < want.size(); ++i)
          if (all[r][i] != want[i]) return "rank " + std::to_string(r) + " word " + std::to_string(i);
        const std::string got = bench::words_string(all[r], want.size(), 4);
        if (got != ("rank-" + std::to_string(r) + "-host-with-a-long-name-cut-here").substr(0, 32))
          return "host name " + got;
      }
      if (bench::word_double(all[0][4]) != 1e-310 || !std::signbit(bench::word_double(all[0][3])))
        return "doubles changed";
      std::vector<std::vector<std::uint64_t>> none;  // the empty gather: a barrier
      if (bench::allgather_words(comm, {}, &none) != lioncubSuccess || int(none.size()) != P) return "barrier";
      return "";
    });
    for (const auto& e : errors) EXPECT_EQ(e, "") << "P = " << P;
  }
}

}  // namespace
}  // namespace lioncub::test
