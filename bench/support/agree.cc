#include "support/agree.h"

#include <algorithm>
#include <cstring>

namespace lioncub::bench {

lioncubResult_t allgather_words(lioncubComm_t comm, const std::vector<std::uint64_t>& mine,
                                std::vector<std::vector<std::uint64_t>>* out) {
  int rank = 0, nranks = 1;
  lioncubResult_t rc = lioncubCommRank(comm, &rank);
  if (rc == lioncubSuccess) rc = lioncubCommSize(comm, &nranks);
  if (rc != lioncubSuccess) return rc;
  constexpr int kPieces = 4;  // 16-bit pieces per word
  const std::size_t k = mine.size() == 0 ? 1 : mine.size();  // an empty gather is a barrier
  std::vector<float> slots(std::size_t(nranks) * k * kPieces, 0.0f);
  for (std::size_t i = 0; i < mine.size(); ++i)
    for (int p = 0; p < kPieces; ++p)
      slots[(std::size_t(rank) * k + i) * kPieces + p] = float((mine[i] >> (16 * p)) & 0xffff);
  rc = lioncubAllreduce(comm, lioncubAlgoFull, slots.data(), slots.data(), slots.size(),
                        lioncubFloat32, lioncubSum, nullptr, nullptr);
  if (rc != lioncubSuccess) return rc;
  out->assign(std::size_t(nranks), std::vector<std::uint64_t>(mine.size(), 0));
  for (int r = 0; r < nranks; ++r)
    for (std::size_t i = 0; i < mine.size(); ++i)
      for (int p = 0; p < kPieces; ++p)
        (*out)[r][i] |= std::uint64_t(slots[(std::size_t(r) * k + i) * kPieces + p]) << (16 * p);
  return lioncubSuccess;
}

std::uint64_t double_word(double v) {
  std::uint64_t w = 0;
  std::memcpy(&w, &v, sizeof w);
  return w;
}

double word_double(std::uint64_t w) {
  double v = 0;
  std::memcpy(&v, &w, sizeof v);
  return v;
}

std::vector<std::uint64_t> string_words(const std::string& s, std::size_t words) {
  std::vector<std::uint64_t> w(words, 0);
  std::memcpy(w.data(), s.data(), std::min(s.size(), words * 8));
  return w;
}

std::string words_string(const std::vector<std::uint64_t>& w, std::size_t first, std::size_t words) {
  std::string s(words * 8, '\0');
  std::memcpy(s.data(), w.data() + first, words * 8);
  return s.substr(0, s.find('\0'));
}

}  // namespace lioncub::bench
