// A buffer of fp32, bf16 or fp16 values for the tests: the kernel sees its storage, the
// reference sees the exact value each element stands for.
#pragma once

#include <vector>

#include "lioncub/lioncub.h"
#include "test_util.h"

namespace lioncub::test {

class TypedBuffer {
 public:
  TypedBuffer(lioncubDataType_t type, size_t n) : type_(type), f32_(type == lioncubFloat32 ? n : 0),
                                                  u16_(type == lioncubFloat32 ? 0 : n) {}

  // Stores the value nearest to v that the type holds (fp16: v must be an fp16 value already).
  void set(size_t i, float v) {
    if (type_ == lioncubFloat32) f32_[i] = v;
    else if (type_ == lioncubBfloat16) u16_[i] = ref_to_bf16(v);
    else u16_[i] = fp16_bits(v);
  }
  void set_bits16(size_t i, uint16_t b) { u16_[i] = b; }
  float get(size_t i) const {
    if (type_ == lioncubFloat32) return f32_[i];
    if (type_ == lioncubBfloat16) return ref_from_bf16(u16_[i]);
    return ref_from_fp16(u16_[i]);
  }
  // Exact bits, for bit-for-bit comparisons.
  uint32_t raw(size_t i) const { return type_ == lioncubFloat32 ? bits_of(f32_[i]) : u16_[i]; }
  void* data() { return type_ == lioncubFloat32 ? static_cast<void*>(f32_.data()) : u16_.data(); }
  size_t bytes() const { return type_ == lioncubFloat32 ? f32_.size() * 4 : u16_.size() * 2; }
  size_t size() const { return type_ == lioncubFloat32 ? f32_.size() : u16_.size(); }
  lioncubDataType_t type() const { return type_; }

 private:
  // fp16 encoding of a value that fp16 holds exactly (the tests only store such values).
  static uint16_t fp16_bits(float v) {
    for (uint32_t b = 0; b < 0x10000u; ++b) {
      if (ref_from_fp16(uint16_t(b)) == v && std::signbit(ref_from_fp16(uint16_t(b))) == std::signbit(v)) {
        return uint16_t(b);
      }
    }
    ADD_FAILURE() << v << " is not an fp16 value";
    return 0;
  }
  lioncubDataType_t type_;
  std::vector<float> f32_;
  std::vector<uint16_t> u16_;
};

// Fills a buffer with random values representable in its type (and exact zeros).
inline void fill_random(TypedBuffer& b, std::mt19937_64& rng, double zero_fraction = 0.05) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t i = 0; i < b.size(); ++i) {
    if (unit(rng) < zero_fraction) {
      b.set(i, 0.0f);
    } else if (b.type() == lioncubFloat16) {
      // Random finite half: any sign, exponents 0 (subnormal) .. 30.
      const uint16_t e = uint16_t(rng() % 31), m = uint16_t(rng() % 1024), s = uint16_t(rng() % 2);
      b.set_bits16(i, uint16_t((s << 15) | (e << 10) | m));
    } else {
      b.set(i, normal(rng));
    }
  }
}

}  // namespace lioncub::test
