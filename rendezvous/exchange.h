// The listen-handle exchange of a communicator over a Store. Rank r publishes one row of P
// slots under "lh/<r>" (slot p: the handle that peer p connects to) and fetches from each peer
// only the slot meant for it, so the traffic is P^2 slots in all (each rank once fetched every
// whole row: P^3).
//
// With a secret (job.secret) each slot is sealed with AES-256-GCM under a key derived from the
// secret and the job id, its associated data naming the job, both ranks, P and the store's id:
// whoever reads the store learns nothing of the handles (address and nonce), and a slot that was
// altered, moved to another pair or copied from another rendezvous fails to open.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rendezvous/crypto.h"
#include "rendezvous/job.h"
#include "rendezvous/store.h"

namespace lioncub::rendezvous {

class HandleExchange {
 public:
  HandleExchange(Store& store, const Job& job, int rank, size_t slot_bytes);
  // slots[p] (slot_bytes each) for every peer p != rank; slots[rank] is ignored.
  void publish(const std::vector<std::vector<uint8_t>>& slots, double deadline_s);
  // The slot that `peer` published for this rank (slot_bytes); Error when it fails to open.
  std::vector<uint8_t> fetch(int peer, double deadline_s);

 private:
  std::string aad(int from, int to) const;

  Store& store_;
  Job job_;
  int rank_;
  size_t slot_;   // plaintext bytes
  size_t boxed_;  // stored bytes per slot
  crypto::Key key_{};
};

}  // namespace lioncub::rendezvous
