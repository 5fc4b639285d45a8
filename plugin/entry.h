// The one place exceptions stop: every C entry point runs its body through guard(), which
// returns ncclSuccess or the mapped error code after logging the message. Peer trouble ->
// ncclRemoteError, bad arguments -> ncclInvalidArgument / ncclInvalidUsage (both carried by
// NetError), out of memory and anything else -> ncclSystemError.
#pragma once

#include <new>
#include <string_view>

#include "error.h"
#include "log.h"

namespace lioncub::net {

template <typename Fn>
abi::ncclResult_t guard(const char* fn, Fn&& body) noexcept {
  try {
    body();
    return abi::ncclSuccess;
  } catch (const NetError& e) {
    // Messages usually start with the call's name already.
    const std::string_view what = e.what();
    const bool named = what.substr(0, std::string_view(fn).size()) == fn;
    log_at(abi::NCCL_LOG_WARN, abi::NCCL_ALL, e.where().file_name(),
           static_cast<int>(e.where().line()), "%s%s%s (%s)", named ? "" : fn, named ? "" : ": ",
           e.what(), result_name(e.code()));
    return e.code();
  } catch (const std::bad_alloc&) {
    LIONCUB_NET_WARN("%s: out of memory", fn);
  } catch (const std::exception& e) {
    LIONCUB_NET_WARN("%s: %s", fn, e.what());
  } catch (...) {
    LIONCUB_NET_WARN("%s: unknown exception", fn);
  }
  return abi::ncclSystemError;
}

}  // namespace lioncub::net
