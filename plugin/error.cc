#include "error.h"

#include <cerrno>
#include <cstring>

namespace lioncub::net {

void throw_errno(const std::string& what, int err) {
  throw NetError(code_for_errno(err), what + ": " + std::strerror(err));
}

ncclResult_t code_for_errno(int err) {
  switch (err) {
    case ECONNRESET:
    case EPIPE:
    case ECONNREFUSED:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
      return abi::ncclRemoteError;
    default:
      return abi::ncclSystemError;
  }
}

const char* result_name(ncclResult_t code) {
  switch (code) {
    case abi::ncclSuccess: return "ncclSuccess";
    case abi::ncclSystemError: return "ncclSystemError";
    case abi::ncclInternalError: return "ncclInternalError";
    case abi::ncclInvalidArgument: return "ncclInvalidArgument";
    case abi::ncclInvalidUsage: return "ncclInvalidUsage";
    case abi::ncclRemoteError: return "ncclRemoteError";
    default: return "ncclResult?";
  }
}

}  // namespace lioncub::net
