// The NCCL backend: the application's ncclComm_t, device memory, every primitive enqueued on the
// call's stream with no host synchronization (the argument check of the first call aside):
//   allgatherv   ncclAllGather in place when the blocks are equal and back to back; otherwise
//                grouped ncclSend / ncclRecv in place, no staging (gather_plan.h)
//   alltoallv    grouped ncclSend / ncclRecv to and from every peer; own block copied
//   allreduce    ncclAllReduce (ncclSum, or ncclAvg for averages) of float, int32 or uint8
// Built with CUDA and NCCL's header (LIONCUB_HAVE_NCCL); NCCL itself is resolved at run time
// (nccl_api.h), so liblioncub does not depend on libnccl. Traffic counts the bytes of the ring /
// pairwise schedules (NCCL picks its own algorithm, so these are the modelled wire bytes).
#pragma once

#include "collectives/backend/backend.h"

namespace lioncub::coll {

// A device-memory backend over `nccl` (not owned: the application destroys it after the
// lioncub communicator). Throws Error when NCCL cannot be loaded (lioncubNotSupported) or cannot
// describe the communicator.
Backend* make_nccl_backend(ncclComm_t nccl);

}  // namespace lioncub::coll
