#!/usr/bin/env bash
# Builds lioncub's libFuzzer targets (clang, with address and undefined-behaviour sanitizers)
# and runs each for a while on its corpus (tests/fuzz/corpus/<target>; new finds go to
# build/fuzz/corpus/<target>, crashes to build/fuzz/crashes/).
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]      TARGET: hello control handle (default: all)
#
# Default 600 seconds per target (what docs/reliability.md records); the test suite runs each for
# a few seconds so the targets cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ ${#targets[@]} -eq 0 ]] && targets=(hello control handle)
source scripts/lib/deps.sh
command -v clang++ >/dev/null || lioncub_require_packages clang libclang-rt-14-dev
out=${LIONCUB_FUZZ_DIR:-build/fuzz}
mkdir -p "$out/crashes"
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Iplugin)
sources=(plugin/handle.cc plugin/hello.cc plugin/message.cc)

# The seeds are committed; regenerate them when the encoders change: build make_seeds and run it.
if [[ ! -d tests/fuzz/corpus/hello ]]; then
  mkdir -p tests/fuzz/corpus/{hello,control,handle}
  clang++ -std=c++20 -O1 -Iplugin tests/fuzz/make_seeds.cc "${sources[@]}" -o "$out/make_seeds"
  "$out/make_seeds" tests/fuzz/corpus
fi

status=0
for t in "${targets[@]}"; do
  clang++ "${flags[@]}" "tests/fuzz/fuzz_$t.cc" "${sources[@]}" -o "$out/fuzz_$t"
  mkdir -p "$out/corpus/$t"
  echo "== fuzz_$t for ${seconds}s"
  if ! "$out/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="$out/crashes/$t-" \
      -print_final_stats=1 "$out/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | tail -n 12; then
    status=1
  fi
done
exit $status
