// The one clock of lioncub: monotonic seconds (CLOCK_MONOTONIC through steady_clock), for
// deadlines and the seconds statistics.
#pragma once

#include <chrono>

namespace lioncub {

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace lioncub
