// Messages that arrive before their receive is posted (one tag running ahead of another, as
// with NCCL's grouped receives on shared comms) must not block the messages behind them: the
// receiver stages them (plugin/comm.cc) and delivers them, in per-tag order, to later receives.
// Two processes: the forked child sends, this process receives; every byte is checked.
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <random>
#include <thread>
#include <vector>

#include "harness.h"

namespace lioncub::test {
namespace {

using abi::ncclSuccess;
constexpr double kFast = 10.0;  // seconds: these tests must finish well within a few

std::vector<uint8_t> patterned(size_t size, uint64_t seed) {
  std::vector<uint8_t> v(size);
  driver::fill_pattern(v.data(), size, seed);
  return v;
}

// The sender waits for one byte on `go` (receives posted) before sending `tags`/`sizes` in order;
// message i carries pattern seed i.
void run_ordered(const std::vector<int>& tags, const std::vector<size_t>& sizes,
                 const std::function<void(void* rc, Pipe& go)>& receiver) {
  Pipe handle_pipe;
  Pipe go;
  pid_t child = spawn([&] {
    driver::Context ctx(net());
    driver::Handle h = handle_pipe.receive_handle();
    void* sc = driver::connect(net(), ctx.get(), 0, &h, kTimeout);
    uint8_t byte = 0;
    go.read_all(&byte, 1);
    std::vector<std::vector<uint8_t>> bufs;
    std::vector<void*> reqs;
    for (size_t i = 0; i < tags.size(); ++i) bufs.push_back(patterned(sizes[i], i));
    for (size_t i = 0; i < tags.size(); ++i) {
      reqs.push_back(driver::isend(net(), sc, bufs[i].data(), bufs[i].size(), tags[i], nullptr, kFast));
    }
    for (void* r : reqs) driver::wait(net(), r, 1, kFast);
    // Stay connected until the receiver has everything (closing early is also legal, but the
    // receiver's checks are clearer without it).
    go.read_all(&byte, 1);
    driver::check(net()->closeSend(sc), "closeSend");
  });
  {
    driver::Context ctx(net());
    driver::Handle h;
    void* lc = driver::listen(net(), ctx.get(), 0, &h);
    handle_pipe.send_handle(h);
    void* rc = driver::accept(net(), lc, kTimeout);
    receiver(rc, go);
    const uint8_t done = 1;
    go.write_all(&done, 1);
    EXPECT_EQ(net()->closeRecv(rc), ncclSuccess);
    EXPECT_EQ(net()->closeListen(lc), ncclSuccess);
  }
  EXPECT_EQ(reap(child), 0);
}

struct Grouped {
  std::vector<std::vector<uint8_t>> bufs;
  void* req = nullptr;
};

Grouped post(void* rc, const std::vector<int>& tags, size_t capacity) {
  Grouped g;
  const int n = static_cast<int>(tags.size());
  std::vector<void*> data;
  std::vector<size_t> sizes;
  std::vector<int> t = tags;
  for (int i = 0; i < n; ++i) {
    g.bufs.emplace_back(capacity, 0xee);
    data.push_back(g.bufs.back().data());
    sizes.push_back(capacity);
  }
  g.req = driver::irecv(net(), rc, n, data.data(), sizes.data(), t.data(), nullptr, kFast);
  return g;
}

bool done_now(void* req, std::vector<int>* sizes) {
  int done = 0;
  EXPECT_EQ(net()->test(req, &done, sizes->data()), ncclSuccess);
  return done != 0;
}

// The reviewer's repro: two grouped receives {1, 2}; tag 1 runs ahead by one step.
TEST(AbiStaging, TagRunningAheadDoesNotBlockGroupedReceive) {
  const size_t kSize = 1 << 20;  // striped, not inline
  //                  msg: 0  1  2  3  4  5
  const std::vector<int> tags = {1, 1, 1, 2, 2, 2};
  const std::vector<size_t> sizes(tags.size(), kSize);
  run_ordered(tags, sizes, [&](void* rc, Pipe& go) {
    Grouped a = post(rc, {1, 2}, kSize);
    Grouped b = post(rc, {1, 2}, kSize);
    const uint8_t byte = 1;
    go.write_all(&byte, 1);
    auto got = driver::wait(net(), a.req, 2, kFast);  // hung before staging existed
    EXPECT_EQ(got, (std::vector<int>{int(kSize), int(kSize)}));
    EXPECT_EQ(driver::check_pattern(a.bufs[0].data(), kSize, 0), -1);
    EXPECT_EQ(driver::check_pattern(a.bufs[1].data(), kSize, 3), -1);
    got = driver::wait(net(), b.req, 2, kFast);
    EXPECT_EQ(driver::check_pattern(b.bufs[0].data(), kSize, 1), -1);
    EXPECT_EQ(driver::check_pattern(b.bufs[1].data(), kSize, 4), -1);
    // Message 2 (tag 1) was staged; a late receive gets it, with message 5.
    Grouped c = post(rc, {1, 2}, kSize);
    got = driver::wait(net(), c.req, 2, kFast);
    EXPECT_EQ(driver::check_pattern(c.bufs[0].data(), kSize, 2), -1);
    EXPECT_EQ(driver::check_pattern(c.bufs[1].data(), kSize, 5), -1);
  });
}

// Several tags, sizes 0..4 MiB, interleaved at random; receives are grouped (one slot per
// tag), posted late and at most a few deep, like NCCL's proxy at maxDepth.
TEST(AbiStaging, RandomInterleavingWithLateGroupedReceives) {
  constexpr int kTags = 5;
  constexpr int kSteps = 10;
  constexpr int kDepth = 3;
  std::mt19937_64 rng(20240611);
  std::vector<std::vector<size_t>> size_of(kTags, std::vector<size_t>(kSteps));
  const size_t picks[] = {0, 1, 4096, 4097, 131073, 1u << 20, 4u << 20};
  for (auto& per_tag : size_of) {
    for (size_t& s : per_tag) {
      s = rng() % 3 == 0 ? picks[rng() % 7] : static_cast<size_t>(rng() % ((4u << 20) + 1));
    }
  }
  // Random interleaving that keeps each tag's own order: message i is tag tags[i], step step[i].
  std::vector<int> tags, step;
  std::vector<size_t> sizes;
  std::vector<int> next(kTags, 0);
  for (int left = kTags * kSteps; left > 0; --left) {
    int t;
    do t = static_cast<int>(rng() % kTags); while (next[t] == kSteps);
    tags.push_back(t);
    step.push_back(next[t]);
    sizes.push_back(size_of[t][next[t]++]);
  }
  std::vector<std::vector<int>> msg_of(kTags, std::vector<int>(kSteps));
  for (size_t i = 0; i < tags.size(); ++i) msg_of[tags[i]][step[i]] = static_cast<int>(i);

  const double t0 = driver::now_s();
  run_ordered(tags, sizes, [&](void* rc, Pipe& go) {
    const uint8_t byte = 1;
    go.write_all(&byte, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // everything sent: late posts
    std::vector<int> all_tags(kTags);
    for (int t = 0; t < kTags; ++t) all_tags[t] = t;
    std::deque<Grouped> in_flight;
    int posted = 0;
    for (int s = 0; s < kSteps; ++s) {
      while (posted < kSteps && posted < s + kDepth) {
        in_flight.push_back(post(rc, all_tags, 4u << 20));
        ++posted;
      }
      Grouped g = std::move(in_flight.front());
      in_flight.pop_front();
      auto got = driver::wait(net(), g.req, kTags, kFast);
      for (int t = 0; t < kTags; ++t) {
        const int m = msg_of[t][s];
        EXPECT_EQ(got[t], static_cast<int>(sizes[m])) << "tag " << t << " step " << s;
        EXPECT_EQ(driver::check_pattern(g.bufs[t].data(), sizes[m], m), -1) << "tag " << t << " step " << s;
        if (sizes[m] < g.bufs[t].size()) {
          EXPECT_EQ(g.bufs[t][sizes[m]], 0xee) << "wrote past the message";
        }
      }
    }
  });
  EXPECT_LT(driver::now_s() - t0, 5.0);
}

// A staged message still obeys the truncation rule; later messages are unaffected.
TEST(AbiStaging, StagedMessageLargerThanLateReceiveIsAnError) {
  const std::vector<int> tags = {1, 2, 1};
  const std::vector<size_t> sizes = {300000, 100, 10};
  run_ordered(tags, sizes, [&](void* rc, Pipe& go) {
    Grouped two = post(rc, {2}, 1000);
    const uint8_t byte = 1;
    go.write_all(&byte, 1);
    auto got = driver::wait(net(), two.req, 1, kFast);  // message 0 (tag 1) is staged
    EXPECT_EQ(got[0], 100);
    EXPECT_EQ(driver::check_pattern(two.bufs[0].data(), 100, 1), -1);
    Grouped small = post(rc, {1}, 1000);
    const double deadline = driver::now_s() + kFast;
    int done = 0;
    abi::ncclResult_t rc_test = ncclSuccess;
    while (!done && driver::now_s() < deadline) {
      int size = -1;
      rc_test = net()->test(small.req, &done, &size);
      if (rc_test != ncclSuccess) break;
    }
    EXPECT_NE(rc_test, ncclSuccess) << "truncated staged message was not reported";
    Grouped last = post(rc, {1}, 1000);
    got = driver::wait(net(), last.req, 1, kFast);
    EXPECT_EQ(got[0], 10);
    EXPECT_EQ(driver::check_pattern(last.bufs[0].data(), 10, 2), -1);
  });
}

// Past LIONCUB_NET_STAGING_BYTES the receiver stops draining (the bytes wait in the kernel) and
// everything still arrives once the receives are posted.
TEST(AbiStaging, StagingBoundHoldsBackAndRecovers) {
  const size_t kSize = 1 << 20;
  const std::vector<int> tags = {1, 1, 1, 1, 2};
  const std::vector<size_t> sizes = {kSize, kSize, kSize, kSize, 64};
  ::setenv("LIONCUB_NET_STAGING_BYTES", "1536K", 1);  // room for one 1 MiB message
  run_ordered(tags, sizes, [&](void* rc, Pipe& go) {
    ::unsetenv("LIONCUB_NET_STAGING_BYTES");
    Grouped two = post(rc, {2}, 64);
    const uint8_t byte = 1;
    go.write_all(&byte, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::vector<int> got(1, -1);
    EXPECT_FALSE(done_now(two.req, &got)) << "staged past the bound";
    std::vector<Grouped> ones;
    for (int i = 0; i < 4; ++i) ones.push_back(post(rc, {1}, kSize));
    for (int i = 0; i < 4; ++i) {
      auto g = driver::wait(net(), ones[i].req, 1, kFast);
      EXPECT_EQ(g[0], int(kSize));
      EXPECT_EQ(driver::check_pattern(ones[i].bufs[0].data(), kSize, i), -1) << i;
    }
    got = driver::wait(net(), two.req, 1, kFast);
    EXPECT_EQ(got[0], 64);
    EXPECT_EQ(driver::check_pattern(two.bufs[0].data(), 64, 4), -1);
  });
}

}  // namespace
}  // namespace lioncub::test
