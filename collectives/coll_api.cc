// The collectives' C entry points: argument checks, auto's choice, the cross-rank check of the
// user's first collective (agreement.h), then the algorithm (algorithms/) over the
// communicator's backend, and the statistics. Every entry point runs through c_api()
// (common/error.h), so a failure's message names the call.
#include <cstdint>
#include <cstring>
#include <string>

#include "collectives/agreement.h"
#include "collectives/algorithms/algorithms.h"
#include "collectives/comm.h"
#include "common/error.h"

namespace lioncub::coll {
namespace {

const char* const kNames[lioncubNumAlgorithms] = {
    "auto", "allgather-vote", "alltoall-vote", "quant2-rs", "packed-sum", "full", "mean",
    "hierarchical-vote"};

std::string name_of(lioncubAlgorithm_t algo) {
  const char* n = lioncubAlgorithmName(algo);
  return n ? n : "unknown";
}

bool aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

void check_numel(size_t n, const char* what) {
  if (n > LIONCUB_MAX_ELEMENTS) {
    raise(lioncubInvalidArgument,
          std::string(what) + " = " + std::to_string(n) + " is more than LIONCUB_MAX_ELEMENTS (2^40)");
  }
}

// Makes the backend's device current and sets the stream for one call.
class Scope {
 public:
  Scope(Backend& b, cudaStream_t stream) : b_(b) {
    b_.set_stream(stream);
    b_.begin_call();
  }
  ~Scope() { b_.end_call(); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Backend& b_;
};

// One collective on a communicator: marks it busy, enters the backend's scope, compares the
// call across ranks, and counts the bytes it moved. Members unwind in reverse if the comparison
// throws.
class Call {
 public:
  Call(lioncubComm& c, cudaStream_t stream, const CallDescriptor& d)
      : use_(c), scope_(*c.backend, stream), b_(*c.backend) {
    check_call(c, d);
    before_ = b_.traffic();
  }
  Backend& backend() { return b_; }

  // Bytes and, on untimed backends, zeroed seconds.
  void finish(lioncubCollStats_t* stats) const {
    if (stats == nullptr) return;
    stats->bytesSent = b_.traffic().sent - before_.sent;
    stats->bytesReceived = b_.traffic().received - before_.received;
    if (!b_.timed()) {
      stats->secondsExchange = stats->secondsReduce = stats->secondsGather = 0;
      stats->secondsTotal = 0;
    }
  }

 private:
  CommUse use_;
  Scope scope_;
  Backend& b_;
  Traffic before_;
};

}  // namespace
}  // namespace lioncub::coll

using lioncub::c_api;
using lioncub::raise;

extern "C" {

const char* lioncubAlgorithmName(lioncubAlgorithm_t algo) {
  const int a = static_cast<int>(algo);
  return (a >= 0 && a < lioncubNumAlgorithms) ? lioncub::coll::kNames[a] : nullptr;
}

lioncubResult_t lioncubAlgorithmFromName(const char* name, lioncubAlgorithm_t* algo) {
  return c_api("lioncubAlgorithmFromName", [&]() -> lioncubResult_t {
    if (name == nullptr || algo == nullptr) raise(lioncubInvalidArgument, "name or algo is NULL");
    for (int a = 0; a < lioncubNumAlgorithms; ++a) {
      if (std::strcmp(name, lioncub::coll::kNames[a]) == 0) {
        *algo = static_cast<lioncubAlgorithm_t>(a);
        return lioncubSuccess;
      }
    }
    raise(lioncubInvalidArgument, std::string("unknown algorithm '") + name +
                                      "' (auto, allgather-vote, alltoall-vote, quant2-rs, "
                                      "packed-sum, full, mean, hierarchical-vote)");
  });
}

lioncubResult_t lioncubSignAggregate(lioncubComm_t comm, lioncubAlgorithm_t algo,
                                     lioncubCode_t code, const uint32_t* sign,
                                     const uint32_t* nonzero, size_t numel,
                                     lioncubTiePolicy_t tie, uint64_t step, uint32_t* signOut,
                                     uint32_t* nonzeroOut, lioncubCollStats_t* stats,
                                     cudaStream_t stream) {
  return c_api("lioncubSignAggregate", [&] {
    using namespace lioncub::coll;
    check_comm(comm);
    const int a = static_cast<int>(algo);
    if (a < 0 || a >= lioncubNumAlgorithms) raise(lioncubInvalidArgument, "unknown algorithm " + std::to_string(a));
    if (code != lioncubCodeSign && code != lioncubCodeTernary) {
      raise(lioncubInvalidArgument, "unknown code " + std::to_string(static_cast<int>(code)));
    }
    if (tie != lioncubTieZero && tie != lioncubTieAlternate) {
      raise(lioncubInvalidArgument, "unknown tie policy " + std::to_string(static_cast<int>(tie)));
    }
    if (algo == lioncubAlgoFull || algo == lioncubAlgoMean) {
      raise(lioncubInvalidArgument,
            "algorithm '" + name_of(algo) + "' is a float allreduce: use lioncubAllreduce");
    }
    check_numel(numel, "numel");
    const int P = comm->backend->size();
    const bool ternary = code == lioncubCodeTernary;
    if (algo == lioncubAlgoAuto) {
      algo = choose_sign_algorithm(P, numel, ternary, tie, comm->link);
      // Ranks that share a NIC count their votes together first (every rank asks: collective).
      if (!ternary && hierarchical_vote_applies(*comm->backend)) algo = lioncubAlgoHierarchicalVote;
    }
    if (ternary && algo != lioncubAlgoQuant2Rs && algo != lioncubAlgoPackedSum) {
      raise(lioncubInvalidArgument, "algorithm '" + name_of(algo) + "' takes 1-bit sign codes, not ternary");
    }
    if (!ternary && algo == lioncubAlgoQuant2Rs) {
      raise(lioncubInvalidArgument, "algorithm 'quant2-rs' takes 2-bit ternary codes");
    }
    if (ternary && nonzero == nullptr && numel > 0) {
      raise(lioncubInvalidArgument, "a ternary code needs its nonzero plane");
    }
    if (!ternary && nonzero != nullptr) {
      raise(lioncubInvalidArgument, "a 1-bit sign code has no nonzero plane: pass NULL");
    }
    if (numel > 0) {
      if (sign == nullptr || signOut == nullptr) {
        raise(lioncubInvalidArgument, "NULL code or result plane with numel = " + std::to_string(numel));
      }
      if (!aligned(sign, 4) || !aligned(signOut, 4) || !aligned(nonzero, 4) || !aligned(nonzeroOut, 4)) {
        raise(lioncubInvalidArgument, "planes must be 4-byte aligned");
      }
      const bool zeros = tie == lioncubTieZero && (ternary || P % 2 == 0);
      if (zeros && nonzeroOut == nullptr) {
        raise(lioncubInvalidArgument, std::string("nonzeroOut is NULL but results can be 0 (tie policy zero with ") +
                                          (ternary ? "ternary codes" : "an even number of ranks") + ")");
      }
    }
    Call call(*comm, stream,
              {.call = kCallSignAggregate, .algo = static_cast<uint32_t>(algo),
               .code = static_cast<uint32_t>(code), .tie = static_cast<uint32_t>(tie),
               .numel = numel, .step = step});
    sign_aggregate(call.backend(), SignArgs{algo, sign, nonzero, numel, tie, step, signOut, nonzeroOut},
                   stats);
    call.finish(stats);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubSignCount(lioncubComm_t comm, lioncubAlgorithm_t algo, const uint32_t* sign,
                                 size_t numel, uint16_t* counts, lioncubCollStats_t* stats,
                                 cudaStream_t stream) {
  return c_api("lioncubSignCount", [&] {
    using namespace lioncub::coll;
    check_comm(comm);
    if (algo != lioncubAlgoAuto && algo != lioncubAlgoAllgatherVote) {
      raise(lioncubInvalidArgument,
            "the averaging mode runs on allgather-vote (or auto), not '" + name_of(algo) + "'");
    }
    check_numel(numel, "numel");
    if (numel > 0) {
      if (sign == nullptr || counts == nullptr) {
        raise(lioncubInvalidArgument, "NULL sign or counts with numel = " + std::to_string(numel));
      }
      if (!aligned(sign, 4) || !aligned(counts, 2)) {
        raise(lioncubInvalidArgument, "sign must be 4-byte and counts 2-byte aligned");
      }
    }
    Call call(*comm, stream,
              {.call = kCallSignCount, .algo = static_cast<uint32_t>(lioncubAlgoAllgatherVote),
               .numel = numel});
    sign_count(call.backend(), sign, numel, counts, stats);
    call.finish(stats);
    return lioncubSuccess;
  });
}

lioncubResult_t lioncubAllreduce(lioncubComm_t comm, lioncubAlgorithm_t algo, const void* sendbuf,
                                 void* recvbuf, size_t count, lioncubDataType_t dtype,
                                 lioncubReduceOp_t op, lioncubCollStats_t* stats,
                                 cudaStream_t stream) {
  return c_api("lioncubAllreduce", [&] {
    using namespace lioncub::coll;
    check_comm(comm);
    if (algo != lioncubAlgoAuto && algo != lioncubAlgoFull && algo != lioncubAlgoMean) {
      raise(lioncubInvalidArgument,
            "algorithm '" + name_of(algo) + "' is not a float allreduce (full, mean, auto)");
    }
    if (op != lioncubSum && op != lioncubAvg) {
      raise(lioncubInvalidArgument, "unknown reduce op " + std::to_string(static_cast<int>(op)));
    }
    if (dtype == lioncubBfloat16 || dtype == lioncubFloat16) {
      raise(lioncubNotSupported, "allreduce of 16-bit floats is not implemented yet (fp32 only)");
    }
    if (dtype != lioncubFloat32) {
      raise(lioncubInvalidArgument, "unknown dtype " + std::to_string(static_cast<int>(dtype)));
    }
    check_numel(count, "count");
    if (count > 0 && (sendbuf == nullptr || recvbuf == nullptr)) {
      raise(lioncubInvalidArgument, "NULL buffer with count = " + std::to_string(count));
    }
    if (count > 0 && (!aligned(sendbuf, alignof(float)) || !aligned(recvbuf, alignof(float)))) {
      raise(lioncubInvalidArgument, "buffers must be 4-byte aligned");
    }
    const lioncubAlgorithm_t run = algo == lioncubAlgoAuto ? lioncubAlgoFull : algo;
    Call call(*comm, stream,
              {.call = kCallAllreduce, .algo = static_cast<uint32_t>(run),
               .code = static_cast<uint32_t>(dtype), .tie = static_cast<uint32_t>(op),
               .numel = count});
    float_allreduce(call.backend(), run, static_cast<const float*>(sendbuf),
                    static_cast<float*>(recvbuf), count, op == lioncubAvg, stats);
    call.finish(stats);
    return lioncubSuccess;
  });
}

}  // extern "C"
