#!/usr/bin/env bash
# lioncub-perf --np N --cluster-rate R: the ranks run on emulated hosts (scripts/cluster.sh),
# every result checked, and the link rate reaches the table. Skips (77) without root.
set -uo pipefail
perf=$1
[[ $(id -u) -eq 0 ]] && ip netns list >/dev/null 2>&1 || { echo "SKIP: needs root and ip netns"; exit 77; }
out=$("$perf" --np 3 --cluster-rate 1gbit --flow-cap 500mbit -b 256K -e 256K -n 2 -w 1 -c 1 \
      -A alltoall-vote,full 2>&1) || { echo "FAIL: lioncub-perf exited non-zero"; echo "$out"; exit 1; }
echo "$out"
grep -q "# link rate 1gbit" <<<"$out" || { echo "FAIL: the cluster's rate is not the link rate"; exit 1; }
rows=$(grep -cE '^ +262144 ' <<<"$out")
[[ $rows -eq 2 ]] || { echo "FAIL: want 2 result rows, got $rows"; exit 1; }
# #wrong: the 9th (out of place) and 13th (in place) fields of a result row.
awk '$1 == 262144 && ($9 != 0 || $13 != 0) { bad = 1 } END { exit bad }' <<<"$out" || { echo "FAIL: wrong results"; exit 1; }
ip netns list | grep -q '^lcperf' && { echo "FAIL: namespaces left behind"; exit 1; }
echo PASS
