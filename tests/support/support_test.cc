// The forked-process harness itself (process.h, ranks.h): exit codes, signals, hangs, pipes with
// deadlines, and the messages run_ranks hands back for each way a rank can fail.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "common/clock.h"
#include "support/ranks.h"

namespace lioncub::test {
namespace {

TEST(Forked, ReapReturnsExitCodesSignalsAndTimeouts) {
  EXPECT_EQ(reap(spawn_status([] { return 7; })), 7);
  EXPECT_EQ(reap(spawn([] {})), 0);
  EXPECT_EQ(reap(spawn([] { throw std::runtime_error("expected in this test"); })), 1);
  EXPECT_EQ(reap(spawn([] { ::raise(SIGKILL); })), -SIGKILL);
  const double t0 = now_s();
  EXPECT_EQ(reap(spawn([] { ::pause(); }), 0.2), forked::kReapTimedOut);
  EXPECT_LT(now_s() - t0, 5.0);
  EXPECT_EQ(reap(::getpid(), 0.1), forked::kReapFailed);  // not a child
}

TEST(Forked, PipeCarriesBytesAndHonoursDeadlines) {
  forked::Pipe pipe;
  const pid_t child = spawn([&] {
    pipe.close_read();
    const char msg[] = "hello";
    pipe.write_all(msg, 5);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pipe.write_all("!", 1);
  });
  pipe.close_write();
  char got[6] = {};
  pipe.read_all(got, 5, 10.0);
  EXPECT_EQ(std::string(got, 5), "hello");
  EXPECT_EQ(pipe.read_to_end(), "!");
  EXPECT_EQ(reap(child), 0);
  char more = 0;
  EXPECT_FALSE(pipe.read_until(&more, 1, now_s() + 1.0));  // end of file, not a wait
  forked::Pipe silent;
  const double t0 = now_s();
  EXPECT_FALSE(silent.read_until(&more, 1, now_s() + 0.1));  // a writer that never writes
  EXPECT_GE(now_s() - t0, 0.09);
  EXPECT_THROW(silent.read_all(&more, 1, 0.05), std::runtime_error);
}

TEST(Forked, FreePortsAreLoopbackPorts) {
  const int port = free_port();
  EXPECT_GT(port, 0);
  EXPECT_EQ(loopback(port), "127.0.0.1:" + std::to_string(port));
}

TEST(Ranks, EachWayOfFailingHasItsMessage) {
  const auto errors = run_ranks({0, 1, 2, 3, 4}, [](int rank) -> std::string {
    switch (rank) {
      case 1: return "bad value";
      case 2: ::raise(SIGKILL); return "";
      case 3: ::pause(); return "";
      case 4: throw std::runtime_error("thrown");
      default: return "";
    }
  }, 2.0);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "rank 1: bad value");
  EXPECT_EQ(errors[2], "rank 2 killed by signal 9");
  EXPECT_EQ(errors[3], "rank 3 timed out (hang)");
  EXPECT_EQ(errors[4], "rank 4: exception: thrown");
}

TEST(Ranks, CommunicatorsJoinAndAgree) {
  const auto errors = run_with_comms(3, [](int rank, lioncubComm_t comm) -> std::string {
    int r = -1, n = 0;
    lioncubCommRank(comm, &r);
    lioncubCommSize(comm, &n);
    if (r != rank || n != 3) return "rank/size " + std::to_string(r) + "/" + std::to_string(n);
    float x = float(rank + 1);
    const lioncubResult_t rc =
        lioncubAllreduce(comm, lioncubAlgoFull, &x, &x, 1, lioncubFloat32, lioncubSum, nullptr, nullptr);
    if (rc != lioncubSuccess) return describe(rc);
    return x == 6.0f ? "" : "sum " + std::to_string(x);
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

}  // namespace
}  // namespace lioncub::test
