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

// The guard of every C entry point: runs f() (returning lioncubResult_t); an Error becomes its
// code with "where: message", anything else an internal or system error. Never throws.
template <class F>
lioncubResult_t c_api(const char* where, F&& f) noexcept {
  try {
    return f();
  } catch (const Error& e) {
    return fail(known_failure(e.code), "%s: %s", where, e.what());
  } catch (const std::bad_alloc&) {
    return fail(lioncubSystemError, "%s: out of host memory", where);
  } catch (const std::exception& e) {
    return fail(lioncubInternalError, "%s: %s", where, e.what());
  } catch (...) {
    return fail(lioncubInternalError, "%s: unknown exception", where);
  }
}

}  // namespace lioncub
