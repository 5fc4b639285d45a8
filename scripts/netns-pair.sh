#!/usr/bin/env bash
# Two emulated hosts on this machine (see DESIGN.md, "Ethernet emulation"): network namespaces
# $NS_A and $NS_B joined by a veth pair, addresses 198.18.0.1 (A) and 198.18.0.2 (B) from the
# benchmarking range, each side's egress shaped to a line rate with tbf, or with htb and a
# per-flow cap (16 classes, ceil = cap, chosen by a u32 hash of the TCP source port's low 4
# bits: like a cloud NIC that limits each flow).
#
#   scripts/netns-pair.sh up [--rate 10gbit] [--flow-cap 2500mbit]
#   scripts/netns-pair.sh down
#   NS_A=lcA NS_B=lcB (defaults); needs root.
set -euo pipefail

NS_A=${NS_A:-lcA}
NS_B=${NS_B:-lcB}
IF_A=${NS_A}-v
IF_B=${NS_B}-v

down() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}

shape() {  # shape NS IF RATE CAP
  local ns=$1 dev=$2 rate=$3 cap=$4
  if [[ -z $cap ]]; then
    ip netns exec "$ns" tc qdisc add dev "$dev" root tbf rate "$rate" burst 1mb latency 20ms
    return
  fi
  ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 1f
  ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:1 htb rate "$rate" ceil "$rate" burst 1mb cburst 1mb quantum 60000
  for i in $(seq 0 15); do
    ip netns exec "$ns" tc class add dev "$dev" parent 1:1 classid "1:$(printf %x $((0x20 + i)))" \
      htb rate 100mbit ceil "$cap" burst 256kb cburst 256kb quantum 60000
  done
  # Non-TCP traffic (and anything unmatched) gets a class of its own.
  ip netns exec "$ns" tc class add dev "$dev" parent 1:1 classid 1:1f htb rate 100mbit ceil "$rate" quantum 60000
  ip netns exec "$ns" tc filter add dev "$dev" parent 1: prio 1 handle 2: protocol ip u32 divisor 16
  # Word at IP offset 20 = TCP source port << 16 | destination port (no IP options).
  ip netns exec "$ns" tc filter add dev "$dev" parent 1: prio 1 protocol ip u32 ht 800:: \
    match ip protocol 6 0xff hashkey mask 0x000f0000 at 20 link 2:
  for i in $(seq 0 15); do
    ip netns exec "$ns" tc filter add dev "$dev" parent 1: prio 1 protocol ip u32 \
      ht "2:$(printf %x "$i"):" match ip protocol 6 0xff flowid "1:$(printf %x $((0x20 + i)))"
  done
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
  shape "$NS_A" "$IF_A" "$rate" "$cap"
  shape "$NS_B" "$IF_B" "$rate" "$cap"
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
