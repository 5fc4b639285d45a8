// Errors inside the transport are C++ exceptions carrying the NCCL result code they map to;
// the ABI shim (net_v11.cc) catches them at every entry point, logs the message and returns
// the code. Nothing is thrown across the C ABI. Each error remembers where it was thrown, so
// the warning NCCL prints names that file and line rather than the entry point's.
#pragma once

#include <source_location>
#include <stdexcept>
#include <string>

#include "abi/common.h"

namespace lioncub::net {

using abi::ncclResult_t;

class NetError : public std::runtime_error {
 public:
  NetError(ncclResult_t code, const std::string& what,
           std::source_location where = std::source_location::current())
      : std::runtime_error(what), code_(code), where_(where) {}
  ncclResult_t code() const { return code_; }
  const std::source_location& where() const { return where_; }

 private:
  ncclResult_t code_;
  std::source_location where_;
};

using Where = std::source_location;

// A caller broke the API contract (null pointer, bad index, oversized message).
[[noreturn]] inline void throw_invalid_argument(const std::string& what, Where where = Where::current()) {
  throw NetError(abi::ncclInvalidArgument, what, where);
}
// The call is well-formed but not allowed now (closed comm, stale request, wrong memory type).
[[noreturn]] inline void throw_invalid_usage(const std::string& what, Where where = Where::current()) {
  throw NetError(abi::ncclInvalidUsage, what, where);
}
// The peer misbehaved, reset, closed or stalled.
[[noreturn]] inline void throw_remote(const std::string& what, Where where = Where::current()) {
  throw NetError(abi::ncclRemoteError, what, where);
}
// A local OS call failed.
[[noreturn]] inline void throw_system(const std::string& what, Where where = Where::current()) {
  throw NetError(abi::ncclSystemError, what, where);
}
// Same, with errno's text appended (and, for EMFILE/ENFILE, what to do about it).
[[noreturn]] void throw_errno(const std::string& what, int err, Where where = Where::current());

// Peer-caused errno values (reset, broken pipe, timeout, refused) map to ncclRemoteError.
ncclResult_t code_for_errno(int err);

const char* result_name(ncclResult_t code);

}  // namespace lioncub::net
