// Bad input through the C ABI: every case returns an error code (no crash, no hang).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "harness.h"

namespace lioncub::test {
namespace {

using namespace abi;

class AbiBadInput : public testing::Test {
 protected:
  driver::Context ctx_{net()};
};

TEST_F(AbiBadInput, NullPointers) {
  EXPECT_EQ(net()->init(nullptr, 0, nullptr, nullptr, nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->devices(nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->getProperties(0, nullptr), ncclInvalidArgument);
  void* comm = nullptr;
  EXPECT_EQ(net()->listen(ctx_.get(), 0, nullptr, &comm), ncclInvalidArgument);
  std::vector<uint8_t> h(NCCL_NET_HANDLE_MAXSIZE);
  EXPECT_EQ(net()->listen(ctx_.get(), 0, h.data(), nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->connect(ctx_.get(), 0, nullptr, &comm, nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->accept(nullptr, &comm, nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->isend(nullptr, nullptr, 0, 0, nullptr, nullptr, &comm), ncclInvalidArgument);
  EXPECT_EQ(net()->irecv(nullptr, 1, nullptr, nullptr, nullptr, nullptr, nullptr, &comm),
            ncclInvalidArgument);
  int done = 0;
  EXPECT_EQ(net()->test(nullptr, &done, nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->closeSend(nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->closeRecv(nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->closeListen(nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->finalize(nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->setNetAttr(ctx_.get(), nullptr), ncclInvalidArgument);
}

TEST_F(AbiBadInput, BadDevicesAndContexts) {
  int n = 0;
  ASSERT_EQ(net()->devices(&n), ncclSuccess);
  ASSERT_GE(n, 1);
  ncclNetProperties_v11_t props;
  EXPECT_EQ(net()->getProperties(-1, &props), ncclInvalidArgument);
  EXPECT_EQ(net()->getProperties(n, &props), ncclInvalidArgument);
  std::vector<uint8_t> h(NCCL_NET_HANDLE_MAXSIZE);
  void* comm = nullptr;
  EXPECT_EQ(net()->listen(ctx_.get(), n, h.data(), &comm), ncclInvalidArgument);
  EXPECT_EQ(net()->listen(reinterpret_cast<void*>(0x1234), 0, h.data(), &comm),
            ncclInvalidArgument);
  EXPECT_EQ(comm, nullptr);
}

TEST_F(AbiBadInput, PropertiesDescribeAHostTransport) {
  ncclNetProperties_v11_t props;
  ASSERT_EQ(net()->getProperties(0, &props), ncclSuccess);
  EXPECT_STREQ(props.name, "lo");
  EXPECT_EQ(props.ptrSupport, NCCL_PTR_HOST);
  EXPECT_GE(props.maxRecvs, 8);
  EXPECT_GT(props.speed, 0);
  EXPECT_GT(props.maxComms, 1000);
  EXPECT_EQ(props.maxP2pBytes, size_t{1} << 30);
  EXPECT_EQ(props.netDeviceType, NCCL_NET_DEVICE_HOST);
  ncclNetAttr_v11_t attr{};
  EXPECT_EQ(net()->setNetAttr(ctx_.get(), &attr), ncclSuccess);
}

TEST_F(AbiBadInput, GarbageHandlesAreRejected) {
  std::mt19937_64 rng(11);
  std::vector<uint8_t> h(NCCL_NET_HANDLE_MAXSIZE);
  for (int trial = 0; trial < 50; ++trial) {
    for (auto& b : h) b = static_cast<uint8_t>(rng());
    void* comm = nullptr;
    ncclNetDeviceHandle_t* dh = nullptr;
    EXPECT_EQ(net()->connect(ctx_.get(), 0, h.data(), &comm, &dh), ncclInvalidArgument);
    EXPECT_EQ(comm, nullptr);
  }
  std::fill(h.begin(), h.end(), 0);
  void* comm = nullptr;
  EXPECT_EQ(net()->connect(ctx_.get(), 0, h.data(), &comm, nullptr), ncclInvalidArgument);
  // A real handle with junk in the padding.
  void* lc = driver::listen(net(), ctx_.get(), 0, reinterpret_cast<driver::Handle*>(&h));
  h[50] = 1;
  EXPECT_EQ(net()->connect(ctx_.get(), 0, h.data(), &comm, nullptr), ncclInvalidArgument);
  EXPECT_EQ(net()->closeListen(lc), ncclSuccess);
}

TEST_F(AbiBadInput, GarbageAndWrongKindComms) {
  LocalPair p = connect_locally(ctx_.get());
  void* req = nullptr;
  uint8_t byte = 0;
  void* garbage = reinterpret_cast<void*>(0xdeadbeef);
  EXPECT_EQ(net()->isend(garbage, &byte, 1, 0, nullptr, nullptr, &req), ncclInvalidArgument);
  // A receive comm is not a send comm, and vice versa; a listen comm is neither.
  EXPECT_EQ(net()->isend(p.recv_comm, &byte, 1, 0, nullptr, nullptr, &req), ncclInvalidArgument);
  void* data = &byte;
  size_t size = 1;
  int tag = 0;
  EXPECT_EQ(net()->irecv(p.send_comm, 1, &data, &size, &tag, nullptr, nullptr, &req),
            ncclInvalidArgument);
  EXPECT_EQ(net()->closeSend(p.recv_comm), ncclInvalidArgument);
  EXPECT_EQ(net()->closeRecv(p.listen_comm), ncclInvalidArgument);
  void* comm = nullptr;
  EXPECT_EQ(net()->accept(p.send_comm, &comm, nullptr), ncclInvalidArgument);
  int done = 0;
  EXPECT_EQ(net()->test(p.send_comm, &done, nullptr), ncclInvalidArgument);
  close_locally(p);
}

TEST_F(AbiBadInput, SizesAndCountsOutOfRange) {
  LocalPair p = connect_locally(ctx_.get());
  std::vector<uint8_t> buf(16);
  void* req = nullptr;
  EXPECT_EQ(net()->isend(p.send_comm, buf.data(), (size_t{1} << 30) + 1, 0, nullptr, nullptr, &req),
            ncclInvalidArgument);
  EXPECT_EQ(net()->isend(p.send_comm, nullptr, 5, 0, nullptr, nullptr, &req), ncclInvalidArgument);
  void* data[9];
  size_t sizes[9];
  int tags[9] = {};
  for (int i = 0; i < 9; ++i) {
    data[i] = buf.data();
    sizes[i] = buf.size();
  }
  EXPECT_EQ(net()->irecv(p.recv_comm, 0, data, sizes, tags, nullptr, nullptr, &req), ncclInvalidArgument);
  EXPECT_EQ(net()->irecv(p.recv_comm, 9, data, sizes, tags, nullptr, nullptr, &req), ncclInvalidArgument);
  EXPECT_EQ(net()->irecv(p.recv_comm, 1, data, nullptr, tags, nullptr, nullptr, &req), ncclInvalidArgument);
  void* mh = nullptr;
  EXPECT_EQ(net()->regMr(p.send_comm, buf.data(), buf.size(), NCCL_PTR_CUDA, &mh), ncclInvalidUsage);
  EXPECT_EQ(net()->regMrDmaBuf(p.send_comm, buf.data(), buf.size(), NCCL_PTR_DMABUF, 0, -1, &mh),
            ncclInvalidUsage);
  ASSERT_EQ(net()->regMr(p.send_comm, buf.data(), buf.size(), NCCL_PTR_HOST, &mh), ncclSuccess);
  EXPECT_EQ(net()->deregMr(p.send_comm, mh), ncclSuccess);
  EXPECT_EQ(net()->deregMr(p.send_comm, mh), ncclInvalidArgument);
  // Host memory needs no flush: success with a null request ("nothing to wait for").
  req = reinterpret_cast<void*>(1);
  EXPECT_EQ(net()->iflush(p.recv_comm, 1, data, nullptr, nullptr, &req), ncclSuccess);
  EXPECT_EQ(req, nullptr);
  EXPECT_EQ(net()->iflush(p.send_comm, 1, data, nullptr, nullptr, &req), ncclInvalidArgument);
  close_locally(p);
}

TEST_F(AbiBadInput, UseAfterCloseAndAfterCompletion) {
  LocalPair p = connect_locally(ctx_.get());
  uint8_t out = 42, in = 0;
  void* sreq = driver::isend(net(), p.send_comm, &out, 1, 3, nullptr, kTimeout);
  void* data = &in;
  size_t size = 1;
  int tag = 3;
  void* rreq = driver::irecv(net(), p.recv_comm, 1, &data, &size, &tag, nullptr, kTimeout);
  driver::wait(net(), sreq, 1, kTimeout);
  EXPECT_EQ(driver::wait(net(), rreq, 1, kTimeout)[0], 1);
  EXPECT_EQ(in, 42);
  int done = 0;
  EXPECT_EQ(net()->test(rreq, &done, nullptr), ncclInvalidArgument);  // already completed
  // A request still in flight when its comm closes becomes invalid too.
  void* pending = driver::irecv(net(), p.recv_comm, 1, &data, &size, &tag, nullptr, kTimeout);
  close_locally(p);
  EXPECT_EQ(net()->test(pending, &done, nullptr), ncclInvalidArgument);
  void* req = nullptr;
  EXPECT_EQ(net()->isend(p.send_comm, &out, 1, 0, nullptr, nullptr, &req), ncclInvalidArgument);
  EXPECT_EQ(net()->closeSend(p.send_comm), ncclInvalidArgument);
  EXPECT_EQ(net()->closeRecv(p.recv_comm), ncclInvalidArgument);
  EXPECT_EQ(net()->closeListen(p.listen_comm), ncclInvalidArgument);
  void* ctx2 = nullptr;
  ASSERT_EQ(net()->init(&ctx2, 9, nullptr, nullptr, nullptr), ncclSuccess);
  EXPECT_EQ(net()->finalize(ctx2), ncclSuccess);
  EXPECT_EQ(net()->finalize(ctx2), ncclInvalidArgument);
}

}  // namespace
}  // namespace lioncub::test
