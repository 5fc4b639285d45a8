// Receive-side matching of a comm (comm.h): arrived messages with posted receive slots, and the
// staging of messages that arrive before any slot wants their tag. All under the comm's mu_.
#include <algorithm>
#include <cstring>
#include <vector>

#include "comm.h"

namespace lioncub::net {

// Claims slot `slot` of `r` for a message of `size` bytes; sets the truncation error when the
// receive buffer is too small. Returns whether the payload fits. A message that does not fit is
// refused at header time, as NCCL's socket transport does: its slot completes at once with the
// error and its bytes are discarded in the background (they are never the request's business
// again), so a peer that announces a huge size and trickles it cannot hold the receive until
// the caller's timeout.
bool Comm::claim_slot_locked(Request* r, int slot, uint64_t size, int32_t tag) {
  Request::Slot& sl = r->slots[slot];
  sl.matched = true;
  sl.size = size;
  --r->unmatched;
  if (size <= sl.capacity) return true;
  r->set_error(abi::ncclInvalidUsage,
               "message truncated: peer " + params_.peer + " sent " + std::to_string(size) +
                   " bytes with tag " + std::to_string(tag) + ", receive buffer holds " +
                   std::to_string(sl.capacity));
  return false;
}

// Pairs arrived messages, in arrival order, with the first posted receive slot of equal tag.
// A message whose tag no posted slot wants is staged (drained into a buffer of the comm) so the
// messages behind it can still match; only when the staging bound is reached does matching
// stop at it, which leaves its bytes in the kernel (TCP backpressure on the sender).
void Comm::match_locked() {
  while (!incoming_.empty()) {
    Incoming& in = incoming_.front();
    // Per-tag order: an older unmatched (staged) message with this tag must match first.
    bool older_same_tag = false;
    for (const auto& st : staged_) {
      if (st->target == nullptr && !st->discard && st->tag == in.tag) {
        older_same_tag = true;
        break;
      }
    }
    Request* r = nullptr;
    int slot = -1;
    if (!older_same_tag) {
      for (Request* p : posted_) {
        for (int i = 0; i < p->n && slot < 0; ++i) {
          if (!p->slots[i].matched && p->slots[i].tag == in.tag) slot = i;
        }
        if (slot >= 0) {
          r = p;
          break;
        }
      }
    }
    if (r == nullptr) {
      const uint64_t charge = in.size + kStagedOverhead;
      if (staged_bytes_ + charge > params_.staging_bytes) return;  // bound reached: wait
      stage_locked(in);
      incoming_.pop_front();
      continue;
    }
    Request::Slot& sl = r->slots[slot];
    const bool truncated = !claim_slot_locked(r, slot, in.size, in.tag);
    if (in.size <= params_.inline_max) {
      if (!truncated && in.size > 0) std::memcpy(sl.data, in.inline_data.data(), in.size);
      r->pending.fetch_sub(1, std::memory_order_acq_rel);
    } else if (truncated) {
      // Discard pieces belong to no request; the slot is done now.
      for_each_chunk(in.size, in.seq, params_.streams, params_.min_chunk,
                     [&](uint32_t stream, uint64_t, uint64_t len) {
                       push(*streams_[1 + stream], Piece{nullptr, len, 0, nullptr, nullptr});
                     });
      r->pending.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      int64_t pieces = 0;
      for_each_chunk(in.size, in.seq, params_.streams, params_.min_chunk,
                     [&](uint32_t, uint64_t, uint64_t) { ++pieces; });
      r->pending.fetch_add(pieces - 1, std::memory_order_acq_rel);
      for_each_chunk(in.size, in.seq, params_.streams, params_.min_chunk,
                     [&](uint32_t stream, uint64_t off, uint64_t len) {
                       push(*streams_[1 + stream], Piece{sl.data + off, len, 0, r, nullptr});
                     });
    }
    if (r->unmatched == 0) posted_.erase(std::find(posted_.begin(), posted_.end(), r));
    incoming_.pop_front();
  }
}

// match_locked, then wakes the control worker if it had stopped reading (incoming_ full) and
// matching made room.
void Comm::rematch_locked() {
  const bool was_backlogged = static_cast<int>(incoming_.size()) >= params_.max_requests;
  match_locked();
  if (was_backlogged && static_cast<int>(incoming_.size()) < params_.max_requests) {
    streams_[0]->worker->wake();
  }
}

// Moves the front of incoming_ into staged_: inline bytes are copied now; striped chunks are
// queued on the data streams (in the same deterministic order as a matched message, so the
// streams' byte order is unchanged) with the staging buffer as their target.
void Comm::stage_locked(Incoming& in) {
  auto owned = std::make_unique<Staged>();
  Staged* st = owned.get();
  st->seq = in.seq;
  st->size = in.size;
  st->tag = in.tag;
  if (in.size > 0) st->buf.reset(new uint8_t[in.size]);
  int64_t pieces = 0;
  if (in.size <= params_.inline_max) {
    if (in.size > 0) std::memcpy(st->buf.get(), in.inline_data.data(), in.size);
  } else {
    for_each_chunk(in.size, in.seq, params_.streams, params_.min_chunk,
                   [&](uint32_t, uint64_t, uint64_t) { ++pieces; });
  }
  st->pending = pieces;
  staged_.push_back(std::move(owned));
  staged_bytes_ += in.size + kStagedOverhead;
  if (pieces > 0) {
    for_each_chunk(in.size, in.seq, params_.streams, params_.min_chunk,
                   [&](uint32_t stream, uint64_t off, uint64_t len) {
                     push(*streams_[1 + stream], Piece{st->buf.get() + off, len, 0, nullptr, st});
                   });
  }
}

// Matches the unmatched slots of a new receive with staged messages (oldest with the slot's
// tag first) and delivers those already drained. Returns whether slots remain unmatched.
bool Comm::match_staged_locked(Request* r) {
  std::vector<Staged*> ready, refused;
  for (int i = 0; i < r->n; ++i) {
    for (const auto& st : staged_) {
      if (st->target != nullptr || st->discard || st->tag != r->slots[i].tag) continue;
      if (!claim_slot_locked(r, i, st->size, st->tag)) {
        st->discard = true;  // too large for this slot: refused now, freed once drained
        r->pending.fetch_sub(1, std::memory_order_acq_rel);
        if (st->pending == 0) refused.push_back(st.get());
        break;
      }
      st->target = r;
      st->slot = i;
      if (st->pending == 0) ready.push_back(st.get());
      break;
    }
  }
  const bool unmatched = r->unmatched > 0;
  for (Staged* st : ready) deliver_staged_locked(st);
  for (Staged* st : refused) free_staged_locked(st);
  return unmatched;
}

// A staged message that is both matched and drained: copy it out, complete its slot (the
// request's last touch), free it.
void Comm::deliver_staged_locked(Staged* st) {
  Request* r = st->target;
  const Request::Slot& sl = r->slots[st->slot];
  if (st->size <= sl.capacity && st->size > 0) std::memcpy(sl.data, st->buf.get(), st->size);
  free_staged_locked(st);
  r->pending.fetch_sub(1, std::memory_order_acq_rel);
}

void Comm::free_staged_locked(Staged* st) {
  staged_bytes_ -= st->size + kStagedOverhead;
  staged_.erase(std::find_if(staged_.begin(), staged_.end(),
                             [st](const std::unique_ptr<Staged>& p) { return p.get() == st; }));
}

// A data-stream piece of a staged message arrived.
void Comm::finish_stage(Staged* st) {
  std::lock_guard<std::mutex> lock(mu_);
  if (--st->pending > 0) return;
  if (st->discard) {
    free_staged_locked(st);
  } else if (st->target != nullptr) {
    deliver_staged_locked(st);
  } else {
    return;
  }
  rematch_locked();  // staging room was freed
}

}  // namespace lioncub::net
