#!/usr/bin/env bash
# lioncub-perf end to end: its output read by an nccl-tests-style parser (nccl_tests_parse.py:
# 13 fields per data row, algbw = size / time, busbw = algbw * 2(P-1)/P, the footers), the
# table parsed back to the -J rows (scripts/plot_perf.py), wire bytes per the schedules, -c
# catching a planted wrong element, -c 0 printing -1 (never N/A), and the old spellings.
#   perf_test.sh PATH/TO/lioncub-perf
set -euo pipefail
perf=$1
here=$(cd "$(dirname "$0")" && pwd)
plot=$here/../../scripts/plot_perf.py
parse=$here/nccl_tests_parse.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LIONCUB_NET_STREAMS=2 LIONCUB_NET_THREADS=1

# P = 3: the bus factor 4/3 is not 1, so busbw != algbw is checked for real.
"$perf" --np 3 -b 1K -e 64K -f 4 -n 2 -w 1 -c 1 --link-rate 1gbit -J "$tmp/p3.json" >"$tmp/p3.txt"
python3 "$parse" "$tmp/p3.txt" --ranks 3 --json "$tmp/p3.json"
grep -q "^# nThread 1 nGpus 1 minBytes 1024 maxBytes 65536 step: 4(factor) warmup iters: 1 iters: 2" "$tmp/p3.txt"
[[ $(grep -c "^#  Rank  [0-2] Group  0 Pid" "$tmp/p3.txt") -eq 3 ]]

# P = 2: the -J rows against the table parsed back, and the wire bytes of each schedule.
"$perf" --np 2 -b 1K -e 16K -f 4 -n 2 -w 1 -c 1 --link-rate 1gbit --json "$tmp/out.json" >"$tmp/out.txt"
python3 "$parse" "$tmp/out.txt" --ranks 2 --json "$tmp/out.json"
python3 "$plot" --dump "$tmp/out.txt" >"$tmp/table.json"
python3 - "$tmp/table.json" "$tmp/out.json" <<'PY'
import json, sys
table = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
rows = doc["rows"]
assert doc["nranks"] == 2 and doc["link_bytes_per_s"] == 125e6 and doc["average"] == 1, doc
algos = ["full", "mean", "allgather-vote", "alltoall-vote", "quant2-rs", "packed-sum"]
step_rows = [r for r in rows if r["algorithm"].startswith("lion-step/")]
assert len(step_rows) == 3, step_rows
assert [r["algorithm"] for r in rows if r not in step_rows] == [a for a in algos for _ in range(3)]
assert len(table) == len(rows)
for t, r in zip(table, rows):
    for k in ("size", "count", "type", "redop", "root", "algorithm", "wire_bytes"):
        assert t[k] == r[k], (k, t, r)
    for p in ("out_of_place", "in_place"):
        assert t[p]["wrong"] == r[p]["wrong"] == 0, (t, r)
    eff = r["wire_bytes"] / 125e6 / (r["out_of_place"]["time_us"] * 1e-6)
    assert abs(r["link_eff"] - eff) <= 1e-9 * max(1, eff), r
    assert abs(t["link_eff"] - eff) <= 0.0005 + 1e-9, (t, eff)
    # Only full and mean have an in-place form; the others repeat out-of-place, the step in-place.
    both = r["algorithm"] in ("full", "mean")
    assert r["placements"] == ("both" if both else "in_place_only" if r in step_rows else "out_of_place_only"), r
    if not both:
        assert r["in_place"] == r["out_of_place"], r
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

# A planted wrong element (rank 0 corrupts one out-of-place result before the check): reported
# in #wrong and the footer, and the run fails like nccl-tests' does.
rc=0
"$perf" --np 2 -b 4K -e 4K -n 1 -w 0 -c 1 -A full,alltoall-vote,quant2-rs --plant-wrong-for-test \
  >"$tmp/bad.txt" || rc=$?
cat "$tmp/bad.txt"
[[ $rc -ne 0 ]] || { echo "planted wrong result: exit status 0" >&2; exit 1; }
[[ $(grep -c "Out of bounds values : 1 FAILED" "$tmp/bad.txt") -eq 3 ]]
python3 "$parse" "$tmp/bad.txt" --ranks 2 --wrong 1
python3 "$plot" --dump "$tmp/bad.txt" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [x["out_of_place"]["wrong"] for x in r] == [1, 1, 1], r
assert [x["in_place"]["wrong"] for x in r] == [0, 1, 1], r  # full measures in place separately'
# The optimizer step: every rank must end with rank 0's parameters.
rc=0
"$perf" --np 3 -b 4K -e 4K -n 1 -w 0 -c 1 -A lion-step --plant-wrong-for-test >"$tmp/step.txt" || rc=$?
cat "$tmp/step.txt"
[[ $rc -ne 0 ]] && grep -q "Out of bounds values : 2 FAILED" "$tmp/step.txt"
python3 "$parse" "$tmp/step.txt" --ranks 3 --wrong 2
"$perf" --np 3 -b 4K -e 64K -f 4 -n 2 -w 1 -c 1 -A lion-step >"$tmp/step.txt"
python3 "$parse" "$tmp/step.txt" --ranks 3
# Without -c nothing is checked: #wrong is -1, a number, never N/A.
"$perf" --np 2 -b 4K -e 4K -n 1 -w 0 -c 0 -A full --plant-wrong-for-test >"$tmp/nocheck.txt"
python3 "$parse" "$tmp/nocheck.txt" --ranks 2 --check 0
! grep -q "N/A" "$tmp/nocheck.txt"
# nccl-tests' long options, -i steps, -a choices; the old spelling -a ALGOS is refused clearly.
"$perf" --np 2 --minbytes=1K --maxbytes 3K --stepbytes 1K --iters 1 --warmup_iters 0 --check 1 \
  --average 3 --datatype float --op avg --timeout 30 --algo full --output_file "$tmp/long.json" >"$tmp/long.txt"
python3 "$parse" "$tmp/long.txt" --ranks 2 --json "$tmp/long.json"
grep -q "step: 1024(bytes)" "$tmp/long.txt" && grep -q "maximum over ranks (-a 3)" "$tmp/long.txt"
[[ $(grep -vc '^#' "$tmp/long.txt") -eq 3 ]] && grep -q '^        3072 .* avg ' "$tmp/long.txt"
rc=0
"$perf" --np 2 -a full 2>"$tmp/err.txt" || rc=$?
[[ $rc -eq 2 ]] && grep -q "algorithms are chosen with -A/--algo full" "$tmp/err.txt"
echo "perf_test: OK"
