// packed-sum: every element's code becomes a w-bit lane (1-bit code: the bit; ternary code:
// v + 1 in {0, 1, 2}), lanes are packed 8/w to a byte, and the backend's integer sum-allreduce
// adds the bytes (ring reduce-scatter + allgather, uint8 lanes). No lane overflows while the
// largest sum (P, or 2P for ternary) is below 2^w, so w = 2, 4 or 8 by P; beyond 8-bit lanes
// the call falls back to alltoall-vote / quant2-rs and reports that in the statistics.
// The summed lanes are compressed back into bit-sliced counter planes and compared with the
// threshold by kernels/bitslice.h (the vote kernels' own word math): majority for 1-bit codes
// (count vs P/2), sign of the sum for ternary (sum of v+1 vs P). Sent: 2*w*(P-1)/P bits/element.
#include <cstring>
#include <vector>

#include "collectives/algorithms.h"
#include "collectives/lanes.h"
#include "collectives/status.h"
#include "kernels/bitslice.h"

namespace lioncub::coll {

int packed_sum_width(int P, bool ternary) {
  const int max_sum = ternary ? 2 * P : P;
  if (max_sum <= 3) return 2;
  if (max_sum <= 15) return 4;
  if (max_sum <= 255) return 8;
  return 0;
}

namespace {

template <int w>
void pack(const SignArgs& a, size_t W, uint32_t* lanes) {
  for (size_t j = 0; j < W; ++j) {
    uint32_t* out = lanes + j * w;
    if (a.nonzero == nullptr) {
      spread_lanes<w>(a.sign[j], out);
    } else {  // v + 1: bit 0 set for v = 0, bit 1 set for v = +1
      uint32_t zero[w], plus[w];
      spread_lanes<w>(~a.nonzero[j], zero);
      spread_lanes<w>(a.sign[j] & a.nonzero[j], plus);
      for (int q = 0; q < w; ++q) out[q] = zero[q] | plus[q] << 1;
    }
  }
}

template <int w>
void unpack(const SignArgs& a, size_t W, int P, const uint32_t* lanes) {
  const bool alternate = a.tie == lioncubTieAlternate;
  const bool alt_pos = alternate_positive(a.step);
  for (size_t j = 0; j < W; ++j) {
    uint32_t cnt[w];
    for (int k = 0; k < w; ++k) cnt[k] = compress_lanes<w>(lanes + j * w, k);
    uint32_t sign = 0, nonzero = 0;
    if (a.nonzero == nullptr) {
      majority_planes<w>(cnt, P, alternate, alt_pos, sign, nonzero);
    } else {
      uint32_t gt = 0, eq = 0;
      compare_with_constant<w>(cnt, static_cast<uint32_t>(P), gt, eq);
      resolve_ties(gt, eq, alternate, alt_pos, sign, nonzero);
    }
    const uint32_t valid = valid_bits(j, a.numel);
    a.sign_out[j] = sign & valid;
    if (a.nonzero_out != nullptr) a.nonzero_out[j] = nonzero & valid;
  }
}

template <int w>
void run_packed(HostComm& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  const size_t W = lioncubPackedWords(a.numel);
  const double t0 = driver::now_s();
  std::vector<uint32_t> lanes(W * w);
  pack<w>(a, W, lanes.data());
  double reduce_s = driver::now_s() - t0, gather_s = 0;
  comm.allreduce_sum<uint8_t>(reinterpret_cast<uint8_t*>(lanes.data()), lanes.size() * 4, false,
                              &reduce_s, &gather_s);
  const double t1 = driver::now_s();
  unpack<w>(a, W, comm.size(), lanes.data());
  const double t2 = driver::now_s();
  reduce_s += t2 - t1;
  if (stats != nullptr) {
    stats->algorithm = lioncubAlgoPackedSum;
    stats->secondsReduce = reduce_s;
    stats->secondsGather = gather_s;
    stats->secondsTotal = t2 - t0;
    stats->secondsExchange = stats->secondsTotal - reduce_s - gather_s;
  }
}

}  // namespace

void packed_sum(HostComm& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  switch (packed_sum_width(comm.size(), a.nonzero != nullptr)) {
    case 2: return run_packed<2>(comm, a, stats);
    case 4: return run_packed<4>(comm, a, stats);
    case 8: return run_packed<8>(comm, a, stats);
    default: raise(lioncubInternalError, "packed_sum: no lane width (caller must fall back)");
  }
}

}  // namespace lioncub::coll
