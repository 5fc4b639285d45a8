#include "error.h"

#include <cerrno>
#include <cstring>

namespace lioncub::net {

void throw_errno(const std::string& what, int err, Where where) {
  std::string msg = what + ": " + std::strerror(err);
  if (err == EMFILE) {
    msg += " (this process reached its open-file limit: raise `ulimit -n`, or lower "
           "LIONCUB_NET_STREAMS; each connection holds 1 + streams sockets)";
  } else if (err == ENFILE) {
    msg += " (the system-wide open-file table is full: fs.file-max)";
  }
  throw NetError(code_for_errno(err), msg, where);
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
