// Eight-element vector moves of the CUDA kernels: 16-byte loads and stores (one for 2-byte types,
// two for fp32) when the caller has checked 16-byte alignment, element by element otherwise.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

namespace lioncub::cuda {

constexpr int kVec = 8;  // elements per thread and step: a byte of a packed code word

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Read-only input (gradients, counts): the non-coherent path.
template <class T>
__device__ __forceinline__ void load8_ro(const T* p, T (&out)[kVec]) {
  constexpr int n = kVec * int(sizeof(T)) / 16;
  static_assert(n >= 1 && kVec * sizeof(T) % 16 == 0, "8 elements must be whole 16-byte vectors");
  uint4 raw[n];
#pragma unroll
  for (int i = 0; i < n; ++i) raw[i] = __ldg(reinterpret_cast<const uint4*>(p) + i);
  memcpy(out, raw, sizeof out);
}

// State the kernel also writes (momentum, parameters): plain loads.
template <class T>
__device__ __forceinline__ void load8(const T* p, T (&out)[kVec]) {
  constexpr int n = kVec * int(sizeof(T)) / 16;
  uint4 raw[n];
#pragma unroll
  for (int i = 0; i < n; ++i) raw[i] = reinterpret_cast<const uint4*>(p)[i];
  memcpy(out, raw, sizeof out);
}

template <class T>
__device__ __forceinline__ void store8(T* p, const T (&in)[kVec]) {
  constexpr int n = kVec * int(sizeof(T)) / 16;
  uint4 raw[n];
  memcpy(raw, in, sizeof raw);
#pragma unroll
  for (int i = 0; i < n; ++i) reinterpret_cast<uint4*>(p)[i] = raw[i];
}

__device__ __forceinline__ size_t thread_index() { return size_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ size_t thread_count() { return size_t(gridDim.x) * blockDim.x; }

}  // namespace lioncub::cuda
