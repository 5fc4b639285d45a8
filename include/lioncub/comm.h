/*
 * lioncub communicators and compressed collectives: host communicators over a net plugin, device
 * communicators over NCCL, sign aggregation, sign counts and float allreduce. See
 * docs/collectives.md.
 */
#ifndef LIONCUB_COMM_H_
#define LIONCUB_COMM_H_

#include "lioncub/kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* See docs/collectives.md. A communicator is used by one thread at a time (a call while another
 * thread's call runs on it returns lioncubInvalidUsage); every rank calls the same collectives
 * in the same order with the same count, code, algorithm, tie policy and step. The first
 * collective of a communicator checks that across ranks (LIONCUB_CHECK_ARGS=1: every call) and
 * returns lioncubInvalidUsage on every rank when they differ. */

typedef struct lioncubComm* lioncubComm_t;

/* Host communicator: CPU memory, nranks processes, rank in [0, nranks). `rendezvous` is
 * "host:port" (or "[v6]:port") where rank 0 serves the key-value store that exchanges the
 * listen handles; NULL is allowed when nranks is 1. The transport is lioncub's own net plugin
 * (libnccl-net-lioncub.so, found next to liblioncub.so or in the build tree), or the library
 * named by LIONCUB_NET_PLUGIN. Waits: LIONCUB_RENDEZVOUS_TIMEOUT_MS (default 300000) for the
 * rendezvous and connections, LIONCUB_TIMEOUT_MS (default 300000) for each transfer (0: no
 * limit); past them the call returns lioncubTimeout naming the missing rank. Raises the soft
 * RLIMIT_NOFILE to the hard limit. */
LIONCUB_API lioncubResult_t lioncubCommInitHost(lioncubComm_t* comm, int nranks, int rank,
                                                const char* rendezvous);
/* The same from the environment: LIONCUB_RANK / LIONCUB_WORLD_SIZE / LIONCUB_ROOT (host:port),
 * else RANK / WORLD_SIZE / MASTER_ADDR:MASTER_PORT (torchrun), else OMPI_COMM_WORLD_RANK /
 * OMPI_COMM_WORLD_SIZE (mpirun), else SLURM_PROCID / SLURM_NTASKS (srun), with LIONCUB_ROOT. */
LIONCUB_API lioncubResult_t lioncubCommInitFromEnv(lioncubComm_t* comm);
/* Closes the connections (rank 0 also stops the store). NULL is a no-op; a communicator that
 * another thread is using is refused (lioncubInvalidUsage). */
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
  lioncubAlgoHierarchicalVote = 7, /* "hierarchical-vote": ranks of a host count their 1-bit
                                    * codes together, only the counts cross the NIC */
  lioncubNumAlgorithms = 8
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
 * hierarchical-vote takes sign codes on a host communicator: ranks on the same host (the launcher's
 * LIONCUB_HOST_ID, else hostname and network namespace) count their codes together and only the
 * counts cross the NIC; the result equals alltoall-vote's bit for bit.
 * auto: hierarchical-vote for sign codes when several hosts have several ranks each (host
 * communicators); otherwise the candidate with the fewest seconds in a link model (messages x latency + bytes /
 * rate; LIONCUB_LINK_RATE, else the plugin's reported speed, and LIONCUB_LINK_LATENCY_US) among
 * allgather-vote, alltoall-vote and packed-sum for sign codes, quant2-rs and packed-sum for
 * ternary; see docs/collectives.md.
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

/* ---- The NCCL backend -------------------------------------------------------------------- */

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

#ifdef __cplusplus
}
#endif

#endif /* LIONCUB_COMM_H_ */
