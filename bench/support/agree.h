// Cross-rank agreement for lioncub's tools, through the public API only: every rank learns every
// rank's values exactly, from one lioncubAllreduce. lioncub-perf's times, wire bytes, #wrong
// counts, parameter fingerprints and host names all travel this one way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::bench {

// out[r] = rank r's `mine`; every rank passes the same number of words. The words ride as
// 16-bit pieces in the fp32 slots of a sum-allreduce in which every other rank contributes
// zero, so each piece arrives exactly (an fp32 holds integers up to 2^24). Also a barrier.
lioncubResult_t allgather_words(lioncubComm_t comm, const std::vector<std::uint64_t>& mine,
                                std::vector<std::vector<std::uint64_t>>* out);

// Doubles and short strings as words (bit for bit; strings cut at 8 * words bytes).
std::uint64_t double_word(double v);
double word_double(std::uint64_t w);
std::vector<std::uint64_t> string_words(const std::string& s, std::size_t words);
std::string words_string(const std::vector<std::uint64_t>& w, std::size_t first, std::size_t words);

}  // namespace lioncub::bench
