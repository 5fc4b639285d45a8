// The ABI structs must have NCCL's exact layout (x86-64 / aarch64 LP64). Offsets computed from
// the published field order; a reordering or type change here would break NCCL silently.
#include <gtest/gtest.h>

#include <cstddef>

#include "abi/net_v10.h"
#include "abi/net_v11.h"
#include "abi/net_v12.h"
#include "abi/net_v8.h"
#include "abi/net_v9.h"

namespace lioncub::abi {
namespace {

static_assert(sizeof(ncclResult_t) == sizeof(int));
// v12 (NCCL 2.30, net_v12.h at v2.30.7-1): vProps grows to 8 devices (offsets after it move by
// 16), railId and planeId (int16_t) follow maxMultiRequestSize.
static_assert(offsetof(ncclNetProperties_v12_t, name) == 0);
static_assert(offsetof(ncclNetProperties_v12_t, pciPath) == 8);
static_assert(offsetof(ncclNetProperties_v12_t, guid) == 16);
static_assert(offsetof(ncclNetProperties_v12_t, ptrSupport) == 24);
static_assert(offsetof(ncclNetProperties_v12_t, regIsGlobal) == 28);
static_assert(offsetof(ncclNetProperties_v12_t, forceFlush) == 32);
static_assert(offsetof(ncclNetProperties_v12_t, speed) == 36);
static_assert(offsetof(ncclNetProperties_v12_t, port) == 40);
static_assert(offsetof(ncclNetProperties_v12_t, latency) == 44);
static_assert(offsetof(ncclNetProperties_v12_t, maxComms) == 48);
static_assert(offsetof(ncclNetProperties_v12_t, maxRecvs) == 52);
static_assert(offsetof(ncclNetProperties_v12_t, netDeviceType) == 56);
static_assert(offsetof(ncclNetProperties_v12_t, netDeviceVersion) == 60);
static_assert(offsetof(ncclNetProperties_v12_t, vProps) == 64);
static_assert(sizeof(ncclNetVDeviceProps_v12_t) == 36);
static_assert(offsetof(ncclNetProperties_v12_t, maxP2pBytes) == 104);
static_assert(offsetof(ncclNetProperties_v12_t, maxCollBytes) == 112);
static_assert(offsetof(ncclNetProperties_v12_t, maxMultiRequestSize) == 120);
static_assert(offsetof(ncclNetProperties_v12_t, railId) == 124);
static_assert(offsetof(ncclNetProperties_v12_t, planeId) == 126);
static_assert(sizeof(ncclNetProperties_v12_t) == 128);
static_assert(sizeof(ncclNetCommConfig_v12_t) == 4);
static_assert(sizeof(ncclNetAttr_v12_t) == 44);
static_assert(sizeof(ncclNet_v12_t) == 22 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, init) == 1 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, getProperties) == 3 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, isend) == 10 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, iflush) == 12 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, getDeviceMr) == 17 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, makeVDevice) == 19 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, finalize) == 20 * sizeof(void*));
static_assert(offsetof(ncclNet_v12_t, setNetAttr) == 21 * sizeof(void*));
static_assert(offsetof(ncclNetProperties_v11_t, guid) == 16);
static_assert(offsetof(ncclNetProperties_v11_t, speed) == 36);
static_assert(offsetof(ncclNetProperties_v11_t, netDeviceType) == 56);
static_assert(offsetof(ncclNetProperties_v11_t, vProps) == 64);
static_assert(offsetof(ncclNetProperties_v11_t, maxP2pBytes) == 88);
static_assert(offsetof(ncclNetProperties_v11_t, maxMultiRequestSize) == 104);
static_assert(sizeof(ncclNetProperties_v11_t) == 112);
static_assert(sizeof(ncclNetProperties_v10_t) == 104);
static_assert(sizeof(ncclNetProperties_v9_t) == 104);
static_assert(offsetof(ncclNetProperties_v8_t, speed) == 32);
static_assert(sizeof(ncclNetProperties_v8_t) == 64);
static_assert(sizeof(ncclNetAttr_v11_t) == 44);
// Function tables: name + N function pointers.
static_assert(sizeof(ncclNet_v11_t) == 22 * sizeof(void*));
static_assert(sizeof(ncclNet_v10_t) == 20 * sizeof(void*));
static_assert(sizeof(ncclNet_v9_t) == 20 * sizeof(void*));
static_assert(sizeof(ncclNet_v8_t) == 19 * sizeof(void*));
static_assert(offsetof(ncclNet_v11_t, finalize) == 20 * sizeof(void*));
static_assert(offsetof(ncclNet_v11_t, isend) == 10 * sizeof(void*));

TEST(AbiLayout, MatchesPublishedHeaders) { SUCCEED() << "checked at compile time"; }

}  // namespace
}  // namespace lioncub::abi
