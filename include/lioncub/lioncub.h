/*
 * lioncub: Lion optimizer communication for Ethernet. The public C API, in four parts:
 *   lioncub/types.h      results, element types, codes, errors, version
 *   lioncub/kernels.h    the fused Lion passes (encode, vote, ternary sum, apply, lanes)
 *   lioncub/comm.h       communicators (host, NCCL) and the compressed collectives
 *   lioncub/optimizer.h  the Lion Cub optimizer step
 * Every function returns a lioncubResult_t and never throws or aborts; on failure
 * lioncubGetLastErrorMessage() holds the details for the calling thread.
 */
#ifndef LIONCUB_LIONCUB_H_
#define LIONCUB_LIONCUB_H_

#include "lioncub/optimizer.h"

#endif /* LIONCUB_LIONCUB_H_ */
