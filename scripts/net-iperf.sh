#!/usr/bin/env bash
# iperf3 on an emulated link (scripts/netns-pair.sh), then, in the same run and on the same
# link, lioncub-net-perf with the iperf3 result as the reference rate, so its "ratio" column is
# lioncub / iperf3 (docs/perf.md, "Transport").
#
#   scripts/net-iperf.sh [--rate 10gbit] [--flow-cap 2500mbit] [--streams 1] [--seconds 10]
#                        [--perf build/bench/net/lioncub-net-perf] [--perf-args "--sizes 64M"]
# Needs root; installs iperf3 (Debian package) when missing. Always removes the namespaces.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
rate=10gbit cap="" streams=1 seconds=10 perf="" perf_args="--sizes 64M --bytes 4G"
while [[ $# -gt 0 ]]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --flow-cap) cap=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --perf) perf=$2; shift 2 ;;
    --perf-args) perf_args=$2; shift 2 ;;
    *) echo "net-iperf.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "net-iperf.sh: needs root for network namespaces; nothing measured" >&2
  exit 1
fi
command -v iperf3 >/dev/null || apt-get install -y iperf3 >/dev/null

export NS_A=${NS_A:-lcA} NS_B=${NS_B:-lcB}
handle=$(mktemp -u /tmp/lioncub-handle.XXXXXX)
cleanup() {
  ip netns pids "$NS_A" 2>/dev/null | xargs -r kill 2>/dev/null || true
  rm -f "$handle" "$handle.tmp"
  "$here/netns-pair.sh" down
}
trap cleanup EXIT

"$here/netns-pair.sh" up --rate "$rate" ${cap:+--flow-cap "$cap"}
ip netns exec "$NS_A" iperf3 -s -1 -B 198.18.0.1 >/dev/null &
sleep 0.5
gbps=$(ip netns exec "$NS_B" iperf3 -c 198.18.0.1 -P "$streams" -t "$seconds" -J |
  python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
echo "iperf3: $streams stream(s), $seconds s, rate $rate${cap:+, per-flow cap $cap}: $gbps Gbit/s"
wait || true

if [[ -n $perf ]]; then
  ip netns exec "$NS_A" env LIONCUB_NET_IFNAME="=$NS_A-v" \
    "$perf" --role recv --handle-file "$handle" --link-gbps "$gbps" $perf_args &
  recv_pid=$!
  ip netns exec "$NS_B" env LIONCUB_NET_IFNAME="=$NS_B-v" \
    "$perf" --role send --handle-file "$handle" $perf_args
  wait "$recv_pid"
  echo "(ratio = lioncub-net-perf Gbit/s / iperf3 $gbps Gbit/s on the same link)"
fi
