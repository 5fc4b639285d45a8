// Grid size of the grid-stride kernels, as a pure function of the occupancy numbers so that it is
// tested on the host (tests/kernels/gpu_host_test.cc); launch.h feeds it from
// cudaOccupancyMaxActiveBlocksPerMultiprocessor.
#pragma once

#include <cstddef>

namespace lioncub::cuda {

// One wave of resident blocks: every multiprocessor holds as many blocks as its registers and
// shared memory allow (blocks_per_sm, from the occupancy calculator), and the grid-stride loops
// cover the rest, so no block waits for a slot and no launch is smaller than the work needs.
// blocks_per_sm <= 0 (the query failed) falls back to 2; sms <= 0 to 132 (an H100/H200).
inline unsigned grid_size(size_t work_items, size_t items_per_block, int sms, int blocks_per_sm) {
  if (items_per_block == 0) items_per_block = 1;
  const size_t wanted = work_items / items_per_block + (work_items % items_per_block != 0);
  const size_t resident = size_t(sms > 0 ? sms : 132) * size_t(blocks_per_sm > 0 ? blocks_per_sm : 2);
  size_t g = wanted < resident ? wanted : resident;
  if (g < 1) g = 1;
  if (g > 0x7fffffffu) g = 0x7fffffffu;  // gridDim.x limit
  return unsigned(g);
}

}  // namespace lioncub::cuda
