// auto's link model: the seconds an algorithm would take on a link of rate B bytes/s with a
// per-message latency L, from the bytes each rank sends (the planes the schedules in
// algorithms/ actually move) and the sequential messages of its schedule:
//
//   algorithm        bytes sent per rank (W = ceil(n/32) plane words, 4 bytes each)   messages
//   allgather-vote   (P-1) * 4W                                                      P-1
//   alltoall-vote    (1 + out) * 4W * (P-1)/P, out = 2 planes when results can be 0  2(P-1)
//   quant2-rs        (2 + out) * 4W * (P-1)/P, out = 2 with tie zero, else 1         2(P-1)
//   packed-sum       2 * w * 4W * (P-1)/P, w = 2, 4 or 8 (none past 8-bit lanes)     2(P-1)
//
// seconds = messages * L + bytes / B; auto runs the candidate with the fewest (ties: the first
// in the order above). The rate is LIONCUB_LINK_RATE (tc's units, e.g. "10gbit"; the deprecated
// LIONCUB_LINK_GBPS in Gbit/s still works, with a warning), else the speed the host backend's net
// plugin reports, else 10 Gbit/s; the latency LIONCUB_LINK_LATENCY_US (default 50).
#pragma once

#include <cstddef>

#include "lioncub/lioncub.h"

namespace lioncub::coll {

struct Link {
  double bytes_per_s = 10e9 / 8;
  double latency_s = 50e-6;
};

// The link from the environment, else plugin_mbps (> 0), else the defaults.
Link link_from_env(int plugin_mbps);

// Modelled seconds of one sign aggregate; a negative value when the algorithm cannot run it.
double modelled_seconds(lioncubAlgorithm_t algo, int P, size_t numel, bool ternary,
                        lioncubTiePolicy_t tie, const Link& link);

// auto for a sign aggregate: the candidate (allgather-vote, alltoall-vote, packed-sum for 1-bit
// codes; quant2-rs, packed-sum for ternary) with the fewest modelled seconds.
lioncubAlgorithm_t choose_sign_algorithm(int P, size_t numel, bool ternary,
                                         lioncubTiePolicy_t tie, const Link& link);

}  // namespace lioncub::coll
