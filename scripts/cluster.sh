#!/usr/bin/env bash
# An emulated Ethernet cluster on one machine: N hosts, each a network namespace with one veth
# into a bridge (the switch, in a namespace of its own), each NIC shaped with tc; runs one
# command per host and removes everything on exit, interrupt or error. Addresses come from
# 198.18.0.0/15 (the benchmarking range) and exist only inside these namespaces.
#
#   scripts/cluster.sh run [options] -- COMMAND [ARGS...]   # up, COMMAND on every host, down
#   scripts/cluster.sh up [options]  |  scripts/cluster.sh down [--prefix P]
#   scripts/cluster.sh exec I COMMAND...                      # on host I of a cluster that is up
#
# Options: --hosts N (default 4), --ranks-per-host R (default 1: R processes share each host's
#   namespace and shaped NIC, as the GPUs of a node share its NIC), --rate R (line rate per NIC,
#   default 10gbit; tc units),
#   --flow-cap C (per-TCP-flow cap, htb classes hashed on the source port), --prefix P (namespace
#   prefix, default lc; lets two clusters coexist), --port N (rendezvous port, default 29500),
#   --delay D / --loss L (need netem: refused with a message on kernels without it).
#
# Each COMMAND gets: LIONCUB_RANK=h*R+l (host h, local rank l), LIONCUB_WORLD_SIZE=N*R,
# LIONCUB_LOCAL_RANK=l, LIONCUB_ROOT=<host 0>:<port>,
# LIONCUB_NET_IFNAME=<its NIC>, LIONCUB_HOST_ADDR, LIONCUB_CLUSTER_ADDRS (comma separated),
# LIONCUB_LINK_RATE (the --rate value), LIONCUB_FLOW_CAP. The exit status is the first non-zero
# status of the hosts' commands.
#
# Without root (or without `ip netns`), `run` falls back to plain loopback, without shaping, and
# says so; there each rank's host is named by LIONCUB_HOST_ID=host<h> (in namespaces, lioncub
# tells hosts apart by their network namespace).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/netshape.sh"

hosts=4 per_host=1 rate=10gbit cap="" prefix=lc port=29500 delay="" loss=""

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

parse() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --hosts) hosts=$2; shift 2 ;;
      --ranks-per-host) per_host=$2; shift 2 ;;
      --rate) rate=$2; shift 2 ;;
      --flow-cap) cap=$2; shift 2 ;;
      --prefix) prefix=$2; shift 2 ;;
      --port) port=$2; shift 2 ;;
      --delay) delay=$2; shift 2 ;;
      --loss) loss=$2; shift 2 ;;
      --) shift; cmd=("$@"); return ;;
      -h|--help) usage ;;
      *) echo "cluster.sh: unknown option $1" >&2; usage ;;
    esac
  done
}

addr_of() { echo "198.18.$(( ($1 + 1) / 256 )).$(( ($1 + 1) % 256 ))"; }
switch_ns() { echo "${prefix}sw"; }
host_ns() { echo "${prefix}h$1"; }

can_namespace() { [[ $(id -u) -eq 0 ]] && ip netns list >/dev/null 2>&1; }

down() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns == "$(switch_ns)" || $ns =~ ^${prefix}h[0-9]+$ ]] && ip netns del "$ns" 2>/dev/null || true
  done
}

up() {
  if ! [[ $hosts =~ ^[0-9]+$ ]] || (( hosts < 1 || hosts > 250 )); then
    echo "cluster.sh: --hosts must be 1..250" >&2; exit 2
  fi
  if ! [[ $per_host =~ ^[0-9]+$ ]] || (( per_host < 1 || per_host > 64 )); then
    echo "cluster.sh: --ranks-per-host must be 1..64" >&2; exit 2
  fi
  if [[ -n $delay || -n $loss ]] && ! lioncub_have_netem; then
    echo "cluster.sh: --delay/--loss need the netem qdisc, which this kernel does not have;" \
         "refusing rather than running an undelayed, lossless cluster. lioncub injects faults in" \
         "its transport instead (see docs/reliability.md)." >&2
    exit 2
  fi
  down  # leftovers of a crashed run
  local sw i ns dev
  sw=$(switch_ns)
  ip netns add "$sw"
  ip -n "$sw" link add br0 type bridge
  ip -n "$sw" link set br0 up
  for (( i = 0; i < hosts; i++ )); do
    ns=$(host_ns "$i") dev="eth$i"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "$dev" netns "$ns" type veth peer name "p$i" netns "$sw"
    ip -n "$sw" link set "p$i" master br0
    ip -n "$sw" link set "p$i" up
    ip -n "$ns" addr add "$(addr_of "$i")/15" dev "$dev"
    ip -n "$ns" link set "$dev" up
    lioncub_shape "$ns" "$dev" "$rate" "$cap"
    if [[ -n $delay || -n $loss ]]; then
      ip netns exec "$ns" tc qdisc del dev "$dev" root
      ip netns exec "$ns" tc qdisc add dev "$dev" root netem ${delay:+delay $delay} ${loss:+loss $loss} rate "$rate"
    fi
  done
  echo "cluster: $hosts hosts $(addr_of 0)..$(addr_of $((hosts - 1))), $per_host rank(s) each, NIC rate $rate${cap:+, per-flow cap $cap}" >&2
}

host_env() {  # host_env I L: the environment of local rank L's command on host I
  local i=$1 l=$2 addrs="" j
  for (( j = 0; j < hosts; j++ )); do addrs+="${addrs:+,}$(addr_of "$j")"; done
  echo "LIONCUB_RANK=$(( i * per_host + l )) LIONCUB_WORLD_SIZE=$(( hosts * per_host ))" \
       "LIONCUB_LOCAL_RANK=$l LIONCUB_ROOT=$(addr_of 0):$port" \
       "LIONCUB_NET_IFNAME=eth$i LIONCUB_HOST_ADDR=$(addr_of "$i") LIONCUB_CLUSTER_ADDRS=$addrs" \
       "LIONCUB_LINK_RATE=$rate LIONCUB_FLOW_CAP=$cap"
}

run_all() {  # runs cmd per rank on every host (namespaces, or loopback processes), waits for all
  local i l pids=() status=0 rc
  for (( i = 0; i < hosts; i++ )); do
    for (( l = 0; l < per_host; l++ )); do
      if (( use_ns )); then
        # shellcheck disable=SC2046
        ip netns exec "$(host_ns "$i")" env $(host_env "$i" "$l") "${cmd[@]}" &
      else
        env LIONCUB_RANK="$(( i * per_host + l ))" LIONCUB_WORLD_SIZE="$(( hosts * per_host ))" \
          LIONCUB_LOCAL_RANK="$l" LIONCUB_HOST_ID="host$i" LIONCUB_ROOT="127.0.0.1:$port" \
          LIONCUB_NET_IFNAME=lo LIONCUB_HOST_ADDR=127.0.0.1 LIONCUB_LINK_RATE="" LIONCUB_FLOW_CAP="" \
          "${cmd[@]}" &
      fi
      pids+=($!)
    done
  done
  for i in "${!pids[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    if (( rc != 0 )); then
      echo "cluster: rank $i exited with status $rc" >&2
      (( status == 0 )) && status=$rc
    fi
  done
  return $status
}

sub=${1:-}
[[ -z $sub ]] && usage
shift
cmd=()
case $sub in
  up)
    parse "$@"
    can_namespace || { echo "cluster.sh: needs root and ip netns" >&2; exit 1; }
    up ;;
  down)
    parse "$@"
    can_namespace && down ;;
  exec)
    i=$1; shift
    ip netns exec "$(host_ns "$i")" "$@" ;;
  run)
    parse "$@"
    [[ ${#cmd[@]} -eq 0 ]] && { echo "cluster.sh run: give a command after --" >&2; exit 2; }
    use_ns=0
    if can_namespace; then
      use_ns=1
      trap 'down' EXIT
      trap 'down; exit 130' INT TERM
      up
    else
      echo "cluster.sh: no permission for network namespaces; running $hosts processes on plain" \
           "loopback, without shaping" >&2
    fi
    run_all ;;
  *) usage ;;
esac
