// Errors inside the collectives: a C++ exception carrying the lioncubResult_t that the C API
// returns. Only api.cc catches them (see run_guarded), so nothing crosses the C ABI.
#pragma once

#include <stdexcept>
#include <string>

#include "lioncub/lioncub.h"

namespace lioncub::coll {

class Error : public std::runtime_error {
 public:
  Error(lioncubResult_t rc, const std::string& what) : std::runtime_error(what), code(rc) {}
  lioncubResult_t code;
};

[[noreturn]] inline void raise(lioncubResult_t rc, const std::string& what) { throw Error(rc, what); }

// Milliseconds from `var` (a positive integer), else `def`.
long env_ms(const char* var, long def);

}  // namespace lioncub::coll
