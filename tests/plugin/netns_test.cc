// Two emulated hosts (as scripts/cluster.sh builds them): network namespaces joined by a veth
// pair with addresses from 198.18.0.0/15. Each forked child enters one namespace, so the
// plugin there sees only that host's interfaces. Needs root and `ip netns`; skips otherwise.
// The namespaces are created per test and always removed.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "harness.h"

namespace lioncub::test {
namespace {

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

class NetnsPair : public testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create network namespaces";
    if (sh("ip netns list") != 0) GTEST_SKIP() << "`ip netns` is not available";
    const std::string id = std::to_string(::getpid() % 100000);
    ns_a_ = "lcnsA" + id;
    ns_b_ = "lcnsB" + id;
    if_a_ = "lcvA" + id;
    if_b_ = "lcvB" + id;
    const std::vector<std::string> setup = {
        "ip netns add " + ns_a_,
        "ip netns add " + ns_b_,
        "ip link add " + if_a_ + " netns " + ns_a_ + " type veth peer name " + if_b_ + " netns " + ns_b_,
        "ip -n " + ns_a_ + " addr add 198.18.0.1/30 dev " + if_a_,
        "ip -n " + ns_b_ + " addr add 198.18.0.2/30 dev " + if_b_,
        "ip -n " + ns_a_ + " link set lo up",
        "ip -n " + ns_b_ + " link set lo up",
        "ip -n " + ns_a_ + " link set " + if_a_ + " up",
        "ip -n " + ns_b_ + " link set " + if_b_ + " up",
    };
    for (const std::string& cmd : setup) {
      if (sh(cmd) != 0) {
        TearDown();
        GTEST_SKIP() << "could not set up the namespaces (" << cmd << " failed)";
      }
    }
  }

  void TearDown() override {
    if (!ns_a_.empty()) sh("ip netns del " + ns_a_);
    if (!ns_b_.empty()) sh("ip netns del " + ns_b_);
  }

  // In a child: move into `ns` and use only `ifname`.
  static void enter(const std::string& ns, const std::string& ifname) {
    int fd = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    CHILD_REQUIRE(fd >= 0);
    CHILD_REQUIRE(::setns(fd, CLONE_NEWNET) == 0);
    ::close(fd);
    ::setenv("LIONCUB_NET_IFNAME", ("=" + ifname).c_str(), 1);
  }

  std::string ns_a_, ns_b_, if_a_, if_b_;
};

TEST_F(NetnsPair, TransfersAcrossTheVethPair) {
  const std::vector<size_t> sizes = {0, 1, 4097, 65537, 4u << 20, 64u << 20};
  Pipe handles;
  pid_t receiver = spawn([&] {
    enter(ns_a_, if_a_);
    driver::Context ctx(net());
    abi::ncclNetProperties_v11_t props;
    driver::check(net()->getProperties(0, &props), "getProperties");
    CHILD_REQUIRE(std::string(props.name) == if_a_);
    CHILD_REQUIRE(props.speed == 10000);  // veth reports 10 Gbit/s
    driver::Handle h;
    void* lc = driver::listen(net(), ctx.get(), 0, &h);
    handles.send_handle(h);
    void* rc = driver::accept(net(), lc, kTimeout);
    std::vector<uint8_t> buf(64u << 20);
    for (size_t i = 0; i < sizes.size(); ++i) {
      void* d = buf.data();
      size_t s = buf.size();
      int tag = static_cast<int>(i);
      void* req = driver::irecv(net(), rc, 1, &d, &s, &tag, nullptr, kTimeout);
      CHILD_REQUIRE(driver::wait(net(), req, 1, kTimeout)[0] == static_cast<int>(sizes[i]));
      CHILD_REQUIRE(driver::check_pattern(buf.data(), sizes[i], 500 + i) == -1);
    }
    driver::check(net()->closeRecv(rc), "closeRecv");
    driver::check(net()->closeListen(lc), "closeListen");
  });
  pid_t sender = spawn([&] {
    enter(ns_b_, if_b_);
    driver::Context ctx(net());
    driver::Handle h = handles.receive_handle();
    void* sc = driver::connect(net(), ctx.get(), 0, &h, kTimeout);
    std::vector<uint8_t> buf(64u << 20);
    for (size_t i = 0; i < sizes.size(); ++i) {
      driver::fill_pattern(buf.data(), sizes[i], 500 + i);
      void* req = driver::isend(net(), sc, buf.data(), sizes[i], static_cast<int>(i), nullptr, kTimeout);
      driver::wait(net(), req, 1, kTimeout);
    }
    driver::check(net()->closeSend(sc), "closeSend");
  });
  EXPECT_EQ(reap(sender, 60), 0);
  EXPECT_EQ(reap(receiver, 60), 0);
}

}  // namespace
}  // namespace lioncub::test
