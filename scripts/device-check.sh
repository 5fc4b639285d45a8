#!/usr/bin/env bash
# The checks for a machine with a GPU (see docs/perf.md, "GPU"), in two commands that each fit one
# device call (at most 600 s) and together fit a session's 15 minutes with the machine's start:
#
#   scripts/device-check.sh kernels   # build, GpuTest.* (CUDA vs CPU bit for bit), CUDA kernel bench
#   scripts/device-check.sh nccl      # NCCL backend and NCCL optimizer step at P = 2 and 4
#   scripts/device-check.sh --plan    # what each command runs and its time budget (no GPU needed)
#   scripts/device-check.sh --plan-check   # exits 1 unless the budgets fit (a ctest runs this)
#
# Every step has its own timeout; each command prints a summary row per step as it goes, a table
# at the end, and writes one log per step under $OUT (else $LIONCUB_BUILD_DIR/logs). The second
# command reuses the first one's build when the machine is still warm (ninja rebuilds nothing).
# No CPU test suite runs here: that is the CPU machine's job.
#
# NCCL ranks share the one GPU as separate processes, each with its own NCCL_HOSTID, so NCCL sends
# everything through lioncub's net plugin. Without MPS the GPU time-slices their spinning kernels
# (every ring step waits a timeslice), so the script starts MPS when the image allows it
# (nvidia-cuda-mps-control -d, checked, stopped at exit) and turns off NCCL's multi-node NVLink
# and NVLS paths, which one GPU cannot use.
#
# Before: scripts/device-prepare.sh on the CPU machine (stages GoogleTest in .deps; carry .deps).
# Environment: LIONCUB_BUILD_DIR (default build/device), CUDA_ARCHS (default 90),
# LIONCUB_BENCH_ELEMENTS (default 2^26).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# --- The plan: steps and their timeouts (seconds) ----------------------------------------------
# Device time of a session: 900 s in all, the machine's start (about 120 s when cold) and the idle
# gap between the two calls (about 30 s) included; one call at most 600 s.
readonly SESSION_S=900 CALL_S=600 STARTUP_S=120 GAP_S=30
plan_kernels=(
  "gtest-build 40 GoogleTest from .deps (skipped when the system has it)"
  "configure 30 cmake, CUDA on, Release"
  "build 180 liblioncub + kernel tests + CUDA kernel bench"
  "gpu-kernel-tests 45 GpuTest.* and GpuLanesTest.*: CUDA vs CPU bit for bit"
  "cuda-kernel-bench 50 encode/vote/apply/lanes bandwidth vs device-to-device copy"
)
plan_nccl=(
  "gtest-build 40 GoogleTest from .deps (skipped when built or on the system)"
  "configure 30 cmake (nothing to do after the kernels command)"
  "build 110 plugin + NCCL backend tests + NCCL step tests (incremental)"
  "nccl-backend-P2 40 lioncub_nccl_tests, 2 ranks: every algorithm vs host backend and reference"
  "nccl-backend-P4 45 lioncub_nccl_tests, 4 ranks"
  "nccl-step-P2 40 lioncub_nccl_step_tests, 2 ranks: device step == host step bit for bit"
  "nccl-step-P4 45 lioncub_nccl_step_tests, 4 ranks"
)

budget() {  # budget ROWS...: sum of the timeouts
  local total=0 row
  for row in "$@"; do
    read -r _ s _ <<<"$row"
    total=$((total + s))
  done
  echo "$total"
}

print_plan() {
  local a b
  a=$(budget "${plan_kernels[@]}")
  b=$(budget "${plan_nccl[@]}")
  echo "device-check plan (timeouts in seconds)"
  echo "command kernels: scripts/device-check.sh kernels"
  printf '  %-20s %4s  %s\n' step limit what
  for row in "${plan_kernels[@]}"; do read -r n s w <<<"$row"; printf '  %-20s %4s  %s\n' "$n" "$s" "$w"; done
  echo "budget kernels $a"
  echo "command nccl: scripts/device-check.sh nccl"
  for row in "${plan_nccl[@]}"; do read -r n s w <<<"$row"; printf '  %-20s %4s  %s\n' "$n" "$s" "$w"; done
  echo "budget nccl $b"
  echo "budget session $((a + b + STARTUP_S + GAP_S)) of $SESSION_S (start-up $STARTUP_S, gap $GAP_S; one call at most $CALL_S)"
}

plan_check() {
  local a b ok=0
  a=$(budget "${plan_kernels[@]}")
  b=$(budget "${plan_nccl[@]}")
  # Each call also spends a few seconds before and after its steps (nvidia-smi, MPS, table).
  [ $((a + 20)) -le "$CALL_S" ] || { echo "kernels command: $a s + 20 s exceeds $CALL_S s" >&2; ok=1; }
  [ $((b + 20)) -le "$CALL_S" ] || { echo "nccl command: $b s + 20 s exceeds $CALL_S s" >&2; ok=1; }
  [ $((a + 20)) -le 480 ] || { echo "kernels command: $a s is not under 8 minutes" >&2; ok=1; }
  [ $((b + 20)) -le 480 ] || { echo "nccl command: $b s is not under 8 minutes" >&2; ok=1; }
  [ $((a + b + 40 + STARTUP_S + GAP_S)) -le "$SESSION_S" ] ||
    { echo "session: $((a + b + 40 + STARTUP_S + GAP_S)) s exceeds $SESSION_S s" >&2; ok=1; }
  [ "$ok" -eq 0 ] && echo "device-check plan fits: kernels $a s, nccl $b s, session $((a + b + 40 + STARTUP_S + GAP_S)) of $SESSION_S s"
  return "$ok"
}

case "${1:-}" in
  --plan) print_plan; exit 0 ;;
  --plan-check) plan_check; exit $? ;;
  kernels|nccl) mode=$1 ;;
  *) echo "usage: $0 kernels | nccl | --plan | --plan-check" >&2; exit 2 ;;
esac

# --- Running -----------------------------------------------------------------------------------
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
build_dir=${LIONCUB_BUILD_DIR:-build/device}
archs=${CUDA_ARCHS:-90}
jobs=$(nproc)
log_dir=${OUT:-$build_dir/logs}
mkdir -p "$log_dir"
declare -a rows
failed=0
limit_of() {  # limit_of NAME: the step's timeout from this command's plan
  local row
  local -n plan="plan_$mode"
  for row in "${plan[@]}"; do read -r n s _ <<<"$row"; [ "$n" = "$1" ] && { echo "$s"; return; }; done
  echo 60
}

step() {  # step NAME COMMAND...: runs with the plan's timeout, logs, prints and records a row
  local name=$1 limit
  shift
  limit=$(limit_of "$name")
  local t0=$SECONDS
  echo "=== $name (limit ${limit}s): $*"
  timeout -k 5 "$limit" "$@" >"$log_dir/$name.log" 2>&1
  local rc=$?
  tail -n 15 "$log_dir/$name.log"
  local verdict=ok
  [ "$rc" -eq 124 ] && verdict="TIMEOUT"
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && verdict="FAIL($rc)"
  [ "$rc" -ne 0 ] && failed=1
  rows+=("$(printf '%-20s %-9s %5ss / %ss' "$name" "$verdict" $((SECONDS - t0)) "$limit")")
  echo ">>> ${rows[-1]}"
  return "$rc"
}

summary() {
  echo
  echo "lioncub device check: $mode"
  printf '%s\n' "${rows[@]}"
  if [ "$mode" = kernels ]; then
    echo
    grep -E '^(pass|copy|encode|apply|vote|ternary|lane)' "$log_dir/cuda-kernel-bench.log" 2>/dev/null || true
  fi
}

mps_started=0
stop_mps() {
  if [ "$mps_started" -eq 1 ]; then
    echo quit | nvidia-cuda-mps-control >/dev/null 2>&1 || true
    echo "MPS stopped"
  fi
}
trap 'stop_mps; summary' EXIT

nvidia-smi --query-gpu=name,driver_version,memory.total,compute_mode --format=csv,noheader || true

# GoogleTest: the system's, else one built earlier on this machine, else .deps' sources.
gtest_prefix=/tmp/lioncub-gtest
gtest_args=()
have_gtest=0
for f in /usr/lib/*/cmake/GTest/GTestConfig.cmake /usr/lib/cmake/GTest/GTestConfig.cmake \
  /usr/local/lib/cmake/GTest/GTestConfig.cmake; do
  [ -f "$f" ] && have_gtest=1
done
if [ "$have_gtest" -eq 0 ]; then
  if [ ! -d "$gtest_prefix/lib" ] && [ -f .deps/googletest/CMakeLists.txt ]; then
    step gtest-build bash -c "cmake -S .deps/googletest -B /tmp/lioncub-gtest-build -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$gtest_prefix -DBUILD_GMOCK=OFF && \
      cmake --build /tmp/lioncub-gtest-build -j $jobs && cmake --install /tmp/lioncub-gtest-build"
  elif [ ! -d "$gtest_prefix/lib" ]; then
    echo "device-check: no GoogleTest; run scripts/device-prepare.sh on the CPU machine and carry .deps" >&2
  fi
  gtest_args=("-DCMAKE_PREFIX_PATH=$gtest_prefix")
fi

step configure cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIONCUB_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" "${gtest_args[@]}" || exit 1

if [ "$mode" = kernels ]; then
  step build cmake --build "$build_dir" -j "$jobs" --target lioncub lioncub_kernel_tests \
    lioncub-cuda-kernel-bench || exit 1
  step gpu-kernel-tests "$build_dir/tests/lioncub_kernel_tests" --gtest_filter='Gpu*'
  step cuda-kernel-bench "$build_dir/bench/lioncub-cuda-kernel-bench" \
    --elements "${LIONCUB_BENCH_ELEMENTS:-67108864}"
  exit "$failed"
fi

# mode nccl
step build cmake --build "$build_dir" -j "$jobs" --target nccl-net-lioncub lioncub_nccl_tests \
  lioncub_nccl_step_tests || exit 1
export NCCL_MNNVL_ENABLE=0 NCCL_NVLS_ENABLE=0 NCCL_DEBUG=${NCCL_DEBUG:-WARN}
if command -v nvidia-cuda-mps-control >/dev/null 2>&1; then
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/lioncub-mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/lioncub-mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  if nvidia-cuda-mps-control -d 2>/dev/null && sleep 1 &&
    echo get_server_list | nvidia-cuda-mps-control >/dev/null 2>&1; then
    mps_started=1
    echo "MPS started (pipe $CUDA_MPS_PIPE_DIRECTORY)"
  else
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
    echo "MPS could not start here: ranks time-slice the GPU (slower, still correct)"
  fi
else
  echo "no nvidia-cuda-mps-control in this image: ranks time-slice the GPU"
fi
# Each test forks its ranks and gives each its own NCCL_HOSTID (tests/collectives/nccl_test.cc).
step nccl-backend-P2 "$build_dir/tests/collectives/lioncub_nccl_tests" --gtest_filter='*NcclRanks*P2:NcclBackend.*'
step nccl-backend-P4 "$build_dir/tests/collectives/lioncub_nccl_tests" --gtest_filter='*NcclRanks*P4'
step nccl-step-P2 "$build_dir/tests/optimizer/lioncub_nccl_step_tests" --gtest_filter='*NcclLionStep*_P2'
step nccl-step-P4 "$build_dir/tests/optimizer/lioncub_nccl_step_tests" --gtest_filter='*NcclLionStep*_P4'
exit "$failed"
