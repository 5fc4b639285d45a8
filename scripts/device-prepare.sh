#!/usr/bin/env bash
# Stages what the GPU machine lacks (it has CMake, ninja and nvcc, but no GoogleTest and no
# network) in .deps/, which git ignores: name .deps in the device tool's `carry` of both
# device-check commands (scripts/device-check.sh kernels, then nccl; --plan shows the budgets).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
lioncub_require_packages googletest
mkdir -p .deps
rm -rf .deps/googletest
cp -r /usr/src/googletest .deps/googletest
echo "staged GoogleTest sources in .deps/googletest"
