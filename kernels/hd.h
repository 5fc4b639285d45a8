// Host/device plumbing shared by the CPU and CUDA kernels.
//
// Every float operation of the element math goes through fadd/fsub/fmul/fdiv. On the device they
// are the round-to-nearest intrinsics, which nvcc never contracts into FMA; on the host the
// library is compiled with -ffp-contract=off. Both sides therefore perform the same IEEE
// single-precision operations in the same order, which is what makes CPU and GPU results
// bit-identical (and lets the CPU tests test what the GPU runs).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define LIONCUB_HD __host__ __device__ __forceinline__
#else
#define LIONCUB_HD inline
#endif

namespace lioncub {

LIONCUB_HD float fadd(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

LIONCUB_HD float fsub(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}

LIONCUB_HD float fmul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

LIONCUB_HD float fdiv(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

LIONCUB_HD uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

LIONCUB_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

LIONCUB_HD bool is_finite(float f) { return (float_bits(f) & 0x7f800000u) != 0x7f800000u; }

LIONCUB_HD float fabs_exact(float f) { return bits_float(float_bits(f) & 0x7fffffffu); }

}  // namespace lioncub
