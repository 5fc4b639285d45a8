// Host-side dispatch from runtime values (dtypes, vote size) to kernel template instances.
#pragma once

#include <type_traits>

#include "bitslice.h"
#include "dtype.h"
#include "lioncub/lioncub.h"

namespace lioncub {

// Calls f(G{}) with G the storage type of a gradient dtype (validated by the caller).
template <class F>
decltype(auto) with_grad_type(lioncubDataType_t t, F&& f) {
  switch (t) {
    case lioncubBfloat16: return f(bf16{});
    case lioncubFloat16: return f(fp16{});
    default: return f(float{});
  }
}

// Calls f(T{}) with T the storage type of a parameter or momentum dtype: fp32 or bf16.
template <class F>
decltype(auto) with_state_type(lioncubDataType_t t, F&& f) {
  if (t == lioncubBfloat16) return f(bf16{});
  return f(float{});
}

// Calls f(std::integral_constant<int, K>{}) with K a counter depth that holds counts up to nvec.
// A few depths only, so that each kernel has few instances; unused top planes stay 0.
template <class F>
decltype(auto) with_counter_depth(int nvec, F&& f) {
  const int bits = counter_bits(nvec);
  if (bits <= 3) return f(std::integral_constant<int, 3>{});
  if (bits <= 4) return f(std::integral_constant<int, 4>{});
  if (bits <= 6) return f(std::integral_constant<int, 6>{});
  if (bits <= 8) return f(std::integral_constant<int, 8>{});
  if (bits <= 11) return f(std::integral_constant<int, 11>{});
  return f(std::integral_constant<int, 15>{});
}

// Calls f(std::integral_constant<int, W>{}) with W the lane width of packed-sum: 2, 4 or 8.
template <class F>
decltype(auto) with_lane_width(int width, F&& f) {
  switch (width) {
    case 2: return f(std::integral_constant<int, 2>{});
    case 4: return f(std::integral_constant<int, 4>{});
    default: return f(std::integral_constant<int, 8>{});
  }
}

}  // namespace lioncub
