// The kernels' C API: validates every argument, then runs the CPU path or launches the CUDA path.
#include <cmath>

#include "bitslice.h"
#include "common/error.h"
#include "kernels.h"
#include "lanes.h"

namespace lioncub {
namespace {

constexpr int kMaxVectors = 32767;  // sums fit int16_t, counts uint16_t
constexpr uint32_t kMaxTernaryBlock = 16384;

bool aligned(const void* p, size_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

size_t dtype_size(lioncubDataType_t t) { return t == lioncubFloat32 ? 4 : 2; }

#define LIONCUB_REQUIRE(cond, ...)                      \
  do {                                                  \
    if (!(cond)) return fail(lioncubInvalidArgument, __VA_ARGS__); \
  } while (0)

lioncubResult_t check_memory(const char* fn, lioncubMemory_t mem) {
  if (mem == lioncubMemHost) return lioncubSuccess;
  if (mem != lioncubMemDevice) return fail(lioncubInvalidArgument, "%s: unknown memory kind %d", fn, int(mem));
  if (!lioncubHasCuda()) {
    return fail(lioncubNotSupported, "%s: device memory needs a lioncub built with CUDA", fn);
  }
  return lioncubSuccess;
}

lioncubResult_t check_buffer(const char* fn, const char* name, const void* p, size_t alignment) {
  LIONCUB_REQUIRE(p != nullptr, "%s: %s is NULL with a non-zero element count", fn, name);
  LIONCUB_REQUIRE(aligned(p, alignment), "%s: %s is not aligned to %zu bytes", fn, name, alignment);
  return lioncubSuccess;
}

lioncubResult_t check_vectors(const char* fn, int nvec, size_t stride, size_t numel) {
  LIONCUB_REQUIRE(nvec >= 1 && nvec <= kMaxVectors, "%s: nvec %d is outside [1, %d]", fn, nvec, kMaxVectors);
  LIONCUB_REQUIRE(nvec == 1 || stride >= packed_words(numel),
                  "%s: strideWords %zu is less than the %zu words of one vector", fn, stride,
                  packed_words(numel));
  return lioncubSuccess;
}

lioncubResult_t check_count(const char* fn, size_t numel) {
  LIONCUB_REQUIRE(numel <= LIONCUB_MAX_ELEMENTS, "%s: %zu elements is more than LIONCUB_MAX_ELEMENTS (2^40)",
                  fn, numel);
  return lioncubSuccess;
}

lioncubResult_t check_tie(const char* fn, lioncubTiePolicy_t tie) {
  LIONCUB_REQUIRE(tie == lioncubTieZero || tie == lioncubTieAlternate, "%s: unknown tie policy %d", fn, int(tie));
  return lioncubSuccess;
}

#define LIONCUB_CHECK(expr)                          \
  do {                                               \
    const lioncubResult_t r_ = (expr);               \
    if (r_ != lioncubSuccess) return r_;             \
  } while (0)

lioncubResult_t encode(const lioncubEncodeDesc_t* d, const void* grad, void* momentum,
                       uint32_t* sign, uint32_t* nonzero, int* non_finite, lioncubMemory_t mem,
                       cudaStream_t stream) {
  const char* fn = "lioncubEncode";
  LIONCUB_REQUIRE(d != nullptr, "%s: desc is NULL", fn);
  LIONCUB_CHECK(check_memory(fn, mem));
  LIONCUB_REQUIRE(d->gradType == lioncubFloat32 || d->gradType == lioncubBfloat16 || d->gradType == lioncubFloat16,
                  "%s: unsupported gradient dtype %d (fp32, bf16 or fp16)", fn, int(d->gradType));
  LIONCUB_REQUIRE(d->momentumType == lioncubFloat32 || d->momentumType == lioncubBfloat16,
                  "%s: unsupported momentum dtype %d (fp32 or bf16)", fn, int(d->momentumType));
  LIONCUB_REQUIRE(d->beta1 >= 0.0f && d->beta1 <= 1.0f, "%s: beta1 %g is outside [0, 1]", fn, double(d->beta1));
  LIONCUB_REQUIRE(d->beta2 >= 0.0f && d->beta2 <= 1.0f, "%s: beta2 %g is outside [0, 1]", fn, double(d->beta2));
  LIONCUB_REQUIRE(d->code == lioncubCodeSign || d->code == lioncubCodeTernary, "%s: unknown code %d", fn, int(d->code));
  const bool ternary = d->code == lioncubCodeTernary;
  if (ternary) {
    LIONCUB_REQUIRE(std::isfinite(d->ternaryAlpha) && d->ternaryAlpha >= 0.0f,
                    "%s: ternaryAlpha %g must be finite and >= 0", fn, double(d->ternaryAlpha));
    LIONCUB_REQUIRE(d->ternaryBlock >= 32 && d->ternaryBlock <= kMaxTernaryBlock && d->ternaryBlock % 32 == 0,
                    "%s: ternaryBlock %u must be a multiple of 32 in [32, %u]", fn, d->ternaryBlock,
                    kMaxTernaryBlock);
  }
  LIONCUB_CHECK(check_count(fn, d->numel));
  if (d->numel == 0) return lioncubSuccess;
  LIONCUB_CHECK(check_buffer(fn, "grad", grad, dtype_size(d->gradType)));
  LIONCUB_CHECK(check_buffer(fn, "momentum", momentum, dtype_size(d->momentumType)));
  LIONCUB_CHECK(check_buffer(fn, "signPlane", sign, 4));
  if (ternary) LIONCUB_CHECK(check_buffer(fn, "nonzeroPlane", nonzero, 4));
  LIONCUB_REQUIRE(non_finite == nullptr || aligned(non_finite, alignof(int)), "%s: nonFinite is misaligned", fn);
  EncodeArgs a{d->numel, d->gradType, d->momentumType, make_lion_coeffs(d->beta1, d->beta2), ternary,
               d->ternaryAlpha, d->ternaryBlock, grad, momentum, sign, ternary ? nonzero : nullptr,
               non_finite};
  if (mem == lioncubMemDevice) return cuda::encode(a, stream);
  cpu::encode(a);
  return lioncubSuccess;
}

lioncubResult_t vote(const char* fn, const uint32_t* codes, size_t stride, int nvec, size_t numel,
                     lioncubTiePolicy_t tie, uint64_t step, uint32_t* sign, uint32_t* nonzero,
                     uint16_t* counts, lioncubMemory_t mem, cudaStream_t stream) {
  LIONCUB_CHECK(check_memory(fn, mem));
  LIONCUB_CHECK(check_count(fn, numel));
  LIONCUB_CHECK(check_vectors(fn, nvec, stride, numel));
  LIONCUB_CHECK(check_tie(fn, tie));
  if (numel == 0) return lioncubSuccess;
  LIONCUB_CHECK(check_buffer(fn, "codes", codes, 4));
  if (counts == nullptr) {
    LIONCUB_CHECK(check_buffer(fn, "signOut", sign, 4));
    if (nonzero || (tie == lioncubTieZero && nvec % 2 == 0)) {
      LIONCUB_CHECK(check_buffer(fn, "nonzeroOut (needed: even nvec with lioncubTieZero)", nonzero, 4));
    }
  } else {
    LIONCUB_CHECK(check_buffer(fn, "counts", counts, 2));
  }
  VoteArgs a{codes, nvec == 1 ? packed_words(numel) : stride, nvec, numel, tie == lioncubTieAlternate,
             alternate_positive(step), sign, nonzero, counts};
  if (mem == lioncubMemDevice) return counts ? cuda::vote_count(a, stream) : cuda::vote(a, stream);
  counts ? cpu::vote_count(a) : cpu::vote(a);
  return lioncubSuccess;
}

lioncubResult_t ternary(const char* fn, const uint32_t* signs, const uint32_t* nonzeros, size_t stride,
                        int nvec, size_t numel, lioncubTiePolicy_t tie, uint64_t step, uint32_t* sign,
                        uint32_t* nonzero, int16_t* sums, lioncubMemory_t mem, cudaStream_t stream) {
  LIONCUB_CHECK(check_memory(fn, mem));
  LIONCUB_CHECK(check_count(fn, numel));
  LIONCUB_CHECK(check_vectors(fn, nvec, stride, numel));
  LIONCUB_CHECK(check_tie(fn, tie));
  if (numel == 0) return lioncubSuccess;
  LIONCUB_CHECK(check_buffer(fn, "signs", signs, 4));
  LIONCUB_CHECK(check_buffer(fn, "nonzeros", nonzeros, 4));
  if (sums == nullptr) {
    LIONCUB_CHECK(check_buffer(fn, "signOut", sign, 4));
    if (nonzero || tie == lioncubTieZero) {
      LIONCUB_CHECK(check_buffer(fn, "nonzeroOut (needed with lioncubTieZero)", nonzero, 4));
    }
  } else {
    LIONCUB_CHECK(check_buffer(fn, "sums", sums, 2));
  }
  TernaryArgs a{signs, nonzeros, nvec == 1 ? packed_words(numel) : stride, nvec, numel,
                tie == lioncubTieAlternate, alternate_positive(step), sign, nonzero, sums};
  if (mem == lioncubMemDevice) return sums ? cuda::ternary_sum(a, stream) : cuda::ternary_reencode(a, stream);
  sums ? cpu::ternary_sum(a) : cpu::ternary_reencode(a);
  return lioncubSuccess;
}

lioncubResult_t check_lanes(const char* fn, lioncubCode_t code, int width) {
  LIONCUB_REQUIRE(code == lioncubCodeSign || code == lioncubCodeTernary, "%s: unknown code %d", fn, int(code));
  LIONCUB_REQUIRE(width == 2 || width == 4 || width == 8, "%s: laneBits %d is not 2, 4 or 8", fn, width);
  return lioncubSuccess;
}

// Lane words move as 8-byte (2-bit lanes) or 16-byte vectors on the device.
size_t lane_alignment(int width) { return width == 2 ? 8 : 16; }

lioncubResult_t lane_pack(lioncubCode_t code, const uint32_t* sign, const uint32_t* nonzero,
                          size_t numel, int width, uint32_t* lanes, lioncubMemory_t mem,
                          cudaStream_t stream) {
  const char* fn = "lioncubLanePack";
  LIONCUB_CHECK(check_memory(fn, mem));
  LIONCUB_CHECK(check_lanes(fn, code, width));
  const bool ternary = code == lioncubCodeTernary;
  LIONCUB_CHECK(check_count(fn, numel));
  if (numel == 0) return lioncubSuccess;
  LIONCUB_CHECK(check_buffer(fn, "sign", sign, 4));
  if (ternary) LIONCUB_CHECK(check_buffer(fn, "nonzero (needed for a ternary code)", nonzero, 4));
  LIONCUB_CHECK(check_buffer(fn, "lanes", lanes, lane_alignment(width)));
  LaneArgs a{numel, width, ternary, sign, ternary ? nonzero : nullptr, lanes, 0, false, false,
             nullptr, nullptr};
  if (mem == lioncubMemDevice) return cuda::lane_pack(a, stream);
  cpu::lane_pack(a);
  return lioncubSuccess;
}

lioncubResult_t lane_resolve(lioncubCode_t code, const uint32_t* lanes, int nvec, size_t numel,
                             int width, lioncubTiePolicy_t tie, uint64_t step, uint32_t* sign,
                             uint32_t* nonzero, lioncubMemory_t mem, cudaStream_t stream) {
  const char* fn = "lioncubLaneResolve";
  LIONCUB_CHECK(check_memory(fn, mem));
  LIONCUB_CHECK(check_lanes(fn, code, width));
  LIONCUB_CHECK(check_tie(fn, tie));
  const bool ternary = code == lioncubCodeTernary;
  const int max_sum = ternary ? 2 * nvec : nvec;
  LIONCUB_REQUIRE(nvec >= 1 && max_sum < (1 << width),
                  "%s: nvec %d needs sums up to %d, which overflow %d-bit lanes", fn, nvec,
                  max_sum, width);
  LIONCUB_CHECK(check_count(fn, numel));
  if (numel == 0) return lioncubSuccess;
  LIONCUB_CHECK(check_buffer(fn, "lanes", lanes, lane_alignment(width)));
  LIONCUB_CHECK(check_buffer(fn, "signOut", sign, 4));
  if (nonzero || (tie == lioncubTieZero && (ternary || nvec % 2 == 0))) {
    LIONCUB_CHECK(check_buffer(fn, "nonzeroOut (needed when results can be 0)", nonzero, 4));
  }
  LaneArgs a{numel, width, ternary, nullptr, nullptr, const_cast<uint32_t*>(lanes), nvec,
             tie == lioncubTieAlternate, alternate_positive(step), sign, nonzero};
  if (mem == lioncubMemDevice) return cuda::lane_resolve(a, stream);
  cpu::lane_resolve(a);
  return lioncubSuccess;
}

lioncubResult_t apply(size_t numel, lioncubDataType_t type, void* params, const lioncubUpdate_t* u,
                      float lr, float wd, lioncubMemory_t mem, cudaStream_t stream) {
  const char* fn = "lioncubApply";
  LIONCUB_CHECK(check_memory(fn, mem));
  LIONCUB_REQUIRE(u != nullptr, "%s: update is NULL", fn);
  LIONCUB_REQUIRE(type == lioncubFloat32 || type == lioncubBfloat16,
                  "%s: unsupported parameter dtype %d (fp32 or bf16)", fn, int(type));
  LIONCUB_REQUIRE(std::isfinite(lr) && lr >= 0.0f, "%s: lr %g must be finite and >= 0", fn, double(lr));
  LIONCUB_REQUIRE(std::isfinite(wd) && wd >= 0.0f, "%s: weightDecay %g must be finite and >= 0", fn, double(wd));
  LIONCUB_REQUIRE(u->kind == lioncubUpdatePlanes || u->kind == lioncubUpdateCounts || u->kind == lioncubUpdateSums,
                  "%s: unknown update kind %d", fn, int(u->kind));
  if (u->kind != lioncubUpdatePlanes) {
    LIONCUB_REQUIRE(u->nvec >= 1 && u->nvec <= kMaxVectors, "%s: update nvec %d is outside [1, %d]", fn,
                    u->nvec, kMaxVectors);
  }
  LIONCUB_CHECK(check_count(fn, numel));
  if (numel == 0) return lioncubSuccess;
  LIONCUB_CHECK(check_buffer(fn, "params", params, dtype_size(type)));
  switch (u->kind) {
    case lioncubUpdatePlanes:
      LIONCUB_CHECK(check_buffer(fn, "update->sign", u->sign, 4));
      LIONCUB_REQUIRE(u->nonzero == nullptr || aligned(u->nonzero, 4), "%s: update->nonzero is misaligned", fn);
      break;
    case lioncubUpdateCounts: LIONCUB_CHECK(check_buffer(fn, "update->counts", u->counts, 2)); break;
    default: LIONCUB_CHECK(check_buffer(fn, "update->sums", u->sums, 2)); break;
  }
  ApplyArgs a{numel, type, params, *u, make_apply_coeffs(lr, wd)};
  if (mem == lioncubMemDevice) return cuda::apply(a, stream);
  cpu::apply(a);
  return lioncubSuccess;
}

}  // namespace
}  // namespace lioncub

using namespace lioncub;

extern "C" {

size_t lioncubPackedWords(size_t numel) { return packed_words(numel); }

lioncubResult_t lioncubEncode(const lioncubEncodeDesc_t* desc, const void* grad, void* momentum,
                              uint32_t* signPlane, uint32_t* nonzeroPlane, int* nonFinite,
                              lioncubMemory_t mem, cudaStream_t stream) {
  return c_api("lioncubEncode", [&] {
    return encode(desc, grad, momentum, signPlane, nonzeroPlane, nonFinite, mem, stream);
  });
}

lioncubResult_t lioncubVote(const uint32_t* codes, size_t strideWords, int nvec, size_t numel,
                            lioncubTiePolicy_t tie, uint64_t step, uint32_t* signOut,
                            uint32_t* nonzeroOut, lioncubMemory_t mem, cudaStream_t stream) {
  return c_api("lioncubVote", [&] {
    return vote("lioncubVote", codes, strideWords, nvec, numel, tie, step, signOut, nonzeroOut,
                nullptr, mem, stream);
  });
}

lioncubResult_t lioncubVoteCount(const uint32_t* codes, size_t strideWords, int nvec, size_t numel,
                                 uint16_t* counts, lioncubMemory_t mem, cudaStream_t stream) {
  return c_api("lioncubVoteCount", [&] {
    if (numel > 0 && counts == nullptr) {
      return fail(lioncubInvalidArgument, "lioncubVoteCount: counts is NULL with a non-zero element count");
    }
    return vote("lioncubVoteCount", codes, strideWords, nvec, numel, lioncubTieZero, 0, nullptr,
                nullptr, counts, mem, stream);
  });
}

lioncubResult_t lioncubTernarySum(const uint32_t* signs, const uint32_t* nonzeros, size_t strideWords,
                                  int nvec, size_t numel, int16_t* sums, lioncubMemory_t mem,
                                  cudaStream_t stream) {
  return c_api("lioncubTernarySum", [&] {
    if (numel > 0 && sums == nullptr) {
      return fail(lioncubInvalidArgument, "lioncubTernarySum: sums is NULL with a non-zero element count");
    }
    return ternary("lioncubTernarySum", signs, nonzeros, strideWords, nvec, numel, lioncubTieZero, 0,
                   nullptr, nullptr, sums, mem, stream);
  });
}

lioncubResult_t lioncubTernaryReencode(const uint32_t* signs, const uint32_t* nonzeros,
                                       size_t strideWords, int nvec, size_t numel,
                                       lioncubTiePolicy_t tie, uint64_t step, uint32_t* signOut,
                                       uint32_t* nonzeroOut, lioncubMemory_t mem,
                                       cudaStream_t stream) {
  return c_api("lioncubTernaryReencode", [&] {
    return ternary("lioncubTernaryReencode", signs, nonzeros, strideWords, nvec, numel, tie, step,
                   signOut, nonzeroOut, nullptr, mem, stream);
  });
}

lioncubResult_t lioncubLanePack(lioncubCode_t code, const uint32_t* sign, const uint32_t* nonzero,
                                size_t numel, int laneBits, uint32_t* lanes, lioncubMemory_t mem,
                                cudaStream_t stream) {
  return c_api("lioncubLanePack", [&] {
    return lane_pack(code, sign, nonzero, numel, laneBits, lanes, mem, stream);
  });
}

lioncubResult_t lioncubLaneResolve(lioncubCode_t code, const uint32_t* lanes, int nvec,
                                   size_t numel, int laneBits, lioncubTiePolicy_t tie,
                                   uint64_t step, uint32_t* signOut, uint32_t* nonzeroOut,
                                   lioncubMemory_t mem, cudaStream_t stream) {
  return c_api("lioncubLaneResolve", [&] {
    return lane_resolve(code, lanes, nvec, numel, laneBits, tie, step, signOut, nonzeroOut, mem,
                        stream);
  });
}

int lioncubLaneBits(lioncubCode_t code, int nvec) {
  if (nvec < 1 || (code != lioncubCodeSign && code != lioncubCodeTernary)) return 0;
  return lane_width_for(nvec, code == lioncubCodeTernary);
}

lioncubResult_t lioncubApply(size_t numel, lioncubDataType_t paramType, void* params,
                             const lioncubUpdate_t* update, float lr, float weightDecay,
                             lioncubMemory_t mem, cudaStream_t stream) {
  return c_api("lioncubApply", [&] {
    return apply(numel, paramType, params, update, lr, weightDecay, mem, stream);
  });
}

}  // extern "C"
