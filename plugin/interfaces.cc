#include "interfaces.h"

#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "log.h"

namespace lioncub::net {

bool ifname_matches(std::string_view filter, std::string_view name) {
  if (filter.empty()) return true;
  bool exclude = false;
  bool exact = false;
  if (filter.front() == '^') {
    exclude = true;
    filter.remove_prefix(1);
  }
  if (!filter.empty() && filter.front() == '=') {
    exact = true;
    filter.remove_prefix(1);
  }
  bool hit = false;
  while (!hit) {
    const size_t comma = filter.find(',');
    std::string_view item = filter.substr(0, comma);
    if (!item.empty()) {
      hit = exact ? name == item : name.substr(0, item.size()) == item;
    }
    if (comma == std::string_view::npos) break;
    filter.remove_prefix(comma + 1);
  }
  return exclude ? !hit : hit;
}

namespace {

int read_speed(const std::string& name) {
  std::ifstream in("/sys/class/net/" + name + "/speed");
  int speed = 0;
  if (in >> speed && speed > 0) return speed;
  return 10000;  // unknown (loopback, some virtual links): NCCL's socket transport says 10 Gbit/s
}

std::string pci_path(const std::string& name) {
  char buf[PATH_MAX];
  std::string link = "/sys/class/net/" + name + "/device";
  if (::realpath(link.c_str(), buf) == nullptr) return {};
  return buf;
}

}  // namespace

std::vector<Device> detect_devices(const std::string& filter, int speed_override_mbps) {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) return {};
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> list(raw, &::freeifaddrs);
  std::vector<Device> found;
  // Two passes: IPv4 addresses first, so an interface with both is listed with IPv4.
  for (int family : {AF_INET, AF_INET6}) {
    for (ifaddrs* ifa = list.get(); ifa != nullptr; ifa = ifa->ifa_next) {
      if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != family) continue;
      if ((ifa->ifa_flags & IFF_UP) == 0) continue;
      if (family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr);
        if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) continue;
      }
      std::string name = ifa->ifa_name;
      bool seen = false;
      for (const Device& d : found) seen = seen || d.name == name;
      if (seen) continue;
      Device d;
      d.name = name;
      std::memcpy(&d.addr, ifa->ifa_addr,
                  family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
      d.speed_mbps = speed_override_mbps > 0 ? speed_override_mbps : read_speed(name);
      d.pci_path = pci_path(name);
      found.push_back(d);
    }
  }
  std::vector<Device> out;
  if (!filter.empty()) {
    for (const Device& d : found) {
      if (ifname_matches(filter, d.name)) out.push_back(d);
    }
  } else {
    for (const Device& d : found) {
      const bool loopback = d.name == "lo";
      const bool bridge = ifname_matches("docker,virbr", d.name);
      if (!loopback && !bridge) {
        out.push_back(d);
        break;
      }
    }
    if (out.empty()) {
      for (const Device& d : found) {
        if (d.name == "lo") out.push_back(d);
      }
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    LIONCUB_NET_INFO(abi::NCCL_INIT | abi::NCCL_NET, "device %zu: %s (%d Mbit/s)", i, out[i].name.c_str(), out[i].speed_mbps);
  }
  if (out.empty()) LIONCUB_NET_WARN("no usable network interface (filter \"%s\")", filter.c_str());
  return out;
}

}  // namespace lioncub::net
