// The live handles of the C API (communicators, optimizers). A handle that was destroyed, or that
// never came from lioncub, is an error with a message instead of a use of freed memory. A freed
// address that a later create reuses is indistinguishable from that new handle: the registry
// catches stale and foreign pointers, not every possible misuse.
#pragma once

#include <mutex>
#include <unordered_set>

namespace lioncub::coll {

class HandleRegistry {
 public:
  void add(const void* h) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.insert(h);
  }
  // False when h was not live (destroyed twice, or never created).
  bool remove(const void* h) {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.erase(h) != 0;
  }
  bool live(const void* h) const {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.count(h) != 0;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<const void*> live_;
};

// One registry per handle type; never destroyed, so handles may outlive static destruction.
inline HandleRegistry& comm_handles() {
  static auto* r = new HandleRegistry;
  return *r;
}
inline HandleRegistry& lion_handles() {
  static auto* r = new HandleRegistry;
  return *r;
}

}  // namespace lioncub::coll
