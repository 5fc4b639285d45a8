// What the C API asks of the CUDA runtime outside the kernels.
#include "../kernels.h"
#include "launch.h"

namespace lioncub::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error so later calls start clean
    return 0;
  }
  return n;
}

}  // namespace lioncub::cuda

extern "C" int lioncubHasCuda(void) { return 1; }
extern "C" int lioncubCudaDeviceCount(void) { return lioncub::cuda::device_count(); }
