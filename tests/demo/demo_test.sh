#!/usr/bin/env bash
# The README's main command, small: scripts/demo.sh --smoke (a tiny MLP, a few steps, the three
# algorithms on P = 4 emulated hosts as root, on loopback otherwise) must finish, print its table
# and write results.json (and the PNGs when matplotlib is there).
#   demo_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
LIONCUB_DEMO_PORT=29640 "$here/../../scripts/demo.sh" --cpp --smoke --no-build --build-dir "$build" \
  --out "$tmp" >"$tmp/stdout" 2>"$tmp/stderr" || { cat "$tmp/stdout" "$tmp/stderr"; exit 1; }
cat "$tmp/stdout"
for algo in full alltoall-vote quant2-rs; do
  grep -Eq "^$algo +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+ +[0-9.]+$" "$tmp/stdout" \
    || { echo "no table row for $algo" >&2; cat "$tmp/stderr"; exit 1; }
done
python3 - "$tmp/results.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["nranks"] == 4 and r["steps"] == 6, r
assert [x["algorithm"] for x in r["runs"]] == ["full", "alltoall-vote", "quant2-rs"]
for x in r["runs"]:
    assert len(x["loss"]) == len(x["wall_s"]) == 6 and all(math.isfinite(v) for v in x["loss"]), x
    assert x["wire_bytes_per_step"] > 0 and 0 <= x["test_accuracy"] <= 100, x
full = r["runs"][0]["wire_bytes_per_step"]
assert all(x["wire_bytes_per_step"] < full / 5 for x in r["runs"][1:]), r["runs"]
PY
if grep -q "^wrote" "$tmp/stdout"; then
  [[ -s $tmp/loss_vs_time.png && -s $tmp/loss_vs_steps.png ]]
else
  echo "demo_test: no matplotlib here; plots not checked"
fi
echo "demo_test: OK"
