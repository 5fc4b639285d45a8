// Which ranks share a host (and so a NIC): learned once per communicator from every rank's host
// key, allgathered through Backend::allgather_control. The key is the launcher's host id
// (LIONCUB_HOST_ID, e.g. set from torchrun's GROUP_RANK or a scheduler's node id) when given,
// else the hostname and the network namespace (ranks in one namespace share its NIC; the
// emulated cluster puts each host in its own namespace).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collectives/backend/backend.h"

namespace lioncub::coll {

struct HostLayout {
  int hosts = 1;                        // H
  int per_host = 1;                     // R when uniform, else 0
  std::vector<int> host_of;             // [rank] -> host index, hosts ordered by lowest rank
  std::vector<int> local_of;            // [rank] -> index among its host's ranks
  std::vector<std::vector<int>> ranks;  // [host] -> its ranks, ascending
};

// This process's host key (a hash of LIONCUB_HOST_ID, or of hostname + network namespace).
uint64_t local_host_key();
// The layout of P ranks from their keys (pure: tested on its own).
HostLayout layout_from_keys(const std::vector<uint64_t>& keys);
// The communicator's layout; collective on first use (every rank must call it then).
const HostLayout& host_layout(Backend& comm);

}  // namespace lioncub::coll
