// The rendezvous store: a key-value table through which ranks exchange their listen handles.
// Store is the interface (Gloo's rendezvous/Store); the TCP store (tcp_store.h, served by
// store_server.h on rank 0) is the real one, MemoryStore an in-process one for tests.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::rendezvous {

using StoreId = std::array<uint8_t, 16>;

class Store {
 public:
  virtual ~Store() = default;
  // Sets `key` once. A second set of a key fails on the second writer (lioncubInvalidUsage) and
  // aborts the rendezvous, so that the first writer fails too instead of pairing with strangers.
  virtual void set(const std::string& key, const std::vector<uint8_t>& value,
                   double deadline_s) = 0;
  // Waits until `key` exists and returns bytes [offset, offset + length) of its value (length 0:
  // to the end). Error(lioncubTimeout) naming `who` after deadline_s; an aborted rendezvous
  // fails with rank 0's reason.
  virtual std::vector<uint8_t> get(const std::string& key, uint32_t offset, uint32_t length,
                                   double deadline_s, const std::string& who) = 0;
  // This rank has fetched all it needs: the TCP store shuts down once every rank said so.
  virtual void done(double deadline_s) { (void)deadline_s; }
  // Fresh per store instance: values can be bound to it so that a value copied from an older
  // rendezvous does not open in this one.
  virtual const StoreId& id() const = 0;
};

// In one process, for tests: the same semantics (set once, get waits, abort).
class MemoryStore final : public Store {
 public:
  MemoryStore();
  void set(const std::string& key, const std::vector<uint8_t>& value, double deadline_s) override;
  std::vector<uint8_t> get(const std::string& key, uint32_t offset, uint32_t length,
                           double deadline_s, const std::string& who) override;
  const StoreId& id() const override { return id_; }
  void abort(lioncubResult_t code, const std::string& why);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<uint8_t>> data_;
  lioncubResult_t abort_code_ = lioncubSuccess;
  std::string abort_why_;
  StoreId id_{};
};

// Bytes [offset, offset + length) of v (length 0: to the end); false when outside v.
bool slice(const std::vector<uint8_t>& v, uint32_t offset, uint32_t length,
           std::vector<uint8_t>* out);

}  // namespace lioncub::rendezvous
