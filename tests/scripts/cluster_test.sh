#!/usr/bin/env bash
# Tests scripts/cluster.sh: hosts reach each other, NIC shaping is in effect (a rate can only
# come out lower than the configured one on a loaded machine, so only the upper bound is checked),
# per-flow caps hold, and nothing is left behind, also after a crashed run. Skips (77) without
# root or python3.
set -uo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) -eq 0 ]] && ip netns list >/dev/null 2>&1 || { echo "SKIP: needs root and ip netns"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: needs python3"; exit 77; }
prefix=lct$$
fail() { echo "FAIL: $*"; scripts/cluster.sh down --prefix "$prefix"; exit 1; }

# Rate in Mbit/s of every sending host must stay under 1.15 x the limit.
check_rates() {  # check_rates LIMIT_MBIT OUTPUT
  local limit=$1 out=$2 n=0 r
  while read -r r; do
    n=$((n + 1))
    awk -v r="$r" -v l="$limit" 'BEGIN { exit !(r <= 1.15 * l) }' || fail "a host sent at $r Mbit/s over a $limit Mbit/s limit"
  done < <(grep -o '[0-9.]* Mbit/s' <<<"$out" | awk '{print $1}')
  [[ $n -gt 0 ]] || fail "no host reported a rate: $out"
}

# A leftover of a crashed run is removed first.
ip netns add "${prefix}h9"
out=$(scripts/cluster.sh run --prefix "$prefix" --hosts 3 --rate 200mbit -- python3 tests/scripts/cluster_probe.py --mib 8 2>&1) \
  || fail "line-rate run: $out"
echo "$out"
check_rates 200 "$out"
ip netns list | grep -q "^${prefix}" && fail "namespaces left behind: $(ip netns list)"

out=$(scripts/cluster.sh run --prefix "$prefix" --hosts 2 --rate 1gbit --flow-cap 100mbit -- python3 tests/scripts/cluster_probe.py --mib 4 2>&1) \
  || fail "flow-cap run: $out"
echo "$out"
check_rates 100 "$out"

# Several ranks per host: ranks h*R+l share host h's namespace (and NIC), world size H*R.
out=$(scripts/cluster.sh run --prefix "$prefix" --hosts 2 --ranks-per-host 3 -- \
  sh -c 'echo "rank $LIONCUB_RANK of $LIONCUB_WORLD_SIZE local $LIONCUB_LOCAL_RANK ns $(readlink /proc/self/ns/net)"' 2>&1) \
  || fail "ranks-per-host run: $out"
echo "$out"
[[ $(grep -c "of 6 local" <<<"$out") -eq 6 ]] || fail "want 6 ranks of 6: $out"
for r in 0 1 2 3 4 5; do grep -q "^rank $r of 6 local $((r % 3)) " <<<"$out" || fail "rank $r missing or wrong local rank: $out"; done
ns_of() { grep "^rank $1 of" <<<"$out" | awk '{print $NF}'; }
[[ $(ns_of 0) == "$(ns_of 2)" && $(ns_of 3) == "$(ns_of 5)" && $(ns_of 0) != "$(ns_of 3)" ]] \
  || fail "ranks of a host must share its namespace, hosts must differ: $out"

# Interrupted mid-run: the trap removes everything.
scripts/cluster.sh run --prefix "$prefix" --hosts 2 -- sleep 30 &
pid=$!
sleep 2
kill -INT "$pid"
wait "$pid" 2>/dev/null
ip netns list | grep -q "^${prefix}" && fail "namespaces left behind after SIGINT: $(ip netns list)"

# Delay and loss cannot be emulated here: refused, not pretended.
if ! scripts/cluster.sh run --prefix "$prefix" --hosts 2 --delay 5ms -- true 2>/dev/null; then
  echo "delay refused (no netem), as documented"
fi
echo PASS
