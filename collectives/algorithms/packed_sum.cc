// packed-sum: every element's code becomes a w-bit lane (1-bit code: the bit; ternary code:
// v + 1 in {0, 1, 2}), lanes are packed 8/w to a byte (lioncubLanePack), and the backend's
// integer sum-allreduce adds the bytes (host: ring reduce-scatter + allgather of uint8; NCCL:
// ncclAllReduce of ncclUint8). No lane overflows while the largest sum (P, or 2P for ternary) is
// below 2^w, so w = 2, 4 or 8 by P; beyond 8-bit lanes the call falls back to alltoall-vote /
// quant2-rs and reports that in the statistics. lioncubLaneResolve turns the summed lanes into
// the result planes: majority for 1-bit codes (count vs P/2), sign of the sum for ternary (sum of
// v+1 vs P), ties per policy. Sent: 2*w*(P-1)/P bits/element.
#include "collectives/algorithms/algorithms.h"
#include "common/error.h"

namespace lioncub::coll {

int packed_sum_width(int P, bool ternary) {
  return lioncubLaneBits(ternary ? lioncubCodeTernary : lioncubCodeSign, P);
}

void packed_sum(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  const bool ternary = a.nonzero != nullptr;
  const lioncubCode_t code = ternary ? lioncubCodeTernary : lioncubCodeSign;
  const int w = packed_sum_width(comm.size(), ternary);
  if (w == 0) raise(lioncubInternalError, "packed_sum: no lane width (caller must fall back)");
  const size_t W = lioncubPackedWords(a.numel);
  const size_t bytes = W * static_cast<size_t>(w) * sizeof(uint32_t);
  const lioncubMemory_t mem = comm.memory();
  const double t0 = now_s();
  auto* lanes = static_cast<uint32_t*>(comm.scratch(kScratchA, bytes));
  check_kernel(lioncubLanePack(code, a.sign, a.nonzero, a.numel, w, lanes, mem, comm.stream()),
               "lioncubLanePack");
  double reduce_s = now_s() - t0, gather_s = 0;
  comm.allreduce(lanes, lanes, bytes, Lane::u8, false, &reduce_s, &gather_s);
  const double t1 = now_s();
  check_kernel(lioncubLaneResolve(code, lanes, comm.size(), a.numel, w, a.tie, a.step, a.sign_out,
                                  a.nonzero_out, mem, comm.stream()),
               "lioncubLaneResolve");
  const double t2 = now_s();
  reduce_s += t2 - t1;
  fill_stats(stats, lioncubAlgoPackedSum, (t2 - t0) - reduce_s - gather_s, reduce_s, gather_s,
             t2 - t0);
}

}  // namespace lioncub::coll
