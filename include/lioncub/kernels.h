/*
 * lioncub kernels: the fused Lion passes on packed codes (encode, vote, ternary sum, apply,
 * packed-sum lanes), on host or device memory. See docs/kernels.md.
 *
 * Packed layout: element i of a code lives in word i / 32, bit i % 32 of a uint32_t array; a
 * buffer of n elements has lioncubPackedWords(n) words and its pad bits are 0. 2-bit ternary
 * codes use two such planes: `sign` (bit = 1 for +1) and `nonzero` (bit = 1 for +1 or -1). A
 * 1-bit sign code is a sign plane alone.
 */
#ifndef LIONCUB_KERNELS_H_
#define LIONCUB_KERNELS_H_

#include "lioncub/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fused encode pass. Per element, in fp32:
 *   c = beta1*m + (1-beta1)*g       -> code (sign plane; plus nonzero plane for ternary)
 *   m = beta2*m + (1-beta2)*g       -> written back in momentumType (bf16: round to nearest even)
 * Ternary threshold tau = ternaryAlpha * mean|c| over blocks of ternaryBlock consecutive
 * elements (a multiple of 32; the last block may be short). alpha = 0 gives exact sign with
 * zeros kept.
 * Non-finite c (NaN/Inf gradient or momentum): the element abstains (ternary 0; in the 1-bit
 * code its bit is 0, the same as c <= 0), it adds nothing to its block's mean, its momentum is
 * left unchanged when the update would not be finite, and *nonFinite is set to 1 (never
 * cleared: the caller zeroes it). nonFinite may be NULL; with lioncubMemDevice it is a device
 * pointer and nothing synchronizes the host. */
typedef struct {
  size_t numel;
  lioncubDataType_t gradType;     /* fp32, bf16 or fp16 */
  lioncubDataType_t momentumType; /* fp32 or bf16 */
  float beta1;                    /* in [0, 1] */
  float beta2;                    /* in [0, 1] */
  lioncubCode_t code;
  float ternaryAlpha;      /* >= 0, ternary only */
  uint32_t ternaryBlock;   /* multiple of 32 in [32, 16384], ternary only */
} lioncubEncodeDesc_t;

LIONCUB_API lioncubResult_t lioncubEncode(const lioncubEncodeDesc_t* desc, const void* grad,
                                          void* momentum, uint32_t* signPlane,
                                          uint32_t* nonzeroPlane, int* nonFinite,
                                          lioncubMemory_t mem, cudaStream_t stream);

/* Majority vote of nvec packed 1-bit codes of numel elements; vector v starts at
 * codes + v * strideWords (strideWords >= lioncubPackedWords(numel)). Result planes: +1 where
 * more than half the bits are 1, -1 where fewer, and ties (even nvec) per `tie` (`step` picks
 * the sign for lioncubTieAlternate). nonzeroOut may be NULL when no tie can become 0 (odd nvec or
 * lioncubTieAlternate). 1 <= nvec <= 32767. */
LIONCUB_API lioncubResult_t lioncubVote(const uint32_t* codes, size_t strideWords, int nvec,
                                        size_t numel, lioncubTiePolicy_t tie, uint64_t step,
                                        uint32_t* signOut, uint32_t* nonzeroOut,
                                        lioncubMemory_t mem, cudaStream_t stream);

/* Averaging mode of the vote: counts[i] = number of vectors whose bit i is 1; the averaged
 * update is (2*count - nvec) / nvec (see lioncubApply). */
LIONCUB_API lioncubResult_t lioncubVoteCount(const uint32_t* codes, size_t strideWords, int nvec,
                                             size_t numel, uint16_t* counts, lioncubMemory_t mem,
                                             cudaStream_t stream);

/* Exact per-element sum of nvec ternary codes (vector v: signs/nonzeros + v * strideWords). */
LIONCUB_API lioncubResult_t lioncubTernarySum(const uint32_t* signs, const uint32_t* nonzeros,
                                              size_t strideWords, int nvec, size_t numel,
                                              int16_t* sums, lioncubMemory_t mem,
                                              cudaStream_t stream);

/* Sign of that sum, re-encoded as planes: +1, -1, and zero sums per `tie`. */
LIONCUB_API lioncubResult_t lioncubTernaryReencode(const uint32_t* signs, const uint32_t* nonzeros,
                                                   size_t strideWords, int nvec, size_t numel,
                                                   lioncubTiePolicy_t tie, uint64_t step,
                                                   uint32_t* signOut, uint32_t* nonzeroOut,
                                                   lioncubMemory_t mem, cudaStream_t stream);

/* The aggregated update u that the apply pass reads. */
typedef enum LIONCUB_ENUM_INT {
  lioncubUpdatePlanes = 0, /* u in {-1, 0, +1}: sign plane, nonzero plane (NULL: all nonzero) */
  lioncubUpdateCounts = 1, /* u = (2*counts[i] - nvec) / nvec */
  lioncubUpdateSums = 2    /* u = sums[i] / nvec */
} lioncubUpdateKind_t;

typedef struct {
  lioncubUpdateKind_t kind;
  const uint32_t* sign;
  const uint32_t* nonzero;
  const uint16_t* counts;
  const int16_t* sums;
  int nvec; /* counts and sums only */
} lioncubUpdate_t;

/* Fused apply pass: p = p * (1 - lr*weightDecay) - lr * u, in fp32, stored in paramType
 * (fp32 or bf16, round to nearest even). */
LIONCUB_API lioncubResult_t lioncubApply(size_t numel, lioncubDataType_t paramType, void* params,
                                         const lioncubUpdate_t* update, float lr,
                                         float weightDecay, lioncubMemory_t mem,
                                         cudaStream_t stream);


/* packed-sum lanes. Element i of a code becomes a laneBits-bit lane at bits
 * [laneBits*i, laneBits*(i+1)) of `lanes` (little-endian bit order, lioncubPackedWords(numel) *
 * laneBits words; pad lanes are 0): the bit of a 1-bit sign code, or v+1 in {0, 1, 2} of a
 * ternary code v. Lanes never straddle a byte, so a byte-wise integer sum of nvec such buffers
 * (an allreduce of uint8) sums every lane while no lane overflows. laneBits: 2, 4 or 8; `lanes`
 * is 8-byte aligned for 2-bit lanes, 16-byte aligned otherwise. */
LIONCUB_API lioncubResult_t lioncubLanePack(lioncubCode_t code, const uint32_t* sign,
                                            const uint32_t* nonzero, size_t numel, int laneBits,
                                            uint32_t* lanes, lioncubMemory_t mem,
                                            cudaStream_t stream);
/* Summed lanes of nvec codes back to result planes: the majority of the 1-bit codes (ties for
 * even nvec), or the sign of the ternary sum; ties per `tie` as in lioncubVote. The largest sum
 * (nvec, or 2*nvec for ternary) must be below 2^laneBits. nonzeroOut may be NULL when no result
 * can be 0. */
LIONCUB_API lioncubResult_t lioncubLaneResolve(lioncubCode_t code, const uint32_t* lanes, int nvec,
                                               size_t numel, int laneBits,
                                               lioncubTiePolicy_t tie, uint64_t step,
                                               uint32_t* signOut, uint32_t* nonzeroOut,
                                               lioncubMemory_t mem, cudaStream_t stream);
/* The smallest lane width (2, 4 or 8) whose lanes hold the sum of nvec codes; 0 when 8 bits
 * could overflow (nvec > 255 sign codes, nvec > 127 ternary codes) or the arguments are bad. */
LIONCUB_API int lioncubLaneBits(lioncubCode_t code, int nvec);

#ifdef __cplusplus
}
#endif

#endif /* LIONCUB_KERNELS_H_ */
