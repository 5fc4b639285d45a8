// Saved state and statistics read-back of an optimizer (state.cc). Failures throw Error.
#pragma once

#include <cstddef>

#include "lioncub/lioncub.h"

namespace lioncub::lion {

size_t state_size();
void save_state(const lioncubLion& o, void* buf, size_t bytes);
void load_state(lioncubLion& o, const void* buf, size_t bytes);
// The last step's statistics; on a device communicator waits for that step's end.
lioncubLionStats_t read_stats(lioncubLion& o);

}  // namespace lioncub::lion
