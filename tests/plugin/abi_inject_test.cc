// Faults injected in the transport (LIONCUB_NET_FAULT, plugin/fault.h): short reads and writes
// of every size, a chunk delayed past later chunks on other streams, a stream that stalls past
// the timeout, a stream reset after N bytes. Recoverable faults: every byte identical to the
// reference, 50 consecutive runs each. Fatal ones: an error on both ends within twice the
// timeout, never a completed receive with wrong bytes, never a hang.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace lioncub::test {
namespace {

using namespace abi;

// Sets variables for one scope, restoring what was there before.
class Env {
 public:
  Env& set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.push_back({name, old ? std::optional<std::string>(old) : std::nullopt});
    ::setenv(name, value.c_str(), 1);
    return *this;
  }
  ~Env() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) {
        ::setenv(it->first, it->second->c_str(), 1);
      } else {
        ::unsetenv(it->first);
      }
    }
  }

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

// Small stripes so that modest messages use every stream: 4 data streams, 4 KiB chunks,
// payloads above 512 bytes on the data streams.
void small_stripes(Env& env) {
  env.set("LIONCUB_NET_STREAMS", "4").set("LIONCUB_NET_MIN_CHUNK", "4096").set("LIONCUB_NET_INLINE", "512");
}

struct Outcome {
  std::vector<bool> recv_done;      // receive i completed successfully
  std::vector<bool> send_done;
  std::vector<int> recv_order;      // indices of receives in completion order
  ncclResult_t send_error = ncclSuccess;
  ncclResult_t recv_error = ncclSuccess;
  double send_error_s = -1, recv_error_s = -1;  // seconds from the first post to the first error
  int wrong = 0;                    // receives that completed with wrong size or bytes
  bool hung = false;                // not finished (done or failed) before the deadline
};

// One connection in this process; all receives (tag i) and sends of `sizes` posted at once, then
// polled until each is done or failed. The comm that fails first is closed at once (as NCCL
// would abort), so that its peer sees the connection go.
Outcome exchange(const std::vector<size_t>& sizes, uint64_t seed, double deadline_s) {
  driver::Context ctx(net());
  LocalPair pair = connect_locally(ctx.get());
  const size_t n = sizes.size();
  std::vector<std::vector<uint8_t>> out(n), in(n);
  std::vector<void*> sreq(n, nullptr), rreq(n, nullptr);
  Outcome o;
  o.recv_done.assign(n, false);
  o.send_done.assign(n, false);
  const double start = driver::now_s();
  for (size_t i = 0; i < n; ++i) {
    in[i].assign(sizes[i] + 16, 0xee);
    void* data = in[i].data();
    size_t size = in[i].size();
    int tag = static_cast<int>(i);
    try {
      rreq[i] = driver::irecv(net(), pair.recv_comm, 1, &data, &size, &tag, nullptr, kTimeout);
    } catch (const driver::DriverError& e) {  // the fault may strike while posting
      if (o.recv_error == ncclSuccess) {
        o.recv_error = static_cast<ncclResult_t>(e.code);
        o.recv_error_s = driver::now_s() - start;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    out[i].resize(sizes[i]);
    driver::fill_pattern(out[i].data(), sizes[i], seed + i);
    try {
      sreq[i] = driver::isend(net(), pair.send_comm, out[i].data(), sizes[i], static_cast<int>(i),
                              nullptr, kTimeout);
    } catch (const driver::DriverError& e) {
      if (o.send_error == ncclSuccess) {
        o.send_error = static_cast<ncclResult_t>(e.code);
        o.send_error_s = driver::now_s() - start;
      }
    }
  }
  size_t left = 0;
  for (size_t i = 0; i < n; ++i) left += (sreq[i] != nullptr) + (rreq[i] != nullptr);
  while (left > 0) {
    const double now = driver::now_s() - start;
    if (now > deadline_s) {
      o.hung = true;
      break;
    }
    for (size_t i = 0; i < n; ++i) {
      if (sreq[i] != nullptr) {
        int done = 0;
        const ncclResult_t rc = net()->test(sreq[i], &done, nullptr);
        if (rc != ncclSuccess || done) {
          sreq[i] = nullptr;
          --left;
          if (rc == ncclSuccess) {
            o.send_done[i] = true;
          } else if (o.send_error == ncclSuccess) {
            o.send_error = rc;
            o.send_error_s = now;
          }
        }
      }
      if (rreq[i] != nullptr) {
        int done = 0, size = -1;
        const ncclResult_t rc = net()->test(rreq[i], &done, &size);
        if (rc != ncclSuccess || done) {
          rreq[i] = nullptr;
          --left;
          if (rc == ncclSuccess) {
            o.recv_done[i] = true;
            o.recv_order.push_back(static_cast<int>(i));
            if (size != static_cast<int>(sizes[i]) ||
                driver::check_pattern(in[i].data(), sizes[i], seed + i) != -1 ||
                in[i][sizes[i]] != 0xee) {
              ++o.wrong;
            }
          } else if (o.recv_error == ncclSuccess) {
            o.recv_error = rc;
            o.recv_error_s = now;
          }
        }
      }
    }
    // A failed end is closed at once (its requests with it), as NCCL aborts a failed comm.
    if (o.send_error != ncclSuccess && pair.send_comm != nullptr) {
      net()->closeSend(pair.send_comm);
      pair.send_comm = nullptr;
      for (void*& r : sreq) {
        if (r != nullptr) --left;
        r = nullptr;
      }
    }
    if (o.recv_error != ncclSuccess && pair.recv_comm != nullptr) {
      net()->closeRecv(pair.recv_comm);
      pair.recv_comm = nullptr;
      for (void*& r : rreq) {
        if (r != nullptr) --left;
        r = nullptr;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  close_locally(pair);
  return o;
}

// Sizes around the inline limit (512), the stripe chunk (4 KiB x 4 streams) and odd ones.
const std::vector<size_t> kSizes = {0, 1, 511, 512, 513, 4095, 4096, 4097, 12289, 16384, 65537, 100003};

bool all_true(const std::vector<bool>& v) {
  for (bool b : v) {
    if (!b) return false;
  }
  return true;
}

TEST(AbiInject, ShortReadsAndWritesOfEverySizeKeepEveryByte) {
  const uint64_t maxes[] = {3, 17, 100, 4096, 70000};
  for (int run = 0; run < 50; ++run) {
    Env env;
    small_stripes(env);
    const uint64_t max = maxes[run % 5];
    env.set("LIONCUB_NET_FAULT", "short:max=" + std::to_string(max) + ",seed=" + std::to_string(run));
    Outcome o = exchange(kSizes, 1000 + run, 20.0);
    ASSERT_FALSE(o.hung) << "run " << run;
    EXPECT_EQ(o.send_error, ncclSuccess) << "run " << run;
    EXPECT_EQ(o.recv_error, ncclSuccess) << "run " << run;
    EXPECT_EQ(o.wrong, 0) << "run " << run;
    ASSERT_TRUE(all_true(o.recv_done) && all_true(o.send_done)) << "run " << run << " max " << max;
  }
}

// Message 0 (1000 bytes: one chunk, on data stream 0) is held; messages 1..3 (one chunk each,
// on streams 1..3) overtake it; the large ones behind use every stream.
TEST(AbiInject, ChunkDelayedPastLaterChunksOnOtherStreams) {
  const std::vector<size_t> sizes = {1000, 1000, 1000, 1000, 65537, 4097, 300000};
  for (int run = 0; run < 50; ++run) {
    Env env;
    small_stripes(env);
    const char* side = run % 2 ? "recv" : "send";
    env.set("LIONCUB_NET_FAULT", std::string("delay:side=") + side + ",stream=0,ms=25");
    Outcome o = exchange(sizes, 2000 + run, 20.0);
    ASSERT_FALSE(o.hung) << "run " << run;
    EXPECT_EQ(o.send_error, ncclSuccess) << "run " << run;
    EXPECT_EQ(o.recv_error, ncclSuccess) << "run " << run;
    EXPECT_EQ(o.wrong, 0) << "run " << run;
    ASSERT_TRUE(all_true(o.recv_done) && all_true(o.send_done)) << "run " << run;
    // The delay happened: message 0 completed after the ones on the other streams.
    ASSERT_GE(o.recv_order.size(), 4u);
    EXPECT_NE(o.recv_order[0], 0) << "run " << run << " (" << side << ")";
  }
}

// Short I/O, delays on two streams and staging (receives posted late) together.
TEST(AbiInject, ShortIoAndDelaysTogether) {
  for (int run = 0; run < 10; ++run) {
    Env env;
    small_stripes(env);
    env.set("LIONCUB_NET_FAULT", "short:max=300,seed=" + std::to_string(run) +
                                     ";delay:stream=1,ms=5;delay:side=recv,stream=c,ms=2,every=3");
    Outcome o = exchange(kSizes, 3000 + run, 20.0);
    ASSERT_FALSE(o.hung) << "run " << run;
    EXPECT_EQ(o.wrong, 0);
    ASSERT_TRUE(all_true(o.recv_done) && all_true(o.send_done)) << "run " << run;
  }
}

constexpr int kStallMs = 300;

struct FatalCase {
  std::string spec;
  bool stall;  // else reset
};

// Unrecoverable: the faulted end fails (stall: after the stall timeout; reset: at once), the
// other end fails once the faulted one is closed; no receive completes with wrong bytes.
void expect_clear_error(const FatalCase& c, int runs) {
  for (int run = 0; run < runs; ++run) {
    Env env;
    small_stripes(env);
    env.set("LIONCUB_NET_TIMEOUT_MS", std::to_string(kStallMs)).set("LIONCUB_NET_FAULT", c.spec);
    Outcome o = exchange(kSizes, 4000 + run, 10.0);
    SCOPED_TRACE(c.spec + ", run " + std::to_string(run));
    ASSERT_FALSE(o.hung);
    EXPECT_EQ(o.wrong, 0);
    EXPECT_FALSE(all_true(o.recv_done)) << "every receive completed despite the fault";
    EXPECT_NE(o.recv_error, ncclSuccess);
    // The first error on either end, and the second end after the first was closed.
    double first = 1e9, last = 0;
    for (double t : {o.send_error_s, o.recv_error_s}) {
      if (t < 0) continue;
      first = std::min(first, t);
      last = std::max(last, t);
    }
    const double bound = c.stall ? 2.0 * kStallMs / 1000.0 : 1.0;
    EXPECT_LT(first, bound);
    EXPECT_LT(last, bound + 1.0);
    for (ncclResult_t rc : {o.send_error, o.recv_error}) {
      if (rc != ncclSuccess) {
        EXPECT_EQ(rc, ncclRemoteError);
      }
    }
  }
}

TEST(AbiInject, StreamStalledPastTheTimeoutFailsBothEnds) {
  for (const FatalCase& c : std::vector<FatalCase>{
           {"stall:side=send,stream=1,after=5000", true},
           {"stall:side=recv,stream=2,after=1", true},
           {"stall:side=send,stream=c,after=21", true},   // inside the second control header
           {"stall:side=recv,stream=0,after=0", true}}) {
    expect_clear_error(c, 3);
  }
}

TEST(AbiInject, StreamResetAfterNBytesFailsBothEnds) {
  for (const FatalCase& c : std::vector<FatalCase>{
           {"reset:side=send,stream=c,after=5", false},   // inside the first control header
           {"reset:side=send,stream=c,after=600", false}, // inside an inline payload
           {"reset:side=send,stream=0,after=1", false},
           {"reset:side=send,stream=3,after=8191", false},
           {"reset:side=recv,stream=c,after=0", false},
           {"reset:side=recv,stream=1,after=4097", false}}) {
    expect_clear_error(c, 5);
  }
}

TEST(AbiInject, BadSpecIsIgnoredWithAWarning) {
  Env env;
  small_stripes(env);
  env.set("LIONCUB_NET_FAULT", "explode:stream=0");
  Outcome o = exchange(kSizes, 5000, 20.0);
  EXPECT_FALSE(o.hung);
  EXPECT_EQ(o.wrong, 0);
  EXPECT_TRUE(all_true(o.recv_done) && all_true(o.send_done));
}

}  // namespace
}  // namespace lioncub::test
