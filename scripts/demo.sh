#!/usr/bin/env bash
# lioncub's main command: the PyTorch demo. Trains an MLP on Fashion-MNIST (Debian's
# dataset-fashion-mnist: 60,000 training and 10,000 test images) with P = 4 data-parallel ranks
# on an emulated Ethernet cluster (scripts/cluster.sh: one network namespace per host, NICs shaped
# with tc; plain loopback without root), once per method, on the same model, initial weights, data
# order and number of steps:
#   ddp            DistributedDataParallel (gloo) + lion_pytorch.Lion (what users run today)
#   full           lioncub.torch.Lion, fp32 gradients (lioncub's ring allreduce)
#   alltoall-vote  lioncub.torch.Lion, 1-bit codes
#   quant2-rs      lioncub.torch.Lion, 2-bit codes, momentum averaged every 50 steps
# Prints median step time, wire MB per step, time to the target test accuracy, final test accuracy
# and DDP's communication fraction; writes results.json and PNG plots. See docs/demo.md.
#
#   scripts/demo.sh [--rate 200mbit] [--out DIR] [--sweep] [--smoke] [--no-build]
#                   [--build-dir DIR] [-- TRAIN-ARGS...]
#   scripts/demo.sh --cpp [DEMO-CPP-ARGS...]   # the C++ demo (8x8 digits), scripts/demo_cpp.sh
#
#   --rate R     NIC rate per host, tc units (default 200mbit)
#   --sweep      repeat at 100mbit, 200mbit, 1gbit and 10gbit; plot the speedup against the rate
#   --smoke      a few steps of a small model (what the test suite runs)
#   --out DIR    where results.json and the PNGs go (default BUILD_DIR/demo-torch-results)
#   --no-build   use the library already built in the build directory
# Arguments after -- go to bench/demo_torch/train.py (--steps, --batch, --hidden, --lr, --target, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --cpp ]]; then shift; exec scripts/demo_cpp.sh "$@"; fi
source scripts/lib/deps.sh
source scripts/lib/pyenv.sh

rate=200mbit sweep=0 smoke=0 build=1 out="" extra=()
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
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
out=${out:-$build_dir/demo-torch-results}
mkdir -p "$out"

data=/usr/share/datasets/fashion-mnist
if [[ ! -f $data/t10k-labels-idx1-ubyte.gz ]]; then
  lioncub_require_packages dataset-fashion-mnist
fi
if (( build )); then
  lioncub_build_prerequisites
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIONCUB_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j "$(nproc)" --target lioncub nccl-net-lioncub lioncub-demo lioncub-perf
fi
lib=$(cd "$build_dir" && pwd)/lib/liblioncub.so
[[ -f $lib ]] || { echo "demo.sh: $lib not built" >&2; exit 1; }
lioncub_python_env "${LIONCUB_VENV:-build/venv}"
py=$LIONCUB_PYTHON
"$py" -c 'import matplotlib' 2>/dev/null || "$py" -m pip install --quiet matplotlib 2>/dev/null \
  || echo "demo.sh: no matplotlib: printing the table without plots" >&2

# One progress thread and stream per connection, one torch thread: four ranks share the cores.
export LIONCUB_NET_STREAMS=${LIONCUB_NET_STREAMS:-1} LIONCUB_NET_THREADS=${LIONCUB_NET_THREADS:-1}
export OMP_NUM_THREADS=1
# A step takes well under a second: a stalled peer should fail the run in a minute, not five.
export LIONCUB_TIMEOUT_MS=${LIONCUB_TIMEOUT_MS:-60000}
args=(--data "$data")
(( smoke )) && args+=(--steps 6 --eval-every 3 --hidden 64 --layers 1)
args+=("${extra[@]}")

run_at() {  # run_at RATE DIR
  mkdir -p "$2"
  echo "== P = 4 hosts at $1 per NIC: ddp, full, alltoall-vote, quant2-rs" >&2
  scripts/cluster.sh run --hosts 4 --rate "$1" --prefix lctorch --port "${LIONCUB_DEMO_PORT:-29660}" \
    -- env PYTHONPATH="$PWD/python" LIONCUB_LIBRARY="$lib" "$py" "$PWD/bench/demo_torch/train.py" \
    --out "$2" "${args[@]}"
  "$py" -c 'import matplotlib' 2>/dev/null && "$py" scripts/plot_demo.py "$2/results.json" "$2" || true
}

if (( sweep )); then
  files=()
  for r in 100mbit 200mbit 1gbit 10gbit; do
    run_at "$r" "$out/$r"
    files+=("$out/$r/results.json")
  done
  "$py" -c 'import matplotlib' 2>/dev/null && \
    "$py" scripts/plot_demo.py --sweep "$out/speedup_vs_rate.png" "${files[@]}" || true
else
  run_at "$rate" "$out"
fi
