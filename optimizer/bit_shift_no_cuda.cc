// A build without CUDA has no device communicators; these only keep the optimizer's calls linked.
#include "common/error.h"
#include "optimizer/bit_shift.h"

namespace lioncub::lion {

lioncubResult_t device_insert_bits(uint32_t*, size_t, const uint32_t*, size_t, cudaStream_t) {
  return fail(lioncubNotSupported, "this lioncub was built without CUDA");
}
lioncubResult_t device_extract_bits(const uint32_t*, size_t, size_t, uint32_t*, cudaStream_t) {
  return fail(lioncubNotSupported, "this lioncub was built without CUDA");
}

}  // namespace lioncub::lion
