#include "rendezvous/exchange.h"

#include "common/error.h"
#include "rendezvous/crypto.h"

namespace lioncub::rendezvous {

HandleExchange::HandleExchange(Store& store, const Job& job, int rank, size_t slot_bytes)
    : store_(store),
      job_(job),
      rank_(rank),
      slot_(slot_bytes),
      boxed_(slot_bytes + (job.secret.empty() ? 0 : crypto::kSealOverhead)) {
  if (!job.secret.empty()) key_ = crypto::derive(job.secret, "lioncub-handle-seal", job.id);
}

std::string HandleExchange::aad(int from, int to) const {
  const StoreId& id = store_.id();
  return "lh\n" + job_.id + "\n" + std::to_string(from) + "\n" + std::to_string(to) + "\n" +
         std::to_string(job_.nranks) + "\n" + std::string(id.begin(), id.end());
}

void HandleExchange::publish(const std::vector<std::vector<uint8_t>>& slots, double deadline_s) {
  const int P = job_.nranks;
  std::vector<uint8_t> row(boxed_ * static_cast<size_t>(P), 0);
  for (int p = 0; p < P; ++p) {
    if (p == rank_) continue;
    if (slots.at(static_cast<size_t>(p)).size() != slot_) {
      raise(lioncubInternalError, "rendezvous: a handle of the wrong size");
    }
    const std::vector<uint8_t> box =
        job_.secret.empty() ? slots[p] : crypto::seal(key_, slots[p], aad(rank_, p));
    std::copy(box.begin(), box.end(), row.begin() + static_cast<std::ptrdiff_t>(boxed_ * p));
  }
  store_.set("lh/" + std::to_string(rank_), row, deadline_s);
}

std::vector<uint8_t> HandleExchange::fetch(int peer, double deadline_s) {
  const std::string who = "rank " + std::to_string(peer);
  std::vector<uint8_t> box =
      store_.get("lh/" + std::to_string(peer), static_cast<uint32_t>(boxed_ * rank_),
                 static_cast<uint32_t>(boxed_), deadline_s, who);
  if (box.size() != boxed_) {
    raise(lioncubRemoteError, "rendezvous: " + who + "'s handle has " + std::to_string(box.size()) +
                                  " bytes, not " + std::to_string(boxed_));
  }
  if (job_.secret.empty()) return box;
  std::vector<uint8_t> plain;
  if (!crypto::open(key_, box.data(), box.size(), aad(peer, rank_), &plain)) {
    raise(lioncubRemoteError, "rendezvous: " + who +
                                  "'s handle failed authentication (altered in the store or in "
                                  "transit, or LIONCUB_SECRET differs between ranks)");
  }
  return plain;
}

}  // namespace lioncub::rendezvous
