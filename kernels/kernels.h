// Internal interface between the kernels' C API (kernels/api.cc, which validates) and the CPU and CUDA kernels
// (which trust their arguments).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "lion_math.h"
#include "lioncub/lioncub.h"

namespace lioncub {

inline size_t packed_words(size_t numel) { return numel / 32 + (numel % 32 != 0); }  // no wrap

struct EncodeArgs {
  size_t numel;
  lioncubDataType_t grad_type, momentum_type;
  LionCoeffs k;
  bool ternary;
  float alpha;
  uint32_t block;  // elements per ternary block, a multiple of 32
  const void* grad;
  void* momentum;
  uint32_t* sign;
  uint32_t* nonzero;  // ternary only
  int* non_finite;    // may be null
};

// Vote and its averaging mode over nvec packed 1-bit vectors.
struct VoteArgs {
  const uint32_t* codes;
  size_t stride;  // words between vectors
  int nvec;
  size_t numel;
  bool alternate, alternate_positive;
  uint32_t* sign;      // vote
  uint32_t* nonzero;   // vote, may be null
  uint16_t* counts;    // vote count
};

// Ternary sum and re-encoding over nvec 2-bit vectors.
struct TernaryArgs {
  const uint32_t* signs;
  const uint32_t* nonzeros;
  size_t stride;
  int nvec;
  size_t numel;
  bool alternate, alternate_positive;
  uint32_t* sign;     // re-encode
  uint32_t* nonzero;  // re-encode, may be null
  int16_t* sums;      // sum
};

// packed-sum's lanes (lanes.h): pack a code into w-bit lanes, or resolve summed lanes into planes.
struct LaneArgs {
  size_t numel;
  int width;  // 2, 4 or 8
  bool ternary;
  const uint32_t* sign;     // pack input
  const uint32_t* nonzero;  // pack input, ternary only
  uint32_t* lanes;          // pack output; resolve input (read only)
  int nvec;                 // resolve
  bool alternate, alternate_positive;
  uint32_t* sign_out;     // resolve
  uint32_t* nonzero_out;  // resolve, may be null
};

struct ApplyArgs {
  size_t numel;
  lioncubDataType_t param_type;
  void* params;
  lioncubUpdate_t update;
  ApplyCoeffs k;
};

// The CPU passes. Their sources are compiled twice: for baseline x86-64 (SSE2) and for AVX2;
// the entry points in cpu/isa_dispatch.cc pick one at run time (LIONCUB_CPU_ISA=baseline forces
// the first). Without FMA (and with -ffp-contract=off) both give bit-identical results.
#define LIONCUB_DECLARE_CPU_PASSES          \
  void encode(const EncodeArgs& a);         \
  void vote(const VoteArgs& a);             \
  void vote_count(const VoteArgs& a);       \
  void ternary_sum(const TernaryArgs& a);   \
  void ternary_reencode(const TernaryArgs& a); \
  void lane_pack(const LaneArgs& a);        \
  void lane_resolve(const LaneArgs& a);     \
  void apply(const ApplyArgs& a);

namespace cpu {
LIONCUB_DECLARE_CPU_PASSES
namespace baseline {
LIONCUB_DECLARE_CPU_PASSES
}
namespace avx2 {
LIONCUB_DECLARE_CPU_PASSES
}
// The instruction set the dispatching entry points use: "avx2" or "baseline".
const char* isa();
}  // namespace cpu

// Asynchronous on `stream`; the result reports launch errors only.
namespace cuda {
lioncubResult_t encode(const EncodeArgs& a, cudaStream_t stream);
lioncubResult_t vote(const VoteArgs& a, cudaStream_t stream);
lioncubResult_t vote_count(const VoteArgs& a, cudaStream_t stream);
lioncubResult_t ternary_sum(const TernaryArgs& a, cudaStream_t stream);
lioncubResult_t ternary_reencode(const TernaryArgs& a, cudaStream_t stream);
lioncubResult_t lane_pack(const LaneArgs& a, cudaStream_t stream);
lioncubResult_t lane_resolve(const LaneArgs& a, cudaStream_t stream);
lioncubResult_t apply(const ApplyArgs& a, cudaStream_t stream);
int device_count();
}  // namespace cuda

}  // namespace lioncub
