// The communicator behind the C API's lioncubComm_t: a backend (host or NCCL), auto's link model,
// the state of the cross-rank argument check (agreement.h), and the in-use flag that turns a
// second thread's concurrent call into an error instead of corrupted data.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "collectives/backend/backend.h"
#include "collectives/link_model.h"
#include "lioncub/lioncub.h"

struct lioncubComm {
  // Shared: an optimizer created on this communicator keeps the backend alive until it is
  // destroyed itself, whichever of the two handles the application destroys first.
  std::shared_ptr<lioncub::coll::Backend> backend;
  lioncub::coll::Link link;       // auto's link model
  bool checked = false;           // the user's first collective was compared across ranks
  bool check_every_call = false;  // LIONCUB_CHECK_ARGS=1
  std::atomic<bool> busy{false};  // a call is running on this communicator
};

namespace lioncub::coll {

// The most ranks: the kernels' vote limit.
constexpr int kMaxRanks = 32767;

// The net plugin a host communicator loads: LIONCUB_NET_PLUGIN (a path, or NAME for
// libnccl-net-NAME.so), else libnccl-net-lioncub.so next to liblioncub.so, else the build
// tree's, else the name for the loader's path (comm_api.cc).
std::string net_plugin_path();

// Throws Error for a NULL, destroyed or foreign communicator.
void check_comm(lioncubComm_t comm);

// Marks a communicator busy for one call (one atomic exchange); a second thread's call on it
// meanwhile fails with lioncubInvalidUsage instead of mixing its messages into this one's.
class CommUse {
 public:
  explicit CommUse(lioncubComm& c);
  ~CommUse() { c_.busy.store(false, std::memory_order_release); }
  CommUse(const CommUse&) = delete;
  CommUse& operator=(const CommUse&) = delete;

 private:
  lioncubComm& c_;
};

}  // namespace lioncub::coll
