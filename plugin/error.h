// Errors inside the transport are C++ exceptions carrying the NCCL result code they map to;
// the ABI shim (net_v11.cc) catches them at every entry point, logs the message and returns
// the code. Nothing is thrown across the C ABI.
#pragma once

#include <stdexcept>
#include <string>

#include "abi/common.h"

namespace lioncub::net {

using abi::ncclResult_t;

class NetError : public std::runtime_error {
 public:
  NetError(ncclResult_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  ncclResult_t code() const { return code_; }

 private:
  ncclResult_t code_;
};

// A caller broke the API contract (null pointer, bad index, oversized message).
[[noreturn]] inline void throw_invalid_argument(const std::string& what) {
  throw NetError(abi::ncclInvalidArgument, what);
}
// The call is well-formed but not allowed now (closed comm, stale request, wrong memory type).
[[noreturn]] inline void throw_invalid_usage(const std::string& what) {
  throw NetError(abi::ncclInvalidUsage, what);
}
// The peer misbehaved, reset, closed or stalled.
[[noreturn]] inline void throw_remote(const std::string& what) {
  throw NetError(abi::ncclRemoteError, what);
}
// A local OS call failed.
[[noreturn]] inline void throw_system(const std::string& what) {
  throw NetError(abi::ncclSystemError, what);
}
// Same, with errno's text appended.
[[noreturn]] void throw_errno(const std::string& what, int err);

// Peer-caused errno values (reset, broken pipe, timeout, refused) map to ncclRemoteError.
ncclResult_t code_for_errno(int err);

const char* result_name(ncclResult_t code);

}  // namespace lioncub::net
