#include "log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>

namespace lioncub::net {
namespace {

std::atomic<abi::ncclDebugLogger_t> g_logger{nullptr};

bool stderr_info_enabled() {
  static const bool enabled = [] {
    for (const char* name : {"LIONCUB_NET_DEBUG", "NCCL_DEBUG"}) {
      const char* v = std::getenv(name);
      if (v != nullptr && (strcasecmp(v, "INFO") == 0 || strcasecmp(v, "TRACE") == 0)) return true;
    }
    return false;
  }();
  return enabled;
}

void emit(abi::ncclDebugLogLevel level, const char* fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  if (auto logger = g_logger.load(std::memory_order_acquire)) {
    logger(level, abi::NCCL_NET, __FILE__, __LINE__, "NET/lioncub: %s", buf);
    return;
  }
  if (level == abi::NCCL_LOG_WARN || stderr_info_enabled()) {
    std::fprintf(stderr, "lioncub-net %s: %s\n", level == abi::NCCL_LOG_WARN ? "WARN" : "INFO",
                 buf);
  }
}

}  // namespace

void set_logger(abi::ncclDebugLogger_t logger) {
  g_logger.store(logger, std::memory_order_release);
}

void log_warn(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(abi::NCCL_LOG_WARN, fmt, ap);
  va_end(ap);
}

void log_info(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(abi::NCCL_LOG_INFO, fmt, ap);
  va_end(ap);
}

}  // namespace lioncub::net
