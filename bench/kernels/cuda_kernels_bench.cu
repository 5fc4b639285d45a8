// CUDA kernel benchmark: each pass against a device-to-device copy that touches the same number
// of bytes, timed with CUDA events in the same run.
//
//   lioncub-cuda-kernel-bench [--elements N] [--iters K]     (default N = 2^28, K = 20)
//
// Rows: encode (sign; sign with a bf16 gradient; ternary alpha > 0, one thread block per ternary
// block; ternary alpha = 0, the word kernel), apply (planes, counts), vote and re-encode at P = 8.
//
// Targets on an H100/H200: encode and apply >= 0.85 of copy bandwidth at 2^28
// elements, vote P = 8 >= 0.8. Prints a table; exits 0 with a message when there is no GPU.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace {

#define CHECK_CUDA(call)                                                                   \
  do {                                                                                     \
    const cudaError_t e_ = (call);                                                         \
    if (e_ != cudaSuccess) {                                                               \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      std::exit(1);                                                                        \
    }                                                                                      \
  } while (0)

#define CHECK_LIONCUB(call)                                                                \
  do {                                                                                     \
    const lioncubResult_t r_ = (call);                                                     \
    if (r_ != lioncubSuccess) {                                                            \
      std::fprintf(stderr, "%s: %s\n", #call, lioncubGetLastErrorMessage());               \
      std::exit(1);                                                                        \
    }                                                                                      \
  } while (0)

__global__ void fill_kernel(uint32_t* p, size_t n, uint32_t seed) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    uint32_t x = uint32_t(i) * 2654435761u ^ seed;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    p[i] = x;
  }
}

// A device buffer of pseudo-random words.
void* device_random(size_t bytes, uint32_t seed) {
  void* p;
  CHECK_CUDA(cudaMalloc(&p, bytes));
  fill_kernel<<<1024, 256>>>(static_cast<uint32_t*>(p), bytes / 4, seed);
  CHECK_CUDA(cudaGetLastError());
  return p;
}

// Keeps sign and mantissa, forces the exponent into [0.5, 1): finite floats of both signs.
__global__ void to_small_floats(uint32_t* p, size_t n) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    p[i] = (p[i] & 0x807fffffu) | 0x3f000000u;
  }
}

float time_ms(const std::function<void()>& f, int iters) {
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  f();  // warm-up
  CHECK_CUDA(cudaEventRecord(a));
  for (int i = 0; i < iters; ++i) f();
  CHECK_CUDA(cudaEventRecord(b));
  CHECK_CUDA(cudaEventSynchronize(b));
  float ms = 0;
  CHECK_CUDA(cudaEventElapsedTime(&ms, a, b));
  CHECK_CUDA(cudaEventDestroy(a));
  CHECK_CUDA(cudaEventDestroy(b));
  return ms / float(iters);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = size_t(1) << 28;
  int iters = 20;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--elements") && i + 1 < argc) n = std::strtoull(argv[++i], nullptr, 0);
    else if (!std::strcmp(argv[i], "--iters") && i + 1 < argc) iters = std::atoi(argv[++i]);
  }
  if (lioncubCudaDeviceCount() == 0) {
    std::printf("lioncub-cuda-kernel-bench: no CUDA device on this machine; nothing measured\n");
    return 0;
  }
  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  const int P = 8;
  const size_t words = lioncubPackedWords(n);
  auto* g = static_cast<float*>(device_random(n * 4, 1));
  auto* m = static_cast<float*>(device_random(n * 4, 2));
  auto* p = static_cast<float*>(device_random(n * 4, 3));
  to_small_floats<<<1024, 256>>>(reinterpret_cast<uint32_t*>(g), n);
  to_small_floats<<<1024, 256>>>(reinterpret_cast<uint32_t*>(m), n);
  to_small_floats<<<1024, 256>>>(reinterpret_cast<uint32_t*>(p), n);
  auto* codes = static_cast<uint32_t*>(device_random(words * P * 4, 4));
  auto* codes2 = static_cast<uint32_t*>(device_random(words * P * 4, 5));
  auto* sign = static_cast<uint32_t*>(device_random(words * 4, 6));
  auto* nonzero = static_cast<uint32_t*>(device_random(words * 4, 7));
  int* flag;
  CHECK_CUDA(cudaMalloc(&flag, sizeof(int)));
  const size_t copy_max = size_t(13 * n);  // the most bytes any pass touches
  char* copy_buf;
  CHECK_CUDA(cudaMalloc(&copy_buf, copy_max));
  CHECK_CUDA(cudaDeviceSynchronize());

  struct Row {
    std::string name;
    double bytes;
    double target;
    std::function<void()> run;
  };
  lioncubEncodeDesc_t sign_desc{n, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, lioncubCodeSign, 0.0f, 32};
  lioncubEncodeDesc_t tern_desc{n, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, lioncubCodeTernary, 1.0f, 1024};
  lioncubEncodeDesc_t bf16_desc{n, lioncubBfloat16, lioncubFloat32, 0.9f, 0.99f, lioncubCodeSign, 0.0f, 32};
  lioncubEncodeDesc_t tern0_desc{n, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, lioncubCodeTernary, 0.0f, 1024};
  // Counts for the averaging mode's apply: the copy buffer's 2n bytes read as uint16 (any value
  // times the same).
  lioncubUpdate_t u_counts{lioncubUpdateCounts, nullptr, nullptr, reinterpret_cast<const uint16_t*>(copy_buf),
                           nullptr, P};
  lioncubUpdate_t u_sign{lioncubUpdatePlanes, sign, nullptr, nullptr, nullptr, 0};
  lioncubUpdate_t u_tern{lioncubUpdatePlanes, sign, nonzero, nullptr, nullptr, 0};
  std::vector<Row> rows{
      {"encode/sign/fp32", 12.125 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubEncode(&sign_desc, g, m, sign, nullptr, flag, lioncubMemDevice, nullptr)); }},
      {"encode/ternary/fp32", 12.25 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubEncode(&tern_desc, g, m, sign, nonzero, flag, lioncubMemDevice, nullptr)); }},
      {"encode/sign/bf16-grad", 10.125 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubEncode(&bf16_desc, g, m, sign, nullptr, flag, lioncubMemDevice, nullptr)); }},
      {"encode/ternary-a0/fp32", 12.25 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubEncode(&tern0_desc, g, m, sign, nonzero, flag, lioncubMemDevice, nullptr)); }},
      {"apply/sign/fp32", 8.125 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubApply(n, lioncubFloat32, p, &u_sign, 1e-4f, 0.1f, lioncubMemDevice, nullptr)); }},
      {"apply/ternary/fp32", 8.25 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubApply(n, lioncubFloat32, p, &u_tern, 1e-4f, 0.1f, lioncubMemDevice, nullptr)); }},
      {"apply/counts/fp32", 10.0 * n, 0.85,
       [&] { CHECK_LIONCUB(lioncubApply(n, lioncubFloat32, p, &u_counts, 1e-4f, 0.1f, lioncubMemDevice, nullptr)); }},
      {"vote/P8", (P + 2) / 8.0 * n, 0.8,
       [&] {
         CHECK_LIONCUB(lioncubVote(codes, words, P, n, lioncubTieZero, 0, sign, nonzero, lioncubMemDevice, nullptr));
       }},
      {"ternary-reencode/P8", (2 * P + 2) / 8.0 * n, 0.0,
       [&] {
         CHECK_LIONCUB(lioncubTernaryReencode(codes, codes2, words, P, n, lioncubTieZero, 0, sign, nonzero,
                                              lioncubMemDevice, nullptr));
       }},
  };
  std::printf("lioncub CUDA kernels on %s, %zu elements, %d iterations each\n", prop.name, n, iters);
  std::printf("%-22s %10s %10s %12s %8s %8s\n", "pass", "ms", "GB/s", "copy GB/s", "ratio", "target");
  for (const Row& r : rows) {
    const size_t half = size_t(r.bytes / 2);
    const float copy_ms = time_ms([&] { CHECK_CUDA(cudaMemcpyAsync(copy_buf + half, copy_buf, half, cudaMemcpyDeviceToDevice)); }, iters);
    const float ms = time_ms(r.run, iters);
    const double gbs = r.bytes / (ms * 1e6), copy_gbs = double(2 * half) / (copy_ms * 1e6);
    std::printf("%-22s %10.3f %10.1f %12.1f %8.2f %8s%s\n", r.name.c_str(), ms, gbs, copy_gbs, gbs / copy_gbs,
                r.target > 0 ? std::to_string(r.target).substr(0, 4).c_str() : "-",
                r.target > 0 && gbs / copy_gbs < r.target ? "  below target" : "");
  }
  for (void* q : {static_cast<void*>(g), static_cast<void*>(m), static_cast<void*>(p), static_cast<void*>(codes),
                  static_cast<void*>(codes2), static_cast<void*>(sign), static_cast<void*>(nonzero),
                  static_cast<void*>(flag), static_cast<void*>(copy_buf)}) {
    cudaFree(q);
  }
  return 0;
}
