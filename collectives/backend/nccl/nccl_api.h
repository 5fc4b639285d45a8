// NCCL resolved at run time. liblioncub does not link libnccl: inside a PyTorch process it must use
// the NCCL that torch already loaded (a second, different libnccl.so.2 would clash with it), and on
// a machine without NCCL the library must still load for the host path. The functions the NCCL
// backend calls are looked up with dlopen/dlsym at the first lioncubCommInitNccl:
//   1. dlopen(LIONCUB_NCCL_LIBRARY or "libnccl.so.2", RTLD_NOLOAD): an NCCL already in the
//      process (torch's, or the application's own link) wins;
//   2. otherwise dlopen of that name, which the loader searches as usual.
// nccl.h is used for the types only (enums and ncclComm_t are ABI-stable since NCCL 2.x).
#pragma once

#include <nccl.h>

#include <string>

namespace lioncub::coll {

struct NcclApi {
  ncclResult_t (*GetVersion)(int*);
  const char* (*GetErrorString)(ncclResult_t);
  const char* (*GetLastError)(ncclComm_t);  // NCCL >= 2.13; may be null
  ncclResult_t (*CommGetAsyncError)(ncclComm_t, ncclResult_t*);
  ncclResult_t (*CommCount)(const ncclComm_t, int*);
  ncclResult_t (*CommCuDevice)(const ncclComm_t, int*);
  ncclResult_t (*CommUserRank)(const ncclComm_t, int*);
  ncclResult_t (*GroupStart)();
  ncclResult_t (*GroupEnd)();
  ncclResult_t (*AllGather)(const void*, void*, size_t, ncclDataType_t, ncclComm_t, cudaStream_t);
  ncclResult_t (*AllReduce)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t,
                            cudaStream_t);
  ncclResult_t (*Send)(const void*, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
  ncclResult_t (*Recv)(void*, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
  int version;         // ncclGetVersion's code, e.g. 22809
  std::string origin;  // how it was found, for messages: "already loaded: ..." or the dlopen name
};

// The process's NCCL, resolved once (thread-safe). Throws Error(lioncubNotSupported) with what
// was tried when no NCCL can be loaded or a needed function is missing.
const NcclApi& nccl_api();

// The library name tried: LIONCUB_NCCL_LIBRARY when set, else "libnccl.so.2".
std::string nccl_library_name();

}  // namespace lioncub::coll
