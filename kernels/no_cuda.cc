// The CUDA entry points of a build without CUDA: the C API reports lioncubNotSupported before
// reaching them, so these only answer the capability queries.
#include "common/error.h"
#include "kernels.h"

namespace lioncub::cuda {
namespace {
lioncubResult_t unsupported() {
  return fail(lioncubNotSupported, "this lioncub was built without CUDA");
}
}  // namespace

lioncubResult_t encode(const EncodeArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t vote(const VoteArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t vote_count(const VoteArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t ternary_sum(const TernaryArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t ternary_reencode(const TernaryArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t lane_pack(const LaneArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t lane_resolve(const LaneArgs&, cudaStream_t) { return unsupported(); }
lioncubResult_t apply(const ApplyArgs&, cudaStream_t) { return unsupported(); }
int device_count() { return 0; }

}  // namespace lioncub::cuda

extern "C" int lioncubHasCuda(void) { return 0; }
extern "C" int lioncubCudaDeviceCount(void) { return 0; }
