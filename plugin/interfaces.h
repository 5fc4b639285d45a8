// The devices the plugin offers: network interfaces that are up and have an address.
// Selection (settings().ifname, NCCL's syntax): "eth,ib" = names starting with eth or ib,
// "^docker" = all but those, "=eth0" = exactly eth0. Without a filter: the first non-loopback
// interface that is up (docker/virbr bridges skipped), else loopback.
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

namespace lioncub::net {

struct Device {
  std::string name;
  std::string pci_path;       // /sys/class/net/<if>/device resolved, or empty
  sockaddr_storage addr{};    // the address we listen on (IPv4 preferred)
  int speed_mbps = 0;         // from /sys/class/net/<if>/speed, 10000 when unknown
};

// Pure: does interface `name` pass `filter`? An empty filter passes everything.
bool ifname_matches(std::string_view filter, std::string_view name);

// Scans the system (getifaddrs) and applies the rule above.
std::vector<Device> detect_devices(const std::string& filter, int speed_override_mbps);

}  // namespace lioncub::net
