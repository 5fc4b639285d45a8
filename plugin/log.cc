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

// NCCL prints the file as given; the build's absolute path says nothing to a user.
const char* base_name(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash != nullptr ? slash + 1 : file;
}

}  // namespace

void set_logger(abi::ncclDebugLogger_t logger) {
  g_logger.store(logger, std::memory_order_release);
}

void log_at(abi::ncclDebugLogLevel level, unsigned long flags, const char* file, int line,
            const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (auto logger = g_logger.load(std::memory_order_acquire)) {
    logger(level, flags, base_name(file), line, "NET/lioncub: %s", buf);
    return;
  }
  if (level == abi::NCCL_LOG_WARN || stderr_info_enabled()) {
    std::fprintf(stderr, "lioncub-net %s %s:%d: %s\n",
                 level == abi::NCCL_LOG_WARN ? "WARN" : "INFO", base_name(file), line, buf);
  }
}

}  // namespace lioncub::net
