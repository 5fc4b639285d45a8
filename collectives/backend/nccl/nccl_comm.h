// The NCCL backend: the application's ncclComm_t, device memory, every primitive enqueued on the
// call's stream with no host synchronization (the argument check of the first call aside):
//   allgatherv   ncclAllGather of equal blocks (in place when the blocks already are equal and
//                contiguous; otherwise through a staging buffer of P blocks of the largest size,
//                with one device copy per block after)
//   alltoallv    grouped ncclSend / ncclRecv to and from every peer; own block copied
//   allreduce    ncclAllReduce (ncclSum, or ncclAvg for averages) of float, int32 or uint8
// Built only with CUDA and NCCL (LIONCUB_HAVE_NCCL). Traffic counts the bytes of the ring /
// pairwise schedules (NCCL picks its own algorithm, so these are the modelled wire bytes).
#pragma once

#include "collectives/backend/backend.h"

namespace lioncub::coll {

// A device-memory backend over `nccl` (not owned: the application destroys it after the
// lioncub communicator). Throws Error when NCCL cannot describe the communicator.
Backend* make_nccl_backend(ncclComm_t nccl);

}  // namespace lioncub::coll
