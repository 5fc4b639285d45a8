/*
 * The Lion Cub optimizer step: one collective Lion step over a flat buffer or a list of
 * tensors, with compressed exchange, selective momentum synchronization and saved state. See
 * docs/optimizer.md.
 */
#ifndef LIONCUB_OPTIMIZER_H_
#define LIONCUB_OPTIMIZER_H_

#include "lioncub/comm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* See docs/optimizer.md. One optimizer per parameter space; every rank creates it with the same
 * sizes and configuration and calls lioncubLionStep the same number of times. The optimizer owns
 * a communication thread on a host communicator (the communicator must not be used by anyone
 * else while the optimizer exists), and a second stream on a device one (its exchanges overlap
 * the step's encode and apply; the step stays ordered on the caller's stream). */

typedef struct lioncubLion* lioncubLion_t;

typedef enum LIONCUB_ENUM_INT {
  lioncubSyncNever = 0,       /* momentum stays local (default) */
  lioncubSyncEvery = 1,       /* after steps K-1, 2K-1, 3K-1, ... (0-based step count) */
  lioncubSyncExponential = 2  /* after steps T0 = 0, T(j+1) = T(j) + ceil(2^(j/k)) */
} lioncubMomentumSync_t;

/* The configuration starts with its own size, a magic number and a version, filled by
 * lioncubLionConfigDefault (always start from it): the library refuses a configuration that did
 * not come from there, or from another layout of this struct, instead of reading garbage. */
#define LIONCUB_LION_CONFIG_MAGIC 0x4c434346u /* "LCCF" */
#define LIONCUB_LION_CONFIG_VERSION 1u
/* bucketBytes: choose per communicator (the default). Host: 1 MiB. Device: from the link model,
 * so that one bucket's code exchange is long against the per-message latency. */
#define LIONCUB_LION_BUCKET_AUTO ((size_t)-1)

typedef struct {
  size_t size;          /* sizeof(lioncubLionConfig_t) */
  unsigned int magic;   /* LIONCUB_LION_CONFIG_MAGIC */
  unsigned int version; /* LIONCUB_LION_CONFIG_VERSION */
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
  /* Bytes of parameters per bucket (default LIONCUB_LION_BUCKET_AUTO). Rounded down to whole
   * words of 32 elements (whole ternary blocks when ternaryAlpha > 0), at least one; 0 is
   * rejected. */
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
/* NULL is a no-op. Does not destroy the communicator (whose transport an optimizer keeps alive
 * until it is destroyed itself). */
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
/* Statistics of the last step. On a device communicator this waits for the end of that step
 * (an event recorded on its stream) and reads the aggregated non-finite flag. */
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

#endif /* LIONCUB_OPTIMIZER_H_ */
