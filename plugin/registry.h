// Opaque tokens for every object handed to NCCL (contexts, listen/send/recv comms, requests,
// memory registrations, pending connects). A token encodes a kind tag, a slot index and a
// generation, so a stale, foreign or garbage pointer is recognised and rejected instead of
// being dereferenced ("use after close" returns an error). Lookups are lock-free; slots are
// never freed, only recycled with a new generation.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace lioncub::net {

enum class TokenKind : uint8_t {
  kContext = 1, kListen = 2, kSend = 3, kRecv = 4, kRequest = 5, kMemory = 6, kConnect = 7,
};

template <typename T>
class Registry {
 public:
  explicit Registry(TokenKind kind) : kind_(kind) {}

  // Registers `obj` (not owned) and returns its token, never null.
  void* add(T* obj) {
    std::lock_guard<std::mutex> lock(mu_);
    uint32_t idx;
    if (!free_.empty()) {
      idx = free_.back();
      free_.pop_back();
    } else {
      idx = count_.load(std::memory_order_relaxed);
      if (idx >= kChunk * kMaxChunks) return nullptr;
      if (idx % kChunk == 0) chunks_[idx / kChunk].store(new Slot[kChunk], std::memory_order_release);
      count_.store(idx + 1, std::memory_order_release);
    }
    Slot& s = slot(idx);
    s.obj.store(obj, std::memory_order_release);
    return encode(idx, s.gen.load(std::memory_order_relaxed));
  }

  // The object behind `token`, or nullptr when the token is unknown, stale or of another kind.
  T* find(const void* token) const {
    uint32_t idx, gen;
    if (!decode(token, &idx, &gen)) return nullptr;
    const Slot& s = slot(idx);
    if (s.gen.load(std::memory_order_acquire) != gen) return nullptr;
    return s.obj.load(std::memory_order_acquire);
  }

  // Invalidates `token`; returns its object (nullptr when already invalid).
  T* remove(const void* token) {
    std::lock_guard<std::mutex> lock(mu_);
    uint32_t idx, gen;
    if (!decode(token, &idx, &gen)) return nullptr;
    Slot& s = slot(idx);
    if (s.gen.load(std::memory_order_relaxed) != gen) return nullptr;
    T* obj = s.obj.exchange(nullptr, std::memory_order_acq_rel);
    uint32_t next = (gen + 1) & kGenMask;
    s.gen.store(next == 0 ? 1 : next, std::memory_order_release);
    free_.push_back(idx);
    return obj;
  }

 private:
  static constexpr uint32_t kChunk = 1024;
  static constexpr uint32_t kMaxChunks = 4096;
  static constexpr uint32_t kGenMask = 0xffffff;
  struct Slot {
    std::atomic<uint32_t> gen{1};
    std::atomic<T*> obj{nullptr};
  };

  Slot& slot(uint32_t idx) const {
    return chunks_[idx / kChunk].load(std::memory_order_acquire)[idx % kChunk];
  }
  void* encode(uint32_t idx, uint32_t gen) const {
    uint64_t v = (uint64_t{static_cast<uint8_t>(kind_)} << 56) | (uint64_t{gen} << 32) | (idx + 1);
    return reinterpret_cast<void*>(static_cast<uintptr_t>(v));
  }
  bool decode(const void* token, uint32_t* idx, uint32_t* gen) const {
    const uint64_t v = reinterpret_cast<uintptr_t>(token);
    if ((v >> 56) != static_cast<uint8_t>(kind_)) return false;
    const uint32_t low = static_cast<uint32_t>(v);
    if (low == 0 || low > count_.load(std::memory_order_acquire)) return false;
    *idx = low - 1;
    *gen = static_cast<uint32_t>(v >> 32) & kGenMask;
    return true;
  }

  const TokenKind kind_;
  mutable std::atomic<Slot*> chunks_[kMaxChunks] = {};
  std::atomic<uint32_t> count_{0};
  std::mutex mu_;
  std::vector<uint32_t> free_;
};

}  // namespace lioncub::net
