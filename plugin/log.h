// Logging through the logger NCCL hands to init (so NCCL_DEBUG=INFO shows our lines), with a
// stderr fallback outside NCCL: warnings always, info when LIONCUB_NET_DEBUG or NCCL_DEBUG is
// INFO or TRACE.
//
// Subsystem flags follow NCCL's own use (and aws-ofi-nccl's): a warning is tagged with every
// subsystem (NCCL_ALL), so no NCCL_DEBUG_SUBSYS mask hides it, including NCCL's default
// INIT,BOOTSTRAP,ENV; init and settings lines are INIT|NET (plus ENV when the value came from
// the environment); per-connection lines are NET. Every line carries the file and line of the
// statement that logged it (for errors: of the throw, see error.h).
#pragma once

#include "abi/common.h"

namespace lioncub::net {

void set_logger(abi::ncclDebugLogger_t logger);

void log_at(abi::ncclDebugLogLevel level, unsigned long flags, const char* file, int line,
            const char* fmt, ...) __attribute__((format(printf, 5, 6)));

}  // namespace lioncub::net

#define LIONCUB_NET_WARN(...)                                                                    \
  ::lioncub::net::log_at(::lioncub::abi::NCCL_LOG_WARN, ::lioncub::abi::NCCL_ALL, __FILE__,      \
                         __LINE__, __VA_ARGS__)
// flags: a combination of abi::NCCL_INIT, NCCL_NET, NCCL_ENV.
#define LIONCUB_NET_INFO(flags, ...) \
  ::lioncub::net::log_at(::lioncub::abi::NCCL_LOG_INFO, (flags), __FILE__, __LINE__, __VA_ARGS__)
