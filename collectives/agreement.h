// Cross-rank agreement: every rank allgathers one small descriptor (Backend::allgather_control)
// and all of them fail together, naming the rank that differs, when the descriptors differ. The
// C API compares the user's collectives with it (the first collective of a communicator, every
// one with LIONCUB_CHECK_ARGS=1); internal callers (the optimizer's configuration) use agree()
// directly, so they never use up the check of the user's first collective.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "collectives/backend/backend.h"
#include "collectives/comm.h"

namespace lioncub::coll {

// Allgathers `bytes` of `mine` over every rank; throws Error(lioncubInvalidUsage) "ranks
// disagree: rank 0 <describe(0)>, rank j <describe(j)>" on every rank when one differs.
void agree(Backend& b, const void* mine, size_t bytes,
           const std::function<std::string(const void* desc)>& describe);

// What every rank must agree on for one collective of the C API.
struct CallDescriptor {
  uint32_t magic = 0x4c434353;  // "LCCS"
  uint32_t call = 0;            // kCallSignAggregate, kCallAllreduce, kCallSignCount
  uint32_t algo = 0;
  uint32_t code = 0;            // sign aggregate: code; allreduce: dtype
  uint32_t tie = 0;             // sign aggregate: tie; allreduce: op
  uint32_t pad = 0;
  uint64_t numel = 0;
  uint64_t step = 0;
};
static_assert(sizeof(CallDescriptor) == 40);
enum : uint32_t { kCallSignAggregate = 1, kCallAllreduce = 2, kCallSignCount = 3 };

// The check of the C API's collectives: compares `d` on the communicator's first collective (on
// every one with LIONCUB_CHECK_ARGS=1).
void check_call(lioncubComm& c, const CallDescriptor& d);

}  // namespace lioncub::coll
