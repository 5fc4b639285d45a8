/* liblioncub on a machine without CUDA or NCCL: a plain C program linked against the shared
 * library only. tests/kernels/no_cuda_deps_test.sh checks that the library needs neither
 * libcudart nor libnccl and runs this with the CUDA folders hidden from the loader. The host path
 * works; the device path and the NCCL backend answer with errors, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lioncub/lioncub.h"

static int failures = 0;
#define EXPECT(cond, ...)                         \
  do {                                            \
    if (!(cond)) {                                \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);                        \
      printf("\n");                               \
      ++failures;                                 \
    }                                             \
  } while (0)

int main(void) {
  /* Host encode of 40 elements: c = 0.9*m + 0.1*g with m = 0 is g's sign. */
  float g[40], m[40];
  uint32_t sign[2] = {0, 0};
  uint32_t want[2] = {0, 0};
  for (int i = 0; i < 40; ++i) {
    g[i] = (i % 3 == 0) ? -1.0f : (float)(i + 1);
    m[i] = 0.0f;
    if (g[i] > 0) want[i / 32] |= 1u << (i % 32);
  }
  lioncubEncodeDesc_t d = {40, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, lioncubCodeSign, 0.0f, 0};
  lioncubResult_t rc = lioncubEncode(&d, g, m, sign, NULL, NULL, lioncubMemHost, NULL);
  EXPECT(rc == lioncubSuccess, "host encode: %d %s", (int)rc, lioncubGetLastErrorMessage());
  EXPECT(sign[0] == want[0] && sign[1] == want[1], "host encode: codes %08x %08x, want %08x %08x",
         sign[0], sign[1], want[0], want[1]);

  const int devices = lioncubCudaDeviceCount();
  printf("lioncubHasCuda %d, lioncubCudaDeviceCount %d\n", lioncubHasCuda(), devices);
  if (devices == 0) {
    rc = lioncubEncode(&d, g, m, sign, NULL, NULL, lioncubMemDevice, NULL);
    EXPECT(rc == (lioncubHasCuda() ? lioncubCudaError : lioncubNotSupported),
           "device encode without a device: %d %s", (int)rc, lioncubGetLastErrorMessage());
    printf("device encode without a device: %s\n", lioncubGetLastErrorMessage());
  }

  /* The NCCL backend without NCCL (LIONCUB_NCCL_LIBRARY names a missing library in the test). */
  lioncubComm_t comm = (lioncubComm_t)1;
  rc = lioncubCommInitNccl(&comm, (ncclComm_t)0x10);
  EXPECT(rc == lioncubNotSupported, "lioncubCommInitNccl without NCCL: %d %s", (int)rc,
         lioncubGetLastErrorMessage());
  EXPECT(comm == NULL, "comm not cleared");
  printf("lioncubCommInitNccl without NCCL: %s\n", lioncubGetLastErrorMessage());
  printf(failures ? "host_only_test: %d failures\n" : "host_only_test: ok\n", failures);
  return failures ? 1 : 0;
}
