#!/usr/bin/env bash
# lioncub's test command: installs what a fresh Debian machine lacks, configures, builds and runs
# the whole ctest suite. Exits non-zero on any failure.
#
#   scripts/test.sh                 # RelWithDebInfo build in build/test
#   CI=true scripts/test.sh         # the same with warnings as errors (what .ci/run does)
#
# Environment: LIONCUB_BUILD_DIR (default build/test), LIONCUB_CUDA (AUTO|ON|OFF),
# LIONCUB_TEST_SEED (replay the random inputs of a failed run), CTEST_ARGS (extra ctest flags).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/deps.sh
lioncub_build_prerequisites

build_dir=${LIONCUB_BUILD_DIR:-build/test}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
jobs=$(nproc)

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLIONCUB_WERROR="$werror" -DLIONCUB_CUDA="${LIONCUB_CUDA:-AUTO}"
cmake --build "$build_dir" -j "$jobs"
# shellcheck disable=SC2086
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" ${CTEST_ARGS:-}
