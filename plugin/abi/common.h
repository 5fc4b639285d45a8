// lioncub's own declarations of the types shared by every version of NCCL's net plugin ABI.
// Written from NCCL's published plugin headers (v2.28.9-1: nccl.h, nccl_common.h,
// nccl_device/net_device.h, plugin/nccl_net.h): same names, values and field order, so a
// table built from these is what NCCL's loader expects. NCCL's headers are never included.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lioncub::abi {

// nccl.h: the result codes every entry point returns.
enum ncclResult_t : int {
  ncclSuccess = 0,
  ncclUnhandledCudaError = 1,
  ncclSystemError = 2,
  ncclInternalError = 3,
  ncclInvalidArgument = 4,
  ncclInvalidUsage = 5,
  ncclRemoteError = 6,
  ncclInProgress = 7,
};

// nccl_common.h: logger levels and subsystem flags.
enum ncclDebugLogLevel : int {
  NCCL_LOG_NONE = 0,
  NCCL_LOG_VERSION = 1,
  NCCL_LOG_WARN = 2,
  NCCL_LOG_INFO = 3,
  NCCL_LOG_ABORT = 4,
  NCCL_LOG_TRACE = 5,
};
constexpr unsigned long NCCL_INIT = 0x1;
constexpr unsigned long NCCL_NET = 0x10;
constexpr unsigned long NCCL_ENV = 0x80;
constexpr unsigned long NCCL_BOOTSTRAP = 0x1000;
constexpr unsigned long NCCL_ALL = ~0ul;

using ncclDebugLogger_t = void (*)(ncclDebugLogLevel level, unsigned long flags, const char* file,
                                   int line, const char* fmt, ...);
using ncclProfilerCallback_t = ncclResult_t (*)(void** eHandle, int type, void* pHandle,
                                                int64_t pluginId, void* extData);

// nccl_device/net_device.h: device offload type (we are host-only) and its handle.
enum ncclNetDeviceType : int {
  NCCL_NET_DEVICE_HOST = 0,
  NCCL_NET_DEVICE_UNPACK = 1,
};
constexpr int NCCL_NET_DEVICE_INVALID_VERSION = 0;

struct ncclNetDeviceHandle_t {
  ncclNetDeviceType netDeviceType;
  int netDeviceVersion;
  void* handle;
  size_t size;
  int needsProxyProgress;
};

// plugin/nccl_net.h: constants.
constexpr int NCCL_NET_HANDLE_MAXSIZE = 128;
constexpr int NCCL_PTR_HOST = 0x1;
constexpr int NCCL_PTR_CUDA = 0x2;
constexpr int NCCL_PTR_DMABUF = 0x4;
constexpr int NCCL_NET_MAX_REQUESTS = 32;
constexpr int NCCL_NET_MAX_DEVS_PER_NIC = 4;
constexpr int NCCL_NET_TRAFFIC_CLASS_UNDEF = -1;

// Opaque to us: NCCL's reduction and data types appear only in collnet signatures we never export.

}  // namespace lioncub::abi
