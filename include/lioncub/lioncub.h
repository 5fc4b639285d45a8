/*
 * lioncub: Lion optimizer communication for Ethernet.
 *
 * Public C API. Every function returns a lioncubResult_t and never throws or aborts; on failure
 * lioncubGetLastErrorMessage() holds the details for the calling thread.
 *
 * Packed layout (see docs/kernels.md): element i of a code lives in word i / 32, bit i % 32 of a
 * uint32_t array; a buffer of n elements has lioncubPackedWords(n) words and its pad bits are 0.
 * 2-bit ternary codes use two such planes: `sign` (bit = 1 for +1) and `nonzero` (bit = 1 for
 * +1 or -1). A 1-bit sign code is a sign plane alone.
 */
#ifndef LIONCUB_LIONCUB_H_
#define LIONCUB_LIONCUB_H_

#include <stddef.h>
#include <stdint.h>

/* The same declaration as the CUDA runtime's, so this header needs no CUDA headers. */
typedef struct CUstream_st* cudaStream_t;

#if defined(_WIN32)
#define LIONCUB_API
#else
#define LIONCUB_API __attribute__((visibility("default")))
#endif

/* C callers may pass any int where an enum is expected, and lioncub validates it. In C++ the
 * enums get int as their fixed underlying type so that every int is a valid value (without it,
 * merely loading an out-of-range value is undefined behaviour). Same size and ABI as in C. */
#ifdef __cplusplus
#define LIONCUB_ENUM_INT : int
#else
#define LIONCUB_ENUM_INT
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LIONCUB_VERSION_MAJOR 0
#define LIONCUB_VERSION_MINOR 1
#define LIONCUB_VERSION_PATCH 0

typedef enum LIONCUB_ENUM_INT {
  lioncubSuccess = 0,
  lioncubInvalidArgument = 1, /* a null pointer, a bad size, value or enum */
  lioncubInvalidUsage = 2,    /* a valid call in the wrong state (e.g. after destroy) */
  lioncubNotSupported = 3,    /* e.g. device memory in a build without CUDA */
  lioncubSystemError = 4,     /* an OS call failed */
  lioncubCudaError = 5,       /* a CUDA runtime call or kernel launch failed */
  lioncubNcclError = 6,       /* an NCCL call failed */
  lioncubRemoteError = 7,     /* a peer closed, reset or sent junk */
  lioncubTimeout = 8,         /* a wait ran past its configured timeout */
  lioncubInternalError = 9,   /* a bug in lioncub: please report it */
  lioncubNumResults = 10
} lioncubResult_t;

typedef enum LIONCUB_ENUM_INT { lioncubFloat32 = 0, lioncubBfloat16 = 1, lioncubFloat16 = 2 } lioncubDataType_t;

/* Where the buffers of a kernel call live. Device pointers need a build with CUDA. */
typedef enum LIONCUB_ENUM_INT { lioncubMemHost = 0, lioncubMemDevice = 1 } lioncubMemory_t;

typedef enum LIONCUB_ENUM_INT {
  lioncubCodeSign = 0,    /* 1 bit: bit = 1 when c > 0 */
  lioncubCodeTernary = 1  /* 2 bits: +1 if c > tau, -1 if c < -tau, else 0 */
} lioncubCode_t;

/* What an exact tie of a vote (even P, count == P/2) or a zero sum becomes. */
typedef enum LIONCUB_ENUM_INT {
  lioncubTieZero = 0,      /* no update for that element (default) */
  lioncubTieAlternate = 1  /* +1 on even steps, -1 on odd steps */
} lioncubTiePolicy_t;

LIONCUB_API const char* lioncubGetErrorString(lioncubResult_t result);
/* Details of the last failure on the calling thread ("" when none). Valid until the next call
 * on this thread that fails. */
LIONCUB_API const char* lioncubGetLastErrorMessage(void);
LIONCUB_API void lioncubGetVersion(int* major, int* minor, int* patch);
/* Whether this build has CUDA kernels, and whether a CUDA device is usable now. */
LIONCUB_API int lioncubHasCuda(void);
LIONCUB_API int lioncubCudaDeviceCount(void);

/* The most elements any lioncub call takes: 2^40 (4 TiB of fp32, more than any host or device
 * holds). Larger counts are rejected with lioncubInvalidArgument before anything is sized from
 * them, so no size computation can overflow. */
#define LIONCUB_MAX_ELEMENTS ((size_t)1 << 40)

/* Words of one packed plane of `numel` elements. */
LIONCUB_API size_t lioncubPackedWords(size_t numel);

/* ---- Kernels ------------------------------------------------------------------------------- */

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

/* ---- Communicators and collectives ----------------------------------------------------------
 * See docs/collectives.md. A communicator is used by one thread at a time; every rank calls the
 * same collectives in the same order with the same count, code, algorithm, tie policy and step.
 * The first collective of a communicator checks that across ranks (LIONCUB_CHECK_ARGS=1: every
 * call) and returns lioncubInvalidUsage on every rank when they differ. */

typedef struct lioncubComm* lioncubComm_t;

/* Host communicator: CPU memory, nranks processes, rank in [0, nranks). `rendezvous` is
 * "host:port" (or "[v6]:port") where rank 0 serves the key-value store that exchanges the
 * listen handles; NULL is allowed when nranks is 1. The transport is lioncub's own net plugin
 * (libnccl-net-lioncub.so, found next to liblioncub.so or in the build tree), or the library
 * named by LIONCUB_NET_PLUGIN. Waits: LIONCUB_RENDEZVOUS_TIMEOUT_MS (default 300000) for the
 * rendezvous and connections, LIONCUB_TIMEOUT_MS (default 300000) for each transfer; past them
 * the call returns lioncubTimeout naming the missing rank. */
LIONCUB_API lioncubResult_t lioncubCommInitHost(lioncubComm_t* comm, int nranks, int rank,
                                                const char* rendezvous);
/* The same from the environment: LIONCUB_RANK / LIONCUB_WORLD_SIZE / LIONCUB_ROOT (host:port),
 * else RANK / WORLD_SIZE / MASTER_ADDR:MASTER_PORT (torchrun), else OMPI_COMM_WORLD_RANK /
 * OMPI_COMM_WORLD_SIZE with LIONCUB_ROOT (mpirun). */
LIONCUB_API lioncubResult_t lioncubCommInitFromEnv(lioncubComm_t* comm);
/* Closes the connections (rank 0 also stops the store). NULL is a no-op. */
LIONCUB_API lioncubResult_t lioncubCommDestroy(lioncubComm_t comm);
LIONCUB_API lioncubResult_t lioncubCommRank(lioncubComm_t comm, int* rank);
LIONCUB_API lioncubResult_t lioncubCommSize(lioncubComm_t comm, int* nranks);
/* Where the buffers of this communicator's collectives live: lioncubMemHost for a host
 * communicator, lioncubMemDevice for one over NCCL. */
LIONCUB_API lioncubResult_t lioncubCommMemory(lioncubComm_t comm, lioncubMemory_t* mem);

typedef enum LIONCUB_ENUM_INT {
  lioncubAlgoAuto = 0,          /* "auto": picks one and reports it in the statistics */
  lioncubAlgoAllgatherVote = 1, /* "allgather-vote": allgather 1-bit codes, vote locally */
  lioncubAlgoAlltoallVote = 2,  /* "alltoall-vote": all-to-all 1-bit shards, vote, allgather */
  lioncubAlgoQuant2Rs = 3,      /* "quant2-rs": all-to-all 2-bit shards, exact sum, allgather */
  lioncubAlgoPackedSum = 4,     /* "packed-sum": integer sum-allreduce of w-bit lanes */
  lioncubAlgoFull = 5,          /* "full": fp32 ring allreduce */
  lioncubAlgoMean = 6,          /* "mean": fp32 ring allreduce-average */
  lioncubNumAlgorithms = 7
} lioncubAlgorithm_t;

/* "allgather-vote", ...; NULL for an unknown value. */
LIONCUB_API const char* lioncubAlgorithmName(lioncubAlgorithm_t algo);
LIONCUB_API lioncubResult_t lioncubAlgorithmFromName(const char* name, lioncubAlgorithm_t* algo);

/* Per-call statistics (pass NULL when not wanted). Seconds are wall time on the host backend. */
typedef struct {
  lioncubAlgorithm_t algorithm; /* the one that ran (what auto chose) */
  uint64_t bytesSent;           /* payload bytes this rank put on the wire */
  uint64_t bytesReceived;
  double secondsExchange; /* first exchange: allgather, all-to-all or reduce-scatter */
  double secondsReduce;   /* vote, ternary sum, float adds */
  double secondsGather;   /* allgather of the result */
  double secondsTotal;
} lioncubCollStats_t;

/* Aggregates every rank's code of numel elements; every rank gets the same result planes.
 * code lioncubCodeSign: `sign` is a 1-bit plane, `nonzero` must be NULL; algorithms
 * allgather-vote and alltoall-vote; the result is the majority (ties per `tie`, `step`).
 * code lioncubCodeTernary: `sign` and `nonzero` are the 2-bit planes; algorithm quant2-rs; the
 * result is the sign of the exact sum (zero sums per `tie`).
 * packed-sum takes either code: each element becomes a w-bit lane (w = 2, 4 or 8 by nranks),
 * summed as integers by a ring allreduce; where 8-bit lanes could overflow (nranks > 255, or
 * > 127 for ternary) it runs alltoall-vote / quant2-rs instead and says so in stats->algorithm.
 * auto: alltoall-vote for sign codes (allgather-vote when nranks <= 2), quant2-rs for ternary.
 * Result: signOut and nonzeroOut (lioncubPackedWords(numel) words each). nonzeroOut may be NULL
 * only when no element can be 0: sign code with odd nranks or lioncubTieAlternate, or ternary
 * with lioncubTieAlternate. Output buffers must not overlap the inputs. */
LIONCUB_API lioncubResult_t lioncubSignAggregate(lioncubComm_t comm, lioncubAlgorithm_t algo,
                                                 lioncubCode_t code, const uint32_t* sign,
                                                 const uint32_t* nonzero, size_t numel,
                                                 lioncubTiePolicy_t tie, uint64_t step,
                                                 uint32_t* signOut, uint32_t* nonzeroOut,
                                                 lioncubCollStats_t* stats, cudaStream_t stream);

/* Averaging mode of the vote: counts[i] = the number of ranks whose sign bit i is 1, identical on
 * every rank; lioncubApply with lioncubUpdateCounts (nvec = nranks) then applies
 * u = (2*count - nranks) / nranks. algo: allgather-vote or auto (the 1-bit codes are allgathered,
 * (nranks-1) bits per element sent, and counted locally). counts: numel uint16_t. */
LIONCUB_API lioncubResult_t lioncubSignCount(lioncubComm_t comm, lioncubAlgorithm_t algo,
                                             const uint32_t* sign, size_t numel, uint16_t* counts,
                                             lioncubCollStats_t* stats, cudaStream_t stream);

typedef enum LIONCUB_ENUM_INT { lioncubSum = 0, lioncubAvg = 1 } lioncubReduceOp_t;

/* Float allreduce (ring reduce-scatter + allgather; identical bits on every rank). algo: full,
 * mean or auto (all the same ring on the host backend). dtype: lioncubFloat32 (bf16 on the wire
 * is not implemented yet). sendbuf == recvbuf is allowed (in place). */
LIONCUB_API lioncubResult_t lioncubAllreduce(lioncubComm_t comm, lioncubAlgorithm_t algo,
                                             const void* sendbuf, void* recvbuf, size_t count,
                                             lioncubDataType_t dtype, lioncubReduceOp_t op,
                                             lioncubCollStats_t* stats, cudaStream_t stream);

/* ---- NCCL backend (issue 4) ------------------------------------------------------------------ */

/* The application's NCCL communicator; the same declaration as nccl.h's, so this header needs
 * no NCCL headers. */
typedef struct ncclComm* ncclComm_t;

/* Device-memory communicator over the application's NCCL communicator (not owned: destroy the
 * lioncub communicator first). Its collectives take device pointers and run stream-ordered on
 * the given cudaStream_t with no host synchronization (the first call's argument check, and
 * every call's with LIONCUB_CHECK_ARGS=1, waits for a small device-to-host copy), through
 * ncclAllGather, grouped ncclSend/ncclRecv, ncclAllReduce and the CUDA kernels. Statistics:
 * the algorithm and the wire bytes of the ring / pairwise schedules; the seconds are 0.
 * lioncubNotSupported in a build without CUDA and NCCL. */
LIONCUB_API lioncubResult_t lioncubCommInitNccl(lioncubComm_t* comm, ncclComm_t nccl);

/* ---- Lion Cub optimizer step (issue 5) ------------------------------------------------------- */

/* See docs/optimizer.md. One optimizer per parameter space; every rank creates it with the same
 * sizes and configuration and calls lioncubLionStep the same number of times. The optimizer owns
 * a communication thread on a host communicator (the communicator must not be used by anyone
 * else while the optimizer exists). */

typedef struct lioncubLion* lioncubLion_t;

typedef enum LIONCUB_ENUM_INT {
  lioncubSyncNever = 0,       /* momentum stays local (default) */
  lioncubSyncEvery = 1,       /* after steps K-1, 2K-1, 3K-1, ... (0-based step count) */
  lioncubSyncExponential = 2  /* after steps T0 = 0, T(j+1) = T(j) + ceil(2^(j/k)) */
} lioncubMomentumSync_t;

typedef struct {
  float lr;          /* >= 0; lioncubLionSetLr changes it between steps */
  float beta1;       /* [0, 1), default 0.9 */
  float beta2;       /* [0, 1), default 0.99 */
  float weightDecay; /* >= 0, decoupled: p = p*(1 - lr*wd) - lr*u */
  /* full (fp32 gradient allreduce + local Lion: the baseline), allgather-vote, alltoall-vote
   * (1-bit codes), quant2-rs (2-bit codes), packed-sum (code below), auto (default: the
   * collectives' choice for `code`). mean is not a step algorithm. */
  lioncubAlgorithm_t algorithm;
  lioncubCode_t code;        /* must be sign for the vote algorithms, ternary for quant2-rs */
  lioncubTiePolicy_t tie;    /* default zero */
  float ternaryAlpha;        /* >= 0, default 0 (exact sign with zeros kept) */
  uint32_t ternaryBlock;     /* multiple of 32 in [32, 16384], default 1024 */
  /* Bytes of parameters per bucket (default 1 MiB). Rounded down to whole words of 32 elements
   * (whole ternary blocks when ternaryAlpha > 0), at least one; 0 is rejected. */
  size_t bucketBytes;
  lioncubMomentumSync_t momentumSync;
  uint32_t momentumSyncEvery; /* K >= 1 for lioncubSyncEvery */
  float momentumSyncExpK;     /* k > 0 for lioncubSyncExponential */
  /* Indices of the tensors (lioncubLionCreateTensors) whose momentum is synchronized; NULL:
   * all. Copied at create time. */
  const int* momentumSyncTensors;
  int numMomentumSyncTensors;
} lioncubLionConfig_t;

/* Per-step statistics (lioncubLionGetStats: the last step). Seconds are host wall time. */
typedef struct {
  uint64_t step;                /* 0-based index of that step */
  lioncubAlgorithm_t algorithm; /* what ran (auto's choice; full for one rank) */
  uint64_t bytesSent;           /* payload bytes this rank sent: codes, momentum, flag */
  uint64_t bytesReceived;
  double secondsEncode;   /* caller thread: encode (and bf16 conversions) */
  double secondsApply;    /* caller thread: apply */
  double secondsExchange; /* communication thread: gradient/code exchange */
  double secondsSync;     /* communication thread: momentum averaging */
  double secondsTotal;    /* the whole lioncubLionStep call */
  int momentumSynced;     /* 1 when the schedule synchronized momentum in that step */
  int nonFinite;          /* 1 when any rank's c was NaN or Inf in that step (same on every rank) */
} lioncubLionStats_t;

LIONCUB_API lioncubResult_t lioncubLionConfigDefault(lioncubLionConfig_t* cfg);

/* An optimizer over one flat buffer of numel elements of dtype (fp32 or bf16); gradients,
 * parameters and momentum are all in dtype. Collective over comm: checks that every rank passed
 * the same numel and configuration (lioncubInvalidArgument on every rank otherwise). */
LIONCUB_API lioncubResult_t lioncubLionCreate(lioncubLion_t* opt, lioncubComm_t comm, size_t numel,
                                              lioncubDataType_t dtype,
                                              const lioncubLionConfig_t* cfg);
/* The same over ntensors tensors of numels[t] elements, laid end to end in one flat index space
 * (buckets cut across tensor boundaries; ternary blocks and momentum-sync choices follow them).
 * Step with lioncubLionStepTensors (a pointer per tensor) or lioncubLionStep (one flat buffer). */
LIONCUB_API lioncubResult_t lioncubLionCreateTensors(lioncubLion_t* opt, lioncubComm_t comm,
                                                     int ntensors, const size_t* numels,
                                                     lioncubDataType_t dtype,
                                                     const lioncubLionConfig_t* cfg);
/* NULL is a no-op. Does not destroy the communicator. */
LIONCUB_API lioncubResult_t lioncubLionDestroy(lioncubLion_t opt);

/* One step: host pointers with a host communicator, device pointers (ordered on stream, no host
 * synchronization) with a device one. Collective. On success every rank holds the same params.
 * Non-finite c (NaN/Inf gradient): that element abstains on that rank (see docs/optimizer.md),
 * keeps its momentum, and stats.nonFinite is 1 on every rank; parameters stay finite. After a
 * failure other than lioncubInvalidArgument the optimizer and the communicator are unusable. */
LIONCUB_API lioncubResult_t lioncubLionStep(lioncubLion_t opt, void* params, const void* grads,
                                            void* momentum, cudaStream_t stream);
LIONCUB_API lioncubResult_t lioncubLionStepTensors(lioncubLion_t opt, void* const* params,
                                                   const void* const* grads,
                                                   void* const* momentum, cudaStream_t stream);

LIONCUB_API lioncubResult_t lioncubLionSetLr(lioncubLion_t opt, float lr);
/* Statistics of the last step (a device communicator's flag is read here, synchronously). */
LIONCUB_API lioncubResult_t lioncubLionGetStats(lioncubLion_t opt, lioncubLionStats_t* stats);

/* The optimizer state other than momentum (step count, tie toggle, schedule position, lr), as
 * bytes: lioncubLionStateSize gives the size; load checks it belongs to an optimizer of the same
 * size and configuration. */
LIONCUB_API lioncubResult_t lioncubLionStateSize(lioncubLion_t opt, size_t* bytes);
LIONCUB_API lioncubResult_t lioncubLionSaveState(lioncubLion_t opt, void* buf, size_t bytes);
LIONCUB_API lioncubResult_t lioncubLionLoadState(lioncubLion_t opt, const void* buf, size_t bytes);


#ifdef __cplusplus
}
#endif

#endif /* LIONCUB_LIONCUB_H_ */
