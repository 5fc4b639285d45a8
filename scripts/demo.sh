#!/usr/bin/env bash
# lioncub's main command. Until the end-to-end training demo lands (issue 6), it builds lioncub
# and shows what runs today:
#   1. the fused Lion kernels on this CPU against memcpy (GB/s and ratio per pass);
#   2. the NCCL net plugin moving 64 MiB messages between two processes on loopback, verified
#      byte for byte;
#   3. with root, the same between two emulated hosts on a 10 Gbit/s link, against iperf3.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
lioncub_build_prerequisites

build_dir=${LIONCUB_BUILD_DIR:-build/demo}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIONCUB_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target lioncub-kernel-bench lioncub-net-perf nccl-net-lioncub

echo "== 1. Lion kernels on the CPU (2^24 elements, one thread)"
"$build_dir/bench/lioncub-kernel-bench" --benchmark_min_time=0.2 2>/dev/null | sed -n '/^lioncub CPU kernels/,$p'

echo "== 2. lioncub transport on loopback (two processes, verified byte for byte)"
"$build_dir/bench/net/lioncub-net-perf" --sizes 1M,64M --bytes 512M --verify

if [ "$(id -u)" -eq 0 ] && ip netns list >/dev/null 2>&1; then
  echo "== 3. two emulated hosts, 10 Gbit/s link: iperf3, then lioncub on the same link"
  lioncub_require_packages iperf3
  scripts/net-iperf.sh --seconds 3 --perf "$build_dir/bench/net/lioncub-net-perf"
else
  echo "== 3. skipped: emulated hosts need root (network namespaces)"
fi
