// lioncub-perf's command line (bench/perf/options.cc): nccl-tests' letters and long names, the
// size sequence, and clear errors for bad values and for the spellings that changed.
#include "perf/options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace lioncub::perf {
namespace {

Options parse(std::initializer_list<const char*> args) {
  std::vector<std::string> storage = {"lioncub-perf"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  return parse_options(int(argv.size()), argv.data());
}

TEST(PerfOptions, DefaultsAreNcclTestsWhereTheyShareAMeaning) {
  const Options o = parse({});
  EXPECT_EQ(o.average, 1);  // nccl-tests' default: mean over ranks
  EXPECT_EQ(o.check, 1);
  EXPECT_EQ(o.iters, 20);
  EXPECT_EQ(o.warmup, 5);
  EXPECT_EQ(o.algos.size(), 7u);
  EXPECT_EQ(table_sizes(o), (std::vector<std::uint64_t>{4096, 8192, 16384, 32768, 65536, 131072, 262144,
                                                        524288, 1048576, 2097152, 4194304, 8388608,
                                                        16777216, 33554432, 67108864}));
}

TEST(PerfOptions, ShortAndLongSpellingsAgree) {
  const Options s = parse({"-b", "1K", "-e", "8K", "-f", "2", "-n", "3", "-w", "0", "-c", "0", "-a", "2",
                           "-d", "float", "-o", "avg", "-T", "7", "-J", "x.json", "-A", "full,mean"});
  const Options l = parse({"--minbytes", "1K", "--maxbytes=8K", "--stepfactor", "2", "--iters", "3",
                           "--warmup_iters", "0", "--check", "0", "--average", "2", "--datatype", "float",
                           "--op", "avg", "--timeout", "7", "--output_file", "x.json", "--algo", "full,mean"});
  for (const Options* o : {&s, &l}) {
    EXPECT_EQ(o->min_bytes, 1024u);
    EXPECT_EQ(o->max_bytes, 8192u);
    EXPECT_EQ(o->iters, 3);
    EXPECT_EQ(o->warmup, 0);
    EXPECT_EQ(o->check, 0);
    EXPECT_EQ(o->average, 2);
    EXPECT_EQ(o->op, "avg");
    EXPECT_EQ(o->timeout_s, 7);
    EXPECT_EQ(o->output_file, "x.json");
    EXPECT_EQ(o->algos, (std::vector<std::string>{"full", "mean"}));
    EXPECT_EQ(table_sizes(*o), (std::vector<std::uint64_t>{1024, 2048, 4096, 8192}));
  }
  EXPECT_EQ(parse({"-b1K", "-e2K"}).max_bytes, 2048u);  // -xVALUE
}

TEST(PerfOptions, StepBytesAloneAddsAndSizesAreWholeElements) {
  const Options o = parse({"-b", "1000", "-e", "3100", "-i", "1000"});
  EXPECT_EQ(o.step_factor, 1);
  EXPECT_EQ(table_sizes(o), (std::vector<std::uint64_t>{1000, 2000, 3000}));
  EXPECT_EQ(table_sizes(parse({"-b", "1023", "-e", "1023"})), (std::vector<std::uint64_t>{1020}));
}

TEST(PerfOptions, OldSpellingsStillWorkOrSayTheNewOne) {
  EXPECT_EQ(parse({"--algos", "alltoall-vote"}).algos, (std::vector<std::string>{"alltoall-vote"}));
  EXPECT_EQ(parse({"--json", "y.json"}).output_file, "y.json");
  EXPECT_EXIT(parse({"-a", "full,alltoall-vote"}), testing::ExitedWithCode(2),
              "algorithms are chosen with -A/--algo full,alltoall-vote");
}

TEST(PerfOptions, BadValuesAreClearErrors) {
  EXPECT_EXIT(parse({"-b", "4Q"}), testing::ExitedWithCode(2), "-b wants a size");
  EXPECT_EXIT(parse({"-n", "x"}), testing::ExitedWithCode(2), "-n wants an integer");
  EXPECT_EXIT(parse({"-d", "half"}), testing::ExitedWithCode(2), "float only");
  EXPECT_EXIT(parse({"-o", "prod"}), testing::ExitedWithCode(2), "sum and avg only");
  EXPECT_EXIT(parse({"-A", "fastest"}), testing::ExitedWithCode(2), "unknown algorithm 'fastest'");
  EXPECT_EXIT(parse({"-b", "8K", "-e", "4K"}), testing::ExitedWithCode(2), "-b is larger than -e");
  EXPECT_EXIT(parse({"--frobnicate"}), testing::ExitedWithCode(2), "unknown option --frobnicate");
  EXPECT_EXIT(parse({"-n"}), testing::ExitedWithCode(2), "needs a value");
  EXPECT_EXIT(parse({"-f", "1"}), testing::ExitedWithCode(2), "-f must be > 1");
}

}  // namespace
}  // namespace lioncub::perf
