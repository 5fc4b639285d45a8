// The tables exported next to v11 (v12 for NCCL 2.30; v10, v9, v8 for older NCCL): present,
// named, and working end to end through their own signatures.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "abi/net_v10.h"
#include "abi/net_v12.h"
#include "abi/net_v8.h"
#include "abi/net_v9.h"
#include "harness.h"

namespace lioncub::test {
namespace {

using namespace abi;

template <typename Table>
Table* table(const char* symbol) {
  return static_cast<Table*>(plugin().symbol(symbol));
}

// Connects and accepts in-process through a legacy table, sends `size` bytes and checks them.
template <typename Table, typename SendFn, typename RecvFn>
void round_trip(Table* t, SendFn send, RecvFn recv) {
  std::vector<uint8_t> h(NCCL_NET_HANDLE_MAXSIZE);
  void* lc = nullptr;
  if constexpr (requires(SendFn s, void* p, void** q) { s.listen(p, q); }) {
    ASSERT_EQ(send.listen(h.data(), &lc), ncclSuccess);
  } else {
    ASSERT_EQ(t->listen(0, h.data(), &lc), ncclSuccess);
  }
  void* sc = nullptr;
  void* rc = nullptr;
  const double deadline = driver::now_s() + kTimeout;
  while ((sc == nullptr || rc == nullptr) && driver::now_s() < deadline) {
    if (sc == nullptr) {
      ASSERT_EQ(send.connect(h.data(), &sc), ncclSuccess);
    }
    if (rc == nullptr) {
      ASSERT_EQ(t->accept(lc, &rc, nullptr), ncclSuccess);
    }
  }
  ASSERT_NE(sc, nullptr);
  ASSERT_NE(rc, nullptr);
  constexpr int kSize = (1 << 20) + 3;
  std::vector<uint8_t> out(kSize), in(kSize);
  driver::fill_pattern(out.data(), kSize, 8);
  void* sreq = nullptr;
  void* rreq = nullptr;
  ASSERT_EQ(send.isend(sc, out.data(), kSize, &sreq), ncclSuccess);
  ASSERT_EQ(recv(rc, in.data(), kSize, &rreq), ncclSuccess);
  ASSERT_NE(sreq, nullptr);
  ASSERT_NE(rreq, nullptr);
  int sdone = 0, rdone = 0, rsize = 0;
  while ((!sdone || !rdone) && driver::now_s() < deadline) {
    if (!sdone) {
      ASSERT_EQ(t->test(sreq, &sdone, nullptr), ncclSuccess);
    }
    if (!rdone) {
      ASSERT_EQ(t->test(rreq, &rdone, &rsize), ncclSuccess);
    }
  }
  EXPECT_EQ(rsize, kSize);
  EXPECT_EQ(driver::check_pattern(in.data(), kSize, 8), -1);
  EXPECT_EQ(t->closeSend(sc), ncclSuccess);
  EXPECT_EQ(t->closeRecv(rc), ncclSuccess);
  EXPECT_EQ(t->closeListen(lc), ncclSuccess);
}

TEST(AbiVersions, AllTablesExportedAndNamed) {
  EXPECT_STREQ(net()->name, "lioncub");
  ASSERT_NE(table<ncclNet_v12_t>("ncclNetPlugin_v12"), nullptr);
  EXPECT_STREQ(table<ncclNet_v12_t>("ncclNetPlugin_v12")->name, "lioncub");
  ASSERT_NE(table<ncclNet_v10_t>("ncclNetPlugin_v10"), nullptr);
  ASSERT_NE(table<ncclNet_v9_t>("ncclNetPlugin_v9"), nullptr);
  ASSERT_NE(table<ncclNet_v8_t>("ncclNetPlugin_v8"), nullptr);
  EXPECT_STREQ(table<ncclNet_v8_t>("ncclNetPlugin_v8")->name, "lioncub");
  EXPECT_EQ(plugin().symbol("ncclNetPlugin_v7"), nullptr);
  EXPECT_EQ(plugin().symbol("_ZN7lioncub3net4initEmPKNS_3abi23ncclNetCommConfig_v11_tEPFvNS1_17ncclDebugLogLevelEmPKciS7_zE"), nullptr);
}

TEST(AbiVersions, V12RoundTrip) {
  auto* t = table<ncclNet_v12_t>("ncclNetPlugin_v12");
  void* ctx = nullptr;
  ncclNetCommConfig_v12_t cfg{-1};
  ASSERT_EQ(t->init(&ctx, 12, &cfg, nullptr, nullptr), ncclSuccess);
  int ndev = 0;
  ASSERT_EQ(t->devices(&ndev), ncclSuccess);
  ASSERT_GE(ndev, 1);
  ncclNetProperties_v12_t p;
  std::memset(&p, 0x5a, sizeof(p));
  ASSERT_EQ(t->getProperties(0, &p), ncclSuccess);
  EXPECT_STREQ(p.name, "lo");
  EXPECT_EQ(p.guid, 0u);
  EXPECT_EQ(p.ptrSupport, NCCL_PTR_HOST);
  EXPECT_EQ(p.regIsGlobal, 0);
  EXPECT_EQ(p.forceFlush, 0);
  EXPECT_EQ(p.speed, 10000);
  EXPECT_EQ(p.port, 0);
  EXPECT_EQ(p.latency, 0.0f);
  EXPECT_EQ(p.maxComms, 65536);
  EXPECT_EQ(p.maxRecvs, 8);
  EXPECT_EQ(p.netDeviceType, NCCL_NET_DEVICE_HOST);
  EXPECT_EQ(p.netDeviceVersion, NCCL_NET_DEVICE_INVALID_VERSION);
  EXPECT_EQ(p.vProps.ndevs, 1);
  EXPECT_EQ(p.vProps.devs[0], 0);
  for (int i = 1; i < NCCL_NET_MAX_DEVS_PER_NIC_V12; ++i) EXPECT_EQ(p.vProps.devs[i], 0) << i;
  EXPECT_EQ(p.maxP2pBytes, size_t{1} << 30);
  EXPECT_EQ(p.maxCollBytes, size_t{1} << 30);
  EXPECT_EQ(p.maxMultiRequestSize, 1);
  EXPECT_EQ(p.railId, NCCL_NET_ID_UNDEF);
  EXPECT_EQ(p.planeId, NCCL_NET_ID_UNDEF);
  EXPECT_EQ(t->getProperties(0, nullptr), ncclInvalidArgument);
  EXPECT_EQ(t->getDeviceMr, nullptr);
  EXPECT_EQ(t->irecvConsumed, nullptr);
  EXPECT_EQ(t->makeVDevice, nullptr);
  ncclNetAttr_v12_t attr{};
  EXPECT_EQ(t->setNetAttr(ctx, &attr), ncclSuccess);
  EXPECT_EQ(t->setNetAttr(ctx, nullptr), ncclInvalidArgument);
  struct {
    ncclNet_v12_t* t;
    void* ctx;
    ncclResult_t listen(void* h, void** lc) { return t->listen(ctx, 0, h, lc); }
    ncclResult_t connect(void* h, void** sc) { return t->connect(ctx, 0, h, sc, nullptr); }
    ncclResult_t isend(void* sc, void* d, int n, void** r) {
      return t->isend(sc, d, static_cast<size_t>(n), 0, nullptr, nullptr, r);
    }
  } send{t, ctx};
  round_trip(t, send, [&](void* rc, void* d, int n, void** r) {
    size_t size = static_cast<size_t>(n);
    int tag = 0;
    return t->irecv(rc, 1, &d, &size, &tag, nullptr, nullptr, r);
  });
  EXPECT_EQ(t->finalize(ctx), ncclSuccess);
}

TEST(AbiVersions, V10RoundTrip) {
  auto* t = table<ncclNet_v10_t>("ncclNetPlugin_v10");
  ASSERT_EQ(t->init(nullptr, nullptr), ncclSuccess);
  ncclNetProperties_v10_t p;
  ASSERT_EQ(t->getProperties(0, &p), ncclSuccess);
  EXPECT_EQ(p.ptrSupport, NCCL_PTR_HOST);
  EXPECT_EQ(p.maxRecvs, 8);
  EXPECT_EQ(p.maxP2pBytes, size_t{1} << 30);
  struct {
    ncclNet_v10_t* t;
    ncclResult_t connect(void* h, void** sc) {
      ncclNetCommConfig_v10_t cfg{-1};
      return t->connect(0, &cfg, h, sc, nullptr);
    }
    ncclResult_t isend(void* sc, void* d, int n, void** r) {
      return t->isend(sc, d, static_cast<size_t>(n), 0, nullptr, nullptr, r);
    }
  } send{t};
  round_trip(t, send, [&](void* rc, void* d, int n, void** r) {
    size_t size = static_cast<size_t>(n);
    int tag = 0;
    return t->irecv(rc, 1, &d, &size, &tag, nullptr, nullptr, r);
  });
}

TEST(AbiVersions, V9RoundTrip) {
  auto* t = table<ncclNet_v9_t>("ncclNetPlugin_v9");
  ASSERT_EQ(t->init(nullptr), ncclSuccess);
  ncclNetProperties_v9_t p;
  ASSERT_EQ(t->getProperties(0, &p), ncclSuccess);
  EXPECT_EQ(p.maxRecvs, 8);
  struct {
    ncclNet_v9_t* t;
    ncclResult_t connect(void* h, void** sc) { return t->connect(0, h, sc, nullptr); }
    ncclResult_t isend(void* sc, void* d, int n, void** r) {
      return t->isend(sc, d, static_cast<size_t>(n), 0, nullptr, r);
    }
  } send{t};
  round_trip(t, send, [&](void* rc, void* d, int n, void** r) {
    size_t size = static_cast<size_t>(n);
    int tag = 0;
    return t->irecv(rc, 1, &d, &size, &tag, nullptr, r);
  });
}

TEST(AbiVersions, V8RoundTripWithIntSizes) {
  auto* t = table<ncclNet_v8_t>("ncclNetPlugin_v8");
  ASSERT_EQ(t->init(nullptr), ncclSuccess);
  ncclNetProperties_v8_t p;
  ASSERT_EQ(t->getProperties(0, &p), ncclSuccess);
  EXPECT_STREQ(p.name, "lo");
  EXPECT_EQ(p.speed, 10000);
  EXPECT_EQ(p.maxRecvs, 8);
  void* req = nullptr;
  EXPECT_EQ(t->isend(reinterpret_cast<void*>(1), nullptr, -1, 0, nullptr, &req), ncclInvalidArgument);
  struct {
    ncclNet_v8_t* t;
    ncclResult_t connect(void* h, void** sc) { return t->connect(0, h, sc, nullptr); }
    ncclResult_t isend(void* sc, void* d, int n, void** r) {
      return t->isend(sc, d, n, 0, nullptr, r);
    }
  } send{t};
  round_trip(t, send, [&](void* rc, void* d, int n, void** r) {
    int tag = 0;
    return t->irecv(rc, 1, &d, &n, &tag, nullptr, r);
  });
}

}  // namespace
}  // namespace lioncub::test
