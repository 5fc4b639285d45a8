// Run-time choice between the baseline and the AVX2 copies of the CPU passes.
#include <cstdlib>
#include <cstring>

#include "../kernels.h"

namespace lioncub::cpu {
namespace {

#if !defined(LIONCUB_CPU_HAVE_AVX2)
// Not an x86-64 build: the baseline copy is the only one.
namespace avx2 = baseline;
bool use_avx2() { return false; }
#else
bool use_avx2() {
  static const bool yes = [] {
    const char* forced = std::getenv("LIONCUB_CPU_ISA");
    if (forced && std::strcmp(forced, "baseline") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return yes;
}
#endif

}  // namespace

const char* isa() { return use_avx2() ? "avx2" : "baseline"; }

void encode(const EncodeArgs& a) { use_avx2() ? avx2::encode(a) : baseline::encode(a); }
void vote(const VoteArgs& a) { use_avx2() ? avx2::vote(a) : baseline::vote(a); }
void vote_count(const VoteArgs& a) { use_avx2() ? avx2::vote_count(a) : baseline::vote_count(a); }
void ternary_sum(const TernaryArgs& a) { use_avx2() ? avx2::ternary_sum(a) : baseline::ternary_sum(a); }
void ternary_reencode(const TernaryArgs& a) {
  use_avx2() ? avx2::ternary_reencode(a) : baseline::ternary_reencode(a);
}
void lane_pack(const LaneArgs& a) { use_avx2() ? avx2::lane_pack(a) : baseline::lane_pack(a); }
void lane_resolve(const LaneArgs& a) {
  use_avx2() ? avx2::lane_resolve(a) : baseline::lane_resolve(a);
}
void apply(const ApplyArgs& a) { use_avx2() ? avx2::apply(a) : baseline::apply(a); }

}  // namespace lioncub::cpu
