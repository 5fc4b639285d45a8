// Logging through the logger NCCL hands to init (so NCCL_DEBUG=INFO shows our lines), with a
// stderr fallback outside NCCL: warnings always, info when LIONCUB_NET_DEBUG or NCCL_DEBUG is
// INFO or TRACE.
#pragma once

#include "abi/common.h"

namespace lioncub::net {

void set_logger(abi::ncclDebugLogger_t logger);

void log_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace lioncub::net
