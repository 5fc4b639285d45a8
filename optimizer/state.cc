// The optimizer state other than momentum (step count, tie toggle, schedule position, lr) as
// bytes, and the statistics read-back (state.h's functions are declared in lion.h's users).
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "optimizer/lion.h"
#include "optimizer/state.h"

namespace lioncub::lion {
namespace {

constexpr char kMagic[8] = {'L', 'C', 'U', 'B', 'L', 'I', 'O', 'N'};
struct SavedState {
  char magic[8];
  uint32_t version, reserved;
  uint64_t numel, config_hash, step, tie_step, sched_j, sched_next;
  float lr;
  uint32_t pad;
};

}  // namespace

size_t state_size() { return sizeof(SavedState); }

void save_state(const lioncubLion& o, void* buf, size_t bytes) {
  if (bytes < sizeof(SavedState)) {
    raise(lioncubInvalidArgument, std::to_string(bytes) + " bytes is less than the " +
                                      std::to_string(sizeof(SavedState)) + " needed");
  }
  SavedState s{};
  std::memcpy(s.magic, kMagic, sizeof kMagic);
  s.version = 1;
  s.numel = o.s.total;
  s.config_hash = o.s.config_hash;
  s.step = o.step;
  s.tie_step = o.tie_step;
  s.sched_j = o.pos.j;
  s.sched_next = o.pos.next;
  s.lr = o.s.cfg.lr;
  std::memcpy(buf, &s, sizeof s);
}

void load_state(lioncubLion& o, const void* buf, size_t bytes) {
  SavedState s{};
  if (bytes != sizeof s) {
    raise(lioncubInvalidArgument,
          std::to_string(bytes) + " bytes, a state has " + std::to_string(sizeof s));
  }
  std::memcpy(&s, buf, sizeof s);
  if (std::memcmp(s.magic, kMagic, sizeof kMagic) != 0 || s.version != 1) {
    raise(lioncubInvalidArgument, "not a lioncub optimizer state (or another version)");
  }
  if (s.numel != o.s.total || s.config_hash != o.s.config_hash) {
    raise(lioncubInvalidArgument, "the state belongs to an optimizer of another size or configuration");
  }
  if (!std::isfinite(s.lr) || s.lr < 0.0f) raise(lioncubInvalidArgument, "corrupt lr");
  o.step = s.step;
  o.tie_step = s.tie_step;
  o.pos.j = s.sched_j;
  o.pos.next = s.sched_next;
  o.s.cfg.lr = s.lr;
}

lioncubLionStats_t read_stats(lioncubLion& o) {
  lioncubLionStats_t st = o.stats;
  if (o.s.mem == lioncubMemDevice && o.step > 0) {
    // The step ran asynchronously on its stream (maybe a non-blocking one): wait for the event
    // recorded at its end, then read the flag (summed over ranks as an int when P > 1).
    DeviceScope scope(*o.be);
    o.be->event_sync(o.step_done.get());
    int v = 0;
    o.be->read(&v, o.s.nranks > 1 ? o.flag_sum.as<int>() : o.flag.as<int>(), sizeof v);
    st.nonFinite = v != 0;
  }
  return st;
}

}  // namespace lioncub::lion
