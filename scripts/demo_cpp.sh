#!/usr/bin/env bash
# The C++ demo (scripts/demo.sh --cpp runs this): data-parallel Lion training of an MLP classifier on the 8x8 handwritten
# digits (data/digits.csv.gz), P = 4 ranks on an emulated Ethernet cluster (scripts/cluster.sh:
# one network namespace per host, NICs shaped with tc; plain loopback without root), once with
# plain data-parallel Lion (`full`, fp32 gradients on the wire) and once per Lion Cub variant
# (alltoall-vote; quant2-rs with selective momentum sync). Prints a table (median step time,
# wire MB per step, speedup over full, final training loss, test accuracy) and writes PNG plots
# of the loss against wall time and steps. See docs/demo.md.
#
#   scripts/demo_cpp.sh [--rate 1gbit] [--out DIR] [--sweep] [--smoke] [--no-build]
#                   [--build-dir DIR] [-- LIONCUB-DEMO-ARGS...]
#
#   --rate R     NIC rate per host, tc units (default 1gbit)
#   --sweep      repeat at 100mbit, 1gbit and 10gbit and plot the speedup against the link rate
#   --smoke      a few steps of a tiny model (what the test suite runs)
#   --out DIR    where results.json and the PNGs go (default BUILD_DIR/demo-results)
#   --no-build   use the binaries already in the build directory
# Arguments after -- go to lioncub-demo (--steps, --batch, --hidden, --layers, --lr, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh

rate=1gbit sweep=0 smoke=0 build=1 out="" extra=()
build_dir=${LIONCUB_BUILD_DIR:-build/demo}
while [[ $# -gt 0 ]]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --sweep) sweep=1; shift ;;
    --smoke) smoke=1; shift ;;
    --out) out=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
out=${out:-$build_dir/demo-results}
mkdir -p "$out"

if (( build )); then
  lioncub_build_prerequisites
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIONCUB_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" --target lioncub-demo lioncub-perf nccl-net-lioncub
fi
demo_bin=$(cd "$build_dir" && pwd)/bench/demo/lioncub-demo
[[ -x $demo_bin ]] || { echo "demo.sh: $demo_bin not built" >&2; exit 1; }

# A python3 with matplotlib for the plots: the one on PATH, Debian's, or install it.
python=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import matplotlib' 2>/dev/null; then python=$p; break; fi
done
if [[ -z $python ]]; then
  if [[ $(id -u) -eq 0 ]] && lioncub_require_packages python3-matplotlib >/dev/null 2>&1; then
    python=/usr/bin/python3
  elif python3 -m pip install --user --quiet matplotlib >/dev/null 2>&1; then
    python=python3
  else
    echo "demo.sh: no matplotlib (apt-get install python3-matplotlib, or pip install matplotlib):" \
         "printing the table without plots" >&2
  fi
fi

# Two data streams and one progress thread per connection: four ranks share this machine's cores.
export LIONCUB_NET_STREAMS=${LIONCUB_NET_STREAMS:-2} LIONCUB_NET_THREADS=${LIONCUB_NET_THREADS:-1}
args=(--data "$PWD/data/digits.csv.gz")
(( smoke )) && args+=(--steps 6 --batch 4 --hidden 32 --layers 1)
args+=("${extra[@]}")

run_at() {  # run_at RATE DIR
  mkdir -p "$2"
  echo "== P = 4 hosts at $1 per NIC: full, alltoall-vote, quant2-rs" >&2
  scripts/cluster.sh run --hosts 4 --rate "$1" --prefix lcdemo --port "${LIONCUB_DEMO_PORT:-29620}" \
    -- "$demo_bin" --out "$2" "${args[@]}"
  if [[ -n $python ]]; then "$python" scripts/plot_demo.py "$2/results.json" "$2"; fi
}

if (( sweep )); then
  files=()
  for r in 100mbit 1gbit 10gbit; do
    run_at "$r" "$out/$r"
    files+=("$out/$r/results.json")
  done
  if [[ -n $python ]]; then "$python" scripts/plot_demo.py --sweep "$out/speedup_vs_rate.png" "${files[@]}"; fi
else
  run_at "$rate" "$out"
fi
