#!/usr/bin/env bash
# lioncub-perf end to end: a checked run passes, its table parses back to the --json rows, the
# printed busbw/algbw follow from size and time, and -c catches a planted wrong element.
#   perf_test.sh PATH/TO/lioncub-perf
set -euo pipefail
perf=$1
here=$(cd "$(dirname "$0")" && pwd)
plot=$here/../../scripts/plot_perf.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIONCUB_NET_STREAMS=2 LIONCUB_NET_THREADS=1

"$perf" --np 2 -b 1K -e 16K -f 4 -n 2 -w 1 -c 1 --link-rate 1gbit --json "$tmp/out.json" >"$tmp/out.txt"
grep -q "Out of bounds values : 0 OK" "$tmp/out.txt"
python3 "$plot" --dump "$tmp/out.txt" >"$tmp/table.json"
python3 - "$tmp/table.json" "$tmp/out.json" <<'PY'
import json, sys
table = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
rows = doc["rows"]
assert doc["nranks"] == 2 and doc["link_bytes_per_s"] == 125e6, doc
algos = ["full", "mean", "allgather-vote", "alltoall-vote", "quant2-rs", "packed-sum"]
step_rows = [r for r in rows if r["algorithm"].startswith("lion-step/")]  # builds with the step
assert len(step_rows) in (0, 3), step_rows
assert [r["algorithm"] for r in rows if r not in step_rows] == [a for a in algos for _ in range(3)]
assert len(table) == len(rows)
for t, r in zip(table, rows):
    for k in ("size", "count", "type", "redop", "root", "wrong", "algorithm", "wire_bytes"):
        assert t[k] == r[k], (k, t, r)
    assert t["count"] * 4 == t["size"] and t["wrong"] == 0
    assert abs(t["time_us"] - r["time_us"]) <= 0.05 + 1e-9, (t, r)
    # busbw = algbw * 2(P-1)/P = algbw at P = 2; algbw = size / time (GB/s, 3 decimals printed)
    algbw = r["size"] / (r["time_us"] * 1e-6) / 1e9
    assert abs(r["algbw"] - algbw) <= 1e-9 * max(1, algbw), r
    assert abs(r["busbw"] - algbw * 1.0) <= 1e-9 * max(1, algbw), r
    assert abs(t["algbw"] - algbw) <= 0.0005 + 1e-9 and abs(t["busbw"] - algbw) <= 0.0005 + 1e-9, t
    eff = r["wire_bytes"] / 125e6 / (r["time_us"] * 1e-6)
    assert abs(r["link_eff"] - eff) <= 1e-9 * max(1, eff), r
# Wire bytes per rank follow the schedules at P = 2 (docs/collectives.md), n = 256, 1024, 4096:
for r in rows:
    if r in step_rows:
        continue
    n, words = r["count"], (r["count"] + 31) // 32
    expect = {"full": 4 * n, "mean": 4 * n, "allgather-vote": 4 * words,
              "alltoall-vote": 3 * 4 * words // 2, "quant2-rs": 4 * 4 * words // 2,
              "packed-sum": 2 * (2 * n // 8) // 2}[r["algorithm"]]
    assert r["wire_bytes"] == expect, (r, expect)
print("parsed back", len(rows), "rows")
PY

# A planted wrong element (rank 0 corrupts one result element before the check): reported, and
# the run fails like nccl-tests' does.
rc=0
"$perf" --np 2 -b 4K -e 4K -n 1 -w 0 -c 1 -a full,alltoall-vote,quant2-rs --plant-wrong-for-test \
  >"$tmp/bad.txt" || rc=$?
cat "$tmp/bad.txt"
[[ $rc -ne 0 ]] || { echo "planted wrong result: exit status 0" >&2; exit 1; }
[[ $(grep -c "Out of bounds values : 1 FAILED" "$tmp/bad.txt") -eq 3 ]]
python3 "$plot" --dump "$tmp/bad.txt" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert [x["wrong"] for x in r]==[1,1,1], r'
# The optimizer step, where this build has it: every rank must end with rank 0's parameters.
if "$perf" --help | grep -q lion-step; then
  rc=0
  "$perf" --np 3 -b 4K -e 4K -n 1 -w 0 -c 1 -a lion-step --plant-wrong-for-test >"$tmp/step.txt" || rc=$?
  cat "$tmp/step.txt"
  [[ $rc -ne 0 ]] && grep -q "Out of bounds values : 2 FAILED" "$tmp/step.txt"
  "$perf" --np 3 -b 4K -e 64K -f 4 -n 2 -w 1 -c 1 -a lion-step >"$tmp/step.txt"
  grep -q "Out of bounds values : 0 OK" "$tmp/step.txt"
fi
# Without -c nothing is checked.
"$perf" --np 2 -b 4K -e 4K -n 1 -w 0 -c 0 -a full --plant-wrong-for-test >"$tmp/nocheck.txt"
grep -q " N/A " "$tmp/nocheck.txt"
echo "perf_test: OK"
