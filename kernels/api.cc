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

lioncubResult_t check_memory(const char* fn, lioncubMemory_t mem) {
  if (mem == lioncubMemHost) return lioncubSuccess;
  if (mem != lioncubMemDevice) return fail(lioncubInvalidArgument, "%s: unknown memory kind %d", fn, int(mem));
  if (!lioncubHasCuda()) {
    return fail(lioncubNotSupported, "%s: device memory needs a lioncub built with CUDA", fn);
  }
  return lioncubSuccess;
}

lioncubResult_t check_buffer(const char* fn, const char* name, const void* p, size_t alignment) {
  if (p == nullptr) {
    return fail(lioncubInvalidArgument, "%s: %s is NULL with a non-zero element count", fn, name);
  }
  if (!aligned(p, alignment)) {
    return fail(lioncubInvalidArgument, "%s: %s is not aligned to %zu bytes", fn, name, alignment);
  }
  return lioncubSuccess;
}

lioncubResult_t check_vectors(const char* fn, int nvec, size_t stride, size_t numel) {
  if (!(nvec >= 1 && nvec <= kMaxVectors)) {
    return fail(lioncubInvalidArgument, "%s: nvec %d is outside [1, %d]", fn, nvec, kMaxVectors);
  }
  if (!(nvec == 1 || stride >= packed_words(numel))) {
    return fail(lioncubInvalidArgument, "%s: strideWords %zu is less than the %zu words of one vector", fn, stride,
                  packed_words(numel));
  }
  return lioncubSuccess;
}

lioncubResult_t check_count(const char* fn, size_t numel) {
  if (!(numel <= LIONCUB_MAX_ELEMENTS)) {
    return fail(lioncubInvalidArgument, "%s: %zu elements is more than LIONCUB_MAX_ELEMENTS (2^40)",
                  fn, numel);
  }
  return lioncubSuccess;
}

lioncubResult_t check_tie(const char* fn, lioncubTiePolicy_t tie) {
  if (!(tie == lioncubTieZero || tie == lioncubTieAlternate)) {
    return fail(lioncubInvalidArgument, "%s: unknown tie policy %d", fn, int(tie));
  }
  return lioncubSuccess;
}

lioncubResult_t encode(const lioncubEncodeDesc_t* d, const void* grad, void* momentum,
                       uint32_t* sign, uint32_t* nonzero, int* non_finite, lioncubMemory_t mem,
                       cudaStream_t stream) {
  const char* fn = "lioncubEncode";
  if (d == nullptr) {
    return fail(lioncubInvalidArgument, "%s: desc is NULL", fn);
  }
  if (const lioncubResult_t rc = check_memory(fn, mem); rc != lioncubSuccess) return rc;
  if (!(d->gradType == lioncubFloat32 || d->gradType == lioncubBfloat16 || d->gradType == lioncubFloat16)) {
    return fail(lioncubInvalidArgument, "%s: unsupported gradient dtype %d (fp32, bf16 or fp16)", fn, int(d->gradType));
  }
  if (!(d->momentumType == lioncubFloat32 || d->momentumType == lioncubBfloat16)) {
    return fail(lioncubInvalidArgument, "%s: unsupported momentum dtype %d (fp32 or bf16)", fn, int(d->momentumType));
  }
  if (!(d->beta1 >= 0.0f && d->beta1 <= 1.0f)) {
    return fail(lioncubInvalidArgument, "%s: beta1 %g is outside [0, 1]", fn, double(d->beta1));
  }
  if (!(d->beta2 >= 0.0f && d->beta2 <= 1.0f)) {
    return fail(lioncubInvalidArgument, "%s: beta2 %g is outside [0, 1]", fn, double(d->beta2));
  }
  if (!(d->code == lioncubCodeSign || d->code == lioncubCodeTernary)) {
    return fail(lioncubInvalidArgument, "%s: unknown code %d", fn, int(d->code));
  }
  const bool ternary = d->code == lioncubCodeTernary;
  if (ternary) {
    if (!(std::isfinite(d->ternaryAlpha) && d->ternaryAlpha >= 0.0f)) {
      return fail(lioncubInvalidArgument, "%s: ternaryAlpha %g must be finite and >= 0", fn, double(d->ternaryAlpha));
    }
    if (!(d->ternaryBlock >= 32 && d->ternaryBlock <= kMaxTernaryBlock && d->ternaryBlock % 32 == 0)) {
      return fail(lioncubInvalidArgument, "%s: ternaryBlock %u must be a multiple of 32 in [32, %u]", fn, d->ternaryBlock,
                    kMaxTernaryBlock);
    }
  }
  if (const lioncubResult_t rc = check_count(fn, d->numel); rc != lioncubSuccess) return rc;
  if (d->numel == 0) return lioncubSuccess;
  if (const lioncubResult_t rc = check_buffer(fn, "grad", grad, dtype_size(d->gradType)); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_buffer(fn, "momentum", momentum, dtype_size(d->momentumType)); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_buffer(fn, "signPlane", sign, 4); rc != lioncubSuccess) return rc;
  if (ternary) if (const lioncubResult_t rc = check_buffer(fn, "nonzeroPlane", nonzero, 4); rc != lioncubSuccess) return rc;
  if (!(non_finite == nullptr || aligned(non_finite, alignof(int)))) {
    return fail(lioncubInvalidArgument, "%s: nonFinite is misaligned", fn);
  }
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
  if (const lioncubResult_t rc = check_memory(fn, mem); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_count(fn, numel); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_vectors(fn, nvec, stride, numel); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_tie(fn, tie); rc != lioncubSuccess) return rc;
  if (numel == 0) return lioncubSuccess;
  if (const lioncubResult_t rc = check_buffer(fn, "codes", codes, 4); rc != lioncubSuccess) return rc;
  if (counts == nullptr) {
    if (const lioncubResult_t rc = check_buffer(fn, "signOut", sign, 4); rc != lioncubSuccess) return rc;
    if (nonzero || (tie == lioncubTieZero && nvec % 2 == 0)) {
      if (const lioncubResult_t rc = check_buffer(fn, "nonzeroOut (needed: even nvec with lioncubTieZero)", nonzero, 4); rc != lioncubSuccess) return rc;
    }
  } else {
    if (const lioncubResult_t rc = check_buffer(fn, "counts", counts, 2); rc != lioncubSuccess) return rc;
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
  if (const lioncubResult_t rc = check_memory(fn, mem); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_count(fn, numel); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_vectors(fn, nvec, stride, numel); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_tie(fn, tie); rc != lioncubSuccess) return rc;
  if (numel == 0) return lioncubSuccess;
  if (const lioncubResult_t rc = check_buffer(fn, "signs", signs, 4); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_buffer(fn, "nonzeros", nonzeros, 4); rc != lioncubSuccess) return rc;
  if (sums == nullptr) {
    if (const lioncubResult_t rc = check_buffer(fn, "signOut", sign, 4); rc != lioncubSuccess) return rc;
    if (nonzero || tie == lioncubTieZero) {
      if (const lioncubResult_t rc = check_buffer(fn, "nonzeroOut (needed with lioncubTieZero)", nonzero, 4); rc != lioncubSuccess) return rc;
    }
  } else {
    if (const lioncubResult_t rc = check_buffer(fn, "sums", sums, 2); rc != lioncubSuccess) return rc;
  }
  TernaryArgs a{signs, nonzeros, nvec == 1 ? packed_words(numel) : stride, nvec, numel,
                tie == lioncubTieAlternate, alternate_positive(step), sign, nonzero, sums};
  if (mem == lioncubMemDevice) return sums ? cuda::ternary_sum(a, stream) : cuda::ternary_reencode(a, stream);
  sums ? cpu::ternary_sum(a) : cpu::ternary_reencode(a);
  return lioncubSuccess;
}

lioncubResult_t check_lanes(const char* fn, lioncubCode_t code, int width) {
  if (!(code == lioncubCodeSign || code == lioncubCodeTernary)) {
    return fail(lioncubInvalidArgument, "%s: unknown code %d", fn, int(code));
  }
  if (!(width == 2 || width == 4 || width == 8)) {
    return fail(lioncubInvalidArgument, "%s: laneBits %d is not 2, 4 or 8", fn, width);
  }
  return lioncubSuccess;
}

// Lane words move as 8-byte (2-bit lanes) or 16-byte vectors on the device.
size_t lane_alignment(int width) { return width == 2 ? 8 : 16; }

lioncubResult_t lane_pack(lioncubCode_t code, const uint32_t* sign, const uint32_t* nonzero,
                          size_t numel, int width, uint32_t* lanes, lioncubMemory_t mem,
                          cudaStream_t stream) {
  const char* fn = "lioncubLanePack";
  if (const lioncubResult_t rc = check_memory(fn, mem); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_lanes(fn, code, width); rc != lioncubSuccess) return rc;
  const bool ternary = code == lioncubCodeTernary;
  if (const lioncubResult_t rc = check_count(fn, numel); rc != lioncubSuccess) return rc;
  if (numel == 0) return lioncubSuccess;
  if (const lioncubResult_t rc = check_buffer(fn, "sign", sign, 4); rc != lioncubSuccess) return rc;
  if (ternary) if (const lioncubResult_t rc = check_buffer(fn, "nonzero (needed for a ternary code)", nonzero, 4); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_buffer(fn, "lanes", lanes, lane_alignment(width)); rc != lioncubSuccess) return rc;
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
  if (const lioncubResult_t rc = check_memory(fn, mem); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_lanes(fn, code, width); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_tie(fn, tie); rc != lioncubSuccess) return rc;
  const bool ternary = code == lioncubCodeTernary;
  const int max_sum = ternary ? 2 * nvec : nvec;
  if (!(nvec >= 1 && max_sum < (1 << width))) {
    return fail(lioncubInvalidArgument, "%s: nvec %d needs sums up to %d, which overflow %d-bit lanes", fn, nvec,
                  max_sum, width);
  }
  if (const lioncubResult_t rc = check_count(fn, numel); rc != lioncubSuccess) return rc;
  if (numel == 0) return lioncubSuccess;
  if (const lioncubResult_t rc = check_buffer(fn, "lanes", lanes, lane_alignment(width)); rc != lioncubSuccess) return rc;
  if (const lioncubResult_t rc = check_buffer(fn, "signOut", sign, 4); rc != lioncubSuccess) return rc;
  if (nonzero || (tie == lioncubTieZero && (ternary || nvec % 2 == 0))) {
    if (const lioncubResult_t rc = check_buffer(fn, "nonzeroOut (needed when results can be 0)", nonzero, 4); rc != lioncubSuccess) return rc;
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
  if (const lioncubResult_t rc = check_memory(fn, mem); rc != lioncubSuccess) return rc;
  if (u == nullptr) {
    return fail(lioncubInvalidArgument, "%s: update is NULL", fn);
  }
  if (!(type == lioncubFloat32 || type == lioncubBfloat16)) {
    return fail(lioncubInvalidArgument, "%s: unsupported parameter dtype %d (fp32 or bf16)", fn, int(type));
  }
  if (!(std::isfinite(lr) && lr >= 0.0f)) {
    return fail(lioncubInvalidArgument, "%s: lr %g must be finite and >= 0", fn, double(lr));
  }
  if (!(std::isfinite(wd) && wd >= 0.0f)) {
    return fail(lioncubInvalidArgument, "%s: weightDecay %g must be finite and >= 0", fn, double(wd));
  }
  if (!(u->kind == lioncubUpdatePlanes || u->kind == lioncubUpdateCounts || u->kind == lioncubUpdateSums)) {
    return fail(lioncubInvalidArgument, "%s: unknown update kind %d", fn, int(u->kind));
  }
  if (u->kind != lioncubUpdatePlanes) {
    if (!(u->nvec >= 1 && u->nvec <= kMaxVectors)) {
      return fail(lioncubInvalidArgument, "%s: update nvec %d is outside [1, %d]", fn,
                    u->nvec, kMaxVectors);
    }
  }
  if (const lioncubResult_t rc = check_count(fn, numel); rc != lioncubSuccess) return rc;
  if (numel == 0) return lioncubSuccess;
  if (const lioncubResult_t rc = check_buffer(fn, "params", params, dtype_size(type)); rc != lioncubSuccess) return rc;
  switch (u->kind) {
    case lioncubUpdatePlanes:
      if (const lioncubResult_t rc = check_buffer(fn, "update->sign", u->sign, 4); rc != lioncubSuccess) return rc;
      if (!(u->nonzero == nullptr || aligned(u->nonzero, 4))) {
        return fail(lioncubInvalidArgument, "%s: update->nonzero is misaligned", fn);
      }
      break;
    case lioncubUpdateCounts: if (const lioncubResult_t rc = check_buffer(fn, "update->counts", u->counts, 2); rc != lioncubSuccess) return rc; break;
    default: if (const lioncubResult_t rc = check_buffer(fn, "update->sums", u->sums, 2); rc != lioncubSuccess) return rc; break;
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
