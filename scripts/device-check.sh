#!/usr/bin/env bash
# The one command for a machine with a GPU (see docs/perf.md, "GPU"): builds lioncub with CUDA,
# runs every test (GPU tests compare the CUDA kernels with the CPU path bit for bit; the NCCL
# backend runs P = 2, 3, 4 processes on the one GPU, each with its own NCCL_HOSTID so that NCCL
# routes all traffic through lioncub's net plugin, against the host backend), then the CUDA
# kernel benchmark against the device's copy bandwidth, and prints a short table last.
# Finishes in a few minutes on one H200.
#
#   scripts/device-prepare.sh     # on the CPU machine: stage GoogleTest's sources in .deps/
#   scripts/device-check.sh       # on the GPU machine (carry .deps when it lacks GoogleTest)
#
# Environment: LIONCUB_BUILD_DIR (default build/device), CUDA_ARCHS (default 90),
# LIONCUB_BENCH_ELEMENTS (default 2^28).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="/usr/local/cuda/bin:$PATH"
build_dir=${LIONCUB_BUILD_DIR:-build/device}
archs=${CUDA_ARCHS:-90}
jobs=$(nproc)
log_dir=${OUT:-$build_dir/logs}
mkdir -p "$log_dir"
declare -a rows

step() {  # step NAME TIMEOUT COMMAND...: runs, logs, records a row
  local name=$1 limit=$2
  shift 2
  local t0=$SECONDS
  echo "=== $name: $*"
  timeout "$limit" "$@" 2>&1 | tee "$log_dir/$name.log"
  local rc=${PIPESTATUS[0]}
  rows+=("$(printf '%-24s %-8s %6ss' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo "FAIL($rc)")" $((SECONDS - t0)))")
  return "$rc"
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

# GoogleTest: the system's, else the sources that device-prepare.sh staged.
gtest_args=()
if ! ls /usr/lib/*/cmake/GTest/GTestConfig.cmake /usr/lib/cmake/GTest/GTestConfig.cmake >/dev/null 2>&1; then
  if [ -f .deps/googletest/CMakeLists.txt ]; then
    step gtest-build 300 bash -c "cmake -S .deps/googletest -B /tmp/lioncub-gtest-build -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/tmp/lioncub-gtest -DBUILD_GMOCK=OFF >/dev/null && \
      cmake --build /tmp/lioncub-gtest-build -j $jobs >/dev/null && cmake --install /tmp/lioncub-gtest-build >/dev/null"
    gtest_args=(-DCMAKE_PREFIX_PATH=/tmp/lioncub-gtest)
  else
    echo "device-check: no GoogleTest here; run scripts/device-prepare.sh on the CPU machine and carry .deps" >&2
  fi
fi

step configure 300 cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIONCUB_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$archs" "${gtest_args[@]}"
step build 600 cmake --build "$build_dir" -j "$jobs"
step gpu-kernel-tests 300 "$build_dir/tests/lioncub_kernel_tests" --gtest_filter='GpuTest.*'
# The NCCL backend (tests/collectives/nccl_test.cc): forked ranks on GPU 0, NCCL_NET_PLUGIN = the
# built libnccl-net-lioncub.so, NCCL_NET=lioncub, NCCL_SOCKET_IFNAME=lo (set by the test itself).
step nccl-backend 300 env NCCL_DEBUG=WARN "$build_dir/tests/collectives/lioncub_nccl_tests"
# The optimizer step on the NCCL backend (tests/optimizer/nccl_step_test.cc): full, alltoall-vote,
# quant2-rs, allgather-vote at P = 2, 4; device params and momentum equal the host backend's bit
# for bit after 10 steps. Label nccl too, so not run again by all-tests.
step nccl-step 240 env NCCL_DEBUG=WARN "$build_dir/tests/optimizer/lioncub_nccl_step_tests"
step all-tests 600 ctest --test-dir "$build_dir" --output-on-failure -j 8 -LE nccl
step cuda-kernel-bench 300 "$build_dir/bench/lioncub-cuda-kernel-bench" --elements "${LIONCUB_BENCH_ELEMENTS:-268435456}"

echo
echo "lioncub device check"
printf '%s\n' "${rows[@]}"
echo
grep -E '^(pass|encode|apply|vote|ternary)' "$log_dir/cuda-kernel-bench.log" 2>/dev/null || true
