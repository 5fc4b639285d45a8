// The device twins of insert_bits / extract_bits (bit_shift.h): one thread per output word, each
// word computed by the same function as on the host. The words a call writes are disjoint, and
// only the first word of an insert is read before it is written (by its own thread).
#include <cuda_runtime.h>

#include <algorithm>

#include "common/error.h"
#include "optimizer/bit_shift.h"

namespace lioncub::lion {
namespace {

constexpr int kThreads = 256;

__global__ void insert_kernel(uint32_t* plane, size_t bit, const uint32_t* src, size_t len,
                              size_t first, size_t count) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += size_t(gridDim.x) * blockDim.x) {
    const size_t k = first + i;
    plane[k] = inserted_word(plane[k], k, bit, src, len);
  }
}

__global__ void extract_kernel(const uint32_t* plane, size_t bit, size_t len, uint32_t* dst,
                               size_t count) {
  for (size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x; j < count;
       j += size_t(gridDim.x) * blockDim.x) {
    dst[j] = extracted_word(plane, bit, len, j);
  }
}

unsigned grid(size_t words) {
  // Grid-stride loops: a few thousand blocks cover any plane a piece can have.
  return unsigned(std::max<size_t>(1, std::min<size_t>((words + kThreads - 1) / kThreads, 4096)));
}

lioncubResult_t launched(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return lioncubSuccess;
  return fail(lioncubCudaError, "%s: launch failed: %s", what, cudaGetErrorString(e));
}

}  // namespace

lioncubResult_t device_insert_bits(uint32_t* plane, size_t bit, const uint32_t* src, size_t len,
                                   cudaStream_t stream) {
  if (len == 0) return lioncubSuccess;
  const size_t first = bit / 32, count = (bit + len - 1) / 32 - first + 1;
  insert_kernel<<<grid(count), kThreads, 0, stream>>>(plane, bit, src, len, first, count);
  return launched("insert_bits");
}

lioncubResult_t device_extract_bits(const uint32_t* plane, size_t bit, size_t len, uint32_t* dst,
                                    cudaStream_t stream) {
  if (len == 0) return lioncubSuccess;
  const size_t count = (len + 31) / 32;
  extract_kernel<<<grid(count), kThreads, 0, stream>>>(plane, bit, len, dst, count);
  return launched("extract_bits");
}

}  // namespace lioncub::lion
