#include "common/error.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace lioncub {
namespace {
thread_local std::string last_error;
}

lioncubResult_t fail(lioncubResult_t result, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (char* c = buf; *c != '\0'; ++c) {
    const auto u = static_cast<unsigned char>(*c);
    if (u < 0x20 || u == 0x7f) *c = '?';
  }
  last_error = buf;
  return result;
}

lioncubResult_t describe_exception(std::exception_ptr e, std::string* message) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const Error& x) {
    *message = x.what();
    return known_failure(x.code);
  } catch (const std::bad_alloc&) {
    *message = "out of host memory";
    return lioncubSystemError;
  } catch (const std::exception& x) {
    *message = x.what();
    return lioncubInternalError;
  } catch (...) {
    *message = "unknown exception";
    return lioncubInternalError;
  }
}

}  // namespace lioncub

extern "C" {

const char* lioncubGetErrorString(lioncubResult_t result) {
  switch (result) {
    case lioncubSuccess: return "success";
    case lioncubInvalidArgument: return "invalid argument";
    case lioncubInvalidUsage: return "invalid usage";
    case lioncubNotSupported: return "not supported";
    case lioncubSystemError: return "system error";
    case lioncubCudaError: return "CUDA error";
    case lioncubNcclError: return "NCCL error";
    case lioncubRemoteError: return "remote error";
    case lioncubTimeout: return "timeout";
    case lioncubInternalError: return "internal error";
    default: return "unknown result code";
  }
}

const char* lioncubGetLastErrorMessage(void) { return lioncub::last_error.c_str(); }

void lioncubGetVersion(int* major, int* minor, int* patch) {
  if (major) *major = LIONCUB_VERSION_MAJOR;
  if (minor) *minor = LIONCUB_VERSION_MINOR;
  if (patch) *patch = LIONCUB_VERSION_PATCH;
}

}  // extern "C"
