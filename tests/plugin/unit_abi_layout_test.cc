// The ABI structs must have NCCL's exact layout (x86-64 / aarch64 LP64). Offsets computed from
// the published field order; a reordering or type change here would break NCCL silently.
#include <gtest/gtest.h>

#include <cstddef>

#include "abi/net_v10.h"
#include "abi/net_v11.h"
#include "abi/net_v8.h"
#include "abi/net_v9.h"

namespace lioncub::abi {
namespace {

static_assert(sizeof(ncclResult_t) == sizeof(int));
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
