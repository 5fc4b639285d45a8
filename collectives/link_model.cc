#include "collectives/link_model.h"

#include "collectives/algorithms/algorithms.h"
#include "common/settings.h"

namespace lioncub::coll {

Link link_from_env(int plugin_mbps) {
  Link l;
  l.bytes_per_s = (plugin_mbps > 0 ? plugin_mbps / 1000.0 : 10.0) * 1e9 / 8;
  if (const auto rate = setting_rate("LIONCUB_LINK_RATE")) {
    l.bytes_per_s = *rate;
  } else if (setting_raw("LIONCUB_LINK_GBPS").set) {
    warn_once("LIONCUB_LINK_GBPS is deprecated: set LIONCUB_LINK_RATE (e.g. 25gbit) instead");
    l.bytes_per_s = setting_double("LIONCUB_LINK_GBPS") * 1e9 / 8;
    if (!(l.bytes_per_s > 0)) l.bytes_per_s = (plugin_mbps > 0 ? plugin_mbps / 1000.0 : 10.0) * 1e9 / 8;
  }
  l.latency_s = setting_double("LIONCUB_LINK_LATENCY_US") * 1e-6;
  return l;
}

double modelled_seconds(lioncubAlgorithm_t algo, int P, size_t numel, bool ternary,
                        lioncubTiePolicy_t tie, const Link& link) {
  const double plane = 4.0 * static_cast<double>(lioncubPackedWords(numel));
  const double share = static_cast<double>(P - 1) / P;
  const bool zeros = tie == lioncubTieZero && (ternary || P % 2 == 0);
  double bytes = 0, messages = 2.0 * (P - 1);
  switch (algo) {
    case lioncubAlgoAllgatherVote:
      if (ternary) return -1;
      bytes = (P - 1) * plane;
      messages = P - 1;
      break;
    case lioncubAlgoAlltoallVote:
      if (ternary) return -1;
      bytes = (1 + (zeros ? 2 : 1)) * plane * share;
      break;
    case lioncubAlgoQuant2Rs:
      if (!ternary) return -1;
      bytes = (2 + (zeros ? 2 : 1)) * plane * share;
      break;
    case lioncubAlgoPackedSum: {
      const int w = packed_sum_width(P, ternary);
      if (w == 0) return -1;
      bytes = 2.0 * w * plane * share;
      break;
    }
    default: return -1;
  }
  return messages * link.latency_s + bytes / link.bytes_per_s;
}

lioncubAlgorithm_t choose_sign_algorithm(int P, size_t numel, bool ternary,
                                         lioncubTiePolicy_t tie, const Link& link) {
  const lioncubAlgorithm_t sign_candidates[] = {lioncubAlgoAllgatherVote, lioncubAlgoAlltoallVote,
                                                lioncubAlgoPackedSum};
  const lioncubAlgorithm_t ternary_candidates[] = {lioncubAlgoQuant2Rs, lioncubAlgoPackedSum};
  lioncubAlgorithm_t best = ternary ? lioncubAlgoQuant2Rs : lioncubAlgoAlltoallVote;
  double best_s = -1;
  auto consider = [&](lioncubAlgorithm_t a) {
    const double s = modelled_seconds(a, P, numel, ternary, tie, link);
    if (s >= 0 && (best_s < 0 || s < best_s)) {
      best = a;
      best_s = s;
    }
  };
  if (ternary) {
    for (auto a : ternary_candidates) consider(a);
  } else {
    for (auto a : sign_candidates) consider(a);
  }
  return best;
}

}  // namespace lioncub::coll
