// lioncub's one error story. Inside the library a failure is a lioncub::Error (a result code and
// a message) thrown to the C boundary; every exported function runs its body through c_api(),
// which catches it and records the message for lioncubGetLastErrorMessage(). Nothing is thrown
// across the C ABI.
#pragma once

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "lioncub/lioncub.h"

namespace lioncub {

class Error : public std::runtime_error {
 public:
  Error(lioncubResult_t rc, const std::string& what) : std::runtime_error(what), code(rc) {}
  lioncubResult_t code;
};

[[noreturn]] inline void raise(lioncubResult_t rc, const std::string& what) { throw Error(rc, what); }

// A failure's code as the C API may return it: codes outside the enum, and success, can only
// come from a peer's bytes on the wire (a store reply, a remote message); they become
// lioncubRemoteError, so no failure ever reads as success.
inline lioncubResult_t known_failure(int code) {
  return (code > lioncubSuccess && code < lioncubNumResults) ? static_cast<lioncubResult_t>(code)
                                                             : lioncubRemoteError;
}

// Records a message for lioncubGetLastErrorMessage() and returns `result`. Control characters
// (which a peer's message could carry from the wire) are replaced by '?'.
lioncubResult_t fail(lioncubResult_t result, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// The code and message of a caught exception: an Error's own, out of memory a system error,
// anything else an internal error. For threads that carry a failure to the caller's thread (the
// optimizer's communication worker) and for c_api() below. Never throws.
lioncubResult_t describe_exception(std::exception_ptr e, std::string* message) noexcept;

// The guard of every C entry point: runs f() (returning lioncubResult_t); a failure becomes its
// code (describe_exception) with "where: message". Never throws.
template <class F>
lioncubResult_t c_api(const char* where, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    std::string message;
    const lioncubResult_t rc = describe_exception(std::current_exception(), &message);
    return fail(rc, "%s: %s", where, message.c_str());
  }
}

}  // namespace lioncub
