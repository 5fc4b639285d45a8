// One bucket's operations (lion.h): encode and apply on the caller's side, the exchanges and the
// momentum sync on the communication side, and the non-finite flag. They call the kernels'
// internal entry points and the collectives' algorithm functions with arguments that create
// already checked; the backend's traffic counters give the bytes.
#include <cstring>
#include <functional>
#include <mutex>

#include "collectives/algorithms/algorithms.h"
#include "common/clock.h"
#include "common/error.h"
#include "kernels/dtype.h"
#include "kernels/kernels.h"
#include "optimizer/bit_shift.h"
#include "optimizer/lion.h"

namespace lioncub::lion {
namespace {

void run_encode(const lioncubLion& o, const EncodeArgs& a, cudaStream_t s) {
  if (o.s.mem == lioncubMemDevice) {
    coll::check_kernel(cuda::encode(a, s), "encode");
  } else {
    cpu::encode(a);
  }
}

void run_apply(const lioncubLion& o, const ApplyArgs& a, cudaStream_t s) {
  if (o.s.mem == lioncubMemDevice) {
    coll::check_kernel(cuda::apply(a, s), "apply");
  } else {
    cpu::apply(a);
  }
}

void insert(const lioncubLion& o, uint32_t* plane, size_t bit, const uint32_t* src, size_t len,
            cudaStream_t s) {
  if (o.s.mem == lioncubMemDevice) {
    coll::check_kernel(device_insert_bits(plane, bit, src, len, s), "insert_bits");
  } else {
    insert_bits(plane, bit, src, len);
  }
}

void extract(const lioncubLion& o, const uint32_t* plane, size_t bit, size_t len, uint32_t* dst,
             cudaStream_t s) {
  if (o.s.mem == lioncubMemDevice) {
    coll::check_kernel(device_extract_bits(plane, bit, len, dst, s), "extract_bits");
  } else {
    extract_bits(plane, bit, len, dst);
  }
}

// Runs of pieces whose memory is contiguous (one collective each).
void for_each_run(const std::vector<Piece>& pieces, const std::vector<char>* only,
                  const std::function<const char*(const Piece&)>& ptr, size_t es,
                  const std::function<void(const Piece&, size_t)>& f) {
  size_t i = 0;
  while (i < pieces.size()) {
    if (only != nullptr && !(*only)[size_t(pieces[i].tensor)]) {
      ++i;
      continue;
    }
    size_t j = i + 1, len = pieces[i].len;
    while (j < pieces.size() && (only == nullptr || (*only)[size_t(pieces[j].tensor)]) &&
           pieces[j].flat == pieces[i].flat + len && ptr(pieces[j]) == ptr(pieces[i]) + len * es) {
      len += pieces[j].len;
      ++j;
    }
    f(pieces[i], len);
    i = j;
  }
}

}  // namespace

void encode_bucket(lioncubLion& o, const Bucket& b, const Ptrs& p, int* flag, cudaStream_t s) {
  const Setup& st = o.s;
  const bool from_scratch = st.exact && st.nranks > 1;  // full: the averaged fp32 gradient
  EncodeArgs a{};
  a.grad_type = from_scratch ? lioncubFloat32 : st.dtype;
  a.momentum_type = st.dtype;
  a.k = make_lion_coeffs(st.cfg.beta1, st.cfg.beta2);
  a.ternary = st.ternary;
  a.alpha = st.alpha;
  a.block = st.cfg.ternaryBlock;
  a.non_finite = flag;
  for (const Piece& pc : b.encode_pieces) {
    const size_t t = size_t(pc.tensor);
    a.numel = pc.len;
    a.grad = from_scratch ? static_cast<const void*>(o.scratch.as<float>() + pc.flat)
                          : static_cast<const void*>(p.grads[t] + pc.tensor_offset * st.es);
    a.momentum = p.momentum[t] + pc.tensor_offset * st.es;
    if (pc.flat % 32 == 0) {
      a.sign = o.sign_in.as<uint32_t>() + pc.flat / 32;
      a.nonzero = st.ternary ? o.nz_in.as<uint32_t>() + pc.flat / 32 : nullptr;
      run_encode(o, a, s);
    } else {  // into the piece planes, then shifted into place
      a.sign = o.tmp_sign.as<uint32_t>();
      a.nonzero = st.ternary ? o.tmp_nz.as<uint32_t>() : nullptr;
      run_encode(o, a, s);
      insert(o, o.sign_in.as<uint32_t>(), pc.flat, o.tmp_sign.as<uint32_t>(), pc.len, s);
      if (st.ternary) insert(o, o.nz_in.as<uint32_t>(), pc.flat, o.tmp_nz.as<uint32_t>(), pc.len, s);
    }
  }
}

void apply_bucket(lioncubLion& o, const Bucket& b, const Ptrs& p, cudaStream_t s) {
  const Setup& st = o.s;
  const uint32_t* sp = st.exact ? o.sign_in.as<uint32_t>() : o.sign_out.as<uint32_t>();
  const uint32_t* np = st.exact ? o.nz_in.as<uint32_t>() : o.nz_out.as<uint32_t>();
  const ApplyCoeffs k = make_apply_coeffs(st.cfg.lr, st.cfg.weightDecay);
  for (const Piece& pc : b.apply_pieces) {
    lioncubUpdate_t u{};
    u.kind = lioncubUpdatePlanes;
    if (pc.flat % 32 == 0) {
      u.sign = sp + pc.flat / 32;
      u.nonzero = np + pc.flat / 32;
    } else {
      extract(o, sp, pc.flat, pc.len, o.tmp_sign.as<uint32_t>(), s);
      extract(o, np, pc.flat, pc.len, o.tmp_nz.as<uint32_t>(), s);
      u.sign = o.tmp_sign.as<uint32_t>();
      u.nonzero = o.tmp_nz.as<uint32_t>();
    }
    run_apply(o, ApplyArgs{pc.len, st.dtype, p.params[size_t(pc.tensor)] + pc.tensor_offset * st.es,
                           u, k}, s);
  }
}

// full: the average of the gradients of bucket b, fp32, into scratch.
void exchange_full(lioncubLion& o, const Bucket& b, const Ptrs& p) {
  const double t0 = now_s();
  const Setup& st = o.s;
  float* avg = o.scratch.as<float>();
  if (st.dtype == lioncubFloat32) {
    auto gptr = [&](const Piece& pc) { return p.grads[size_t(pc.tensor)] + pc.tensor_offset * st.es; };
    for_each_run(b.apply_pieces, nullptr, gptr, st.es, [&](const Piece& first, size_t len) {
      coll::float_allreduce(*o.be, lioncubAlgoFull, reinterpret_cast<const float*>(gptr(first)),
                            avg + first.flat, len, true, nullptr);
    });
  } else {  // host only: bf16 -> fp32 (exact), then the average in place
    for (const Piece& pc : b.apply_pieces) {
      const auto* g = reinterpret_cast<const bf16*>(p.grads[size_t(pc.tensor)] + pc.tensor_offset * st.es);
      for (size_t i = 0; i < pc.len; ++i) avg[pc.flat + i] = to_float(g[i]);
    }
    coll::float_allreduce(*o.be, lioncubAlgoFull, avg + b.begin, avg + b.begin, b.end - b.begin,
                          true, nullptr);
  }
  o.pipe->totals().seconds_exchange += now_s() - t0;
}

void exchange_codes(lioncubLion& o, size_t bi) {
  const double t0 = now_s();
  const Bucket& b = o.buckets[bi];
  const size_t w = b.begin / 32;
  const bool ternary = o.s.ternary;
  lioncubCollStats_t cs{};
  coll::sign_aggregate(*o.be,
                       coll::SignArgs{o.bucket_algo[bi], o.sign_in.as<uint32_t>() + w,
                                      ternary ? o.nz_in.as<uint32_t>() + w : nullptr,
                                      b.end - b.begin, o.s.cfg.tie, o.tie_step,
                                      o.sign_out.as<uint32_t>() + w, o.nz_out.as<uint32_t>() + w},
                       &cs);
  CommTotals& t = o.pipe->totals();
  t.algorithm = cs.algorithm;
  t.seconds_exchange += now_s() - t0;
}

// The exact mean over ranks of the momentum of the chosen tensors in bucket b.
void sync_momentum(lioncubLion& o, const Bucket& b, const Ptrs& p) {
  const double t0 = now_s();
  const Setup& st = o.s;
  auto mptr = [&](const Piece& pc) -> const char* {
    return p.momentum[size_t(pc.tensor)] + pc.tensor_offset * st.es;
  };
  for_each_run(b.apply_pieces, &st.sync_tensor, mptr, st.es, [&](const Piece& first, size_t len) {
    char* m = const_cast<char*>(mptr(first));
    if (st.dtype == lioncubFloat32) {
      auto* f = reinterpret_cast<float*>(m);
      coll::float_allreduce(*o.be, lioncubAlgoMean, f, f, len, true, nullptr);
    } else {  // host only: through fp32 (bf16 on the wire is not in the allreduce yet)
      float* f = o.scratch.as<float>() + first.flat;
      auto* h = reinterpret_cast<bf16*>(m);
      for (size_t i = 0; i < len; ++i) f[i] = to_float(h[i]);
      coll::float_allreduce(*o.be, lioncubAlgoMean, f, f, len, true, nullptr);
      for (size_t i = 0; i < len; ++i) h[i] = to_bf16(f[i]);
    }
  });
  o.pipe->totals().seconds_sync += now_s() - t0;
}

void exchange_flag(lioncubLion& o, const int* host_flag) {
  const double t0 = now_s();
  int* sum = o.flag_sum.as<int>();
  const bool device = o.s.mem == lioncubMemDevice;
  if (!device) *sum = *host_flag != 0 ? 1 : 0;
  o.be->allreduce(device ? static_cast<const void*>(o.flag.as<int>()) : sum, sum, 1,
                  coll::Lane::i32, false, nullptr, nullptr);
  CommTotals& t = o.pipe->totals();
  if (!device) t.non_finite = *sum != 0;
  t.seconds_exchange += now_s() - t0;
}

}  // namespace lioncub::lion
