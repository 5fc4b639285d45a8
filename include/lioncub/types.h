/*
 * lioncub: the types shared by every part of the C API (results, element types, codes, tie
 * policies), error reporting and the version. Included by kernels.h, comm.h and optimizer.h;
 * applications include the umbrella <lioncub/lioncub.h>.
 */
#ifndef LIONCUB_TYPES_H_
#define LIONCUB_TYPES_H_

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

#ifdef __cplusplus
}
#endif

#endif /* LIONCUB_TYPES_H_ */
