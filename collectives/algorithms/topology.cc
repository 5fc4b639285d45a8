#include "collectives/algorithms/topology.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <map>

#include "common/hash.h"

namespace lioncub::coll {

uint64_t local_host_key() {
  const char* id = std::getenv("LIONCUB_HOST_ID");
  std::string key;
  if (id != nullptr && *id != '\0') {
    key = std::string("id:") + id;
  } else {
    char host[HOST_NAME_MAX + 1] = {};
    ::gethostname(host, sizeof host - 1);
    char ns[128] = {};
    const ssize_t n = ::readlink("/proc/self/ns/net", ns, sizeof ns - 1);
    key = std::string("host:") + host + "/" + (n > 0 ? std::string(ns, static_cast<size_t>(n)) : "");
  }
  return fnv1a64(kFnvOffset, key.data(), key.size());
}

HostLayout layout_from_keys(const std::vector<uint64_t>& keys) {
  HostLayout L;
  const int P = static_cast<int>(keys.size());
  L.host_of.assign(P, 0);
  L.local_of.assign(P, 0);
  std::map<uint64_t, int> index;  // key -> host, in order of each host's lowest rank
  for (int r = 0; r < P; ++r) {
    auto it = index.find(keys[r]);
    if (it == index.end()) {
      it = index.emplace(keys[r], static_cast<int>(L.ranks.size())).first;
      L.ranks.emplace_back();
    }
    L.host_of[r] = it->second;
    L.local_of[r] = static_cast<int>(L.ranks[it->second].size());
    L.ranks[it->second].push_back(r);
  }
  L.hosts = static_cast<int>(L.ranks.size());
  L.per_host = L.hosts > 0 ? static_cast<int>(L.ranks[0].size()) : 0;
  for (const auto& h : L.ranks) {
    if (static_cast<int>(h.size()) != L.per_host) L.per_host = 0;
  }
  return L;
}

const HostLayout& host_layout(Backend& comm) {
  if (!comm.host_layout_cache) {
    std::vector<uint64_t> keys(static_cast<size_t>(comm.size()));
    keys[comm.rank()] = local_host_key();
    comm.allgather_control(keys.data(), sizeof(uint64_t));
    comm.host_layout_cache = std::make_shared<HostLayout>(layout_from_keys(keys));
  }
  return *comm.host_layout_cache;
}

}  // namespace lioncub::coll
