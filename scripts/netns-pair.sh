#!/usr/bin/env bash
# Two emulated hosts on this machine (see scripts/cluster.sh): network namespaces
# $NS_A and $NS_B joined by a veth pair, addresses 198.18.0.1 (A) and 198.18.0.2 (B) from the
# benchmarking range, each side's egress shaped to a line rate with tbf, or with htb and a
# per-flow cap (16 classes, ceil = cap, chosen by a u32 hash of the TCP source port's low 4
# bits: like a cloud NIC that limits each flow).
#
#   scripts/netns-pair.sh up [--rate 10gbit] [--flow-cap 2500mbit]
#   scripts/netns-pair.sh down
#   NS_A=lcA NS_B=lcB (defaults); needs root.
set -euo pipefail
source "$(dirname "$0")/lib/netshape.sh"

NS_A=${NS_A:-lcA}
NS_B=${NS_B:-lcB}
IF_A=${NS_A}-v
IF_B=${NS_B}-v

down() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}

up() {
  local rate=10gbit cap=""
  while [[ $# -gt 0 ]]; do
    case $1 in
      --rate) rate=$2; shift 2 ;;
      --flow-cap) cap=$2; shift 2 ;;
      *) echo "netns-pair.sh: unknown option $1" >&2; exit 2 ;;
    esac
  done
  down
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B"
  ip -n "$NS_A" addr add 198.18.0.1/30 dev "$IF_A"
  ip -n "$NS_B" addr add 198.18.0.2/30 dev "$IF_B"
  for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
  ip -n "$NS_A" link set "$IF_A" up
  ip -n "$NS_B" link set "$IF_B" up
  lioncub_shape "$NS_A" "$IF_A" "$rate" "$cap"
  lioncub_shape "$NS_B" "$IF_B" "$rate" "$cap"
  echo "netns-pair: $NS_A($IF_A 198.18.0.1) <-> $NS_B($IF_B 198.18.0.2), rate $rate${cap:+, per-flow cap $cap}"
}

if [[ $(id -u) -ne 0 ]]; then
  echo "netns-pair.sh: needs root (network namespaces and tc)" >&2
  exit 1
fi
case ${1:-} in
  up) shift; up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up [--rate R] [--flow-cap C] | down" >&2; exit 2 ;;
esac
