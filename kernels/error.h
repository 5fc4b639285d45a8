// Error reporting of the C API: a result code plus a thread-local message.
#pragma once

#include <exception>
#include <new>

#include "lioncub/lioncub.h"

namespace lioncub {

// Records a message for lioncubGetLastErrorMessage() and returns `result`.
lioncubResult_t fail(lioncubResult_t result, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Runs f() (returning lioncubResult_t) so that no exception crosses the C ABI.
template <class F>
lioncubResult_t guarded(const char* where, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(lioncubSystemError, "%s: out of host memory", where);
  } catch (const std::exception& e) {
    return fail(lioncubInternalError, "%s: %s", where, e.what());
  } catch (...) {
    return fail(lioncubInternalError, "%s: unknown exception", where);
  }
}

}  // namespace lioncub
