#!/usr/bin/env bash
# lioncub's test command: installs what a fresh Debian machine lacks, configures, builds and runs
# the whole ctest suite. Exits non-zero on any failure.
#
#   scripts/test.sh                 # RelWithDebInfo build in build/test
#   CI=true scripts/test.sh         # the same with warnings as errors (what .ci/run does)
#   scripts/test.sh --sanitize address,undefined   # or --sanitize thread: host code only, in
#                                   # build/test-<sanitizer>, CUDA off (kernels can't run here)
#
# Environment: LIONCUB_BUILD_DIR (default build/test), LIONCUB_CUDA (AUTO|ON|OFF),
# LIONCUB_TEST_SEED (replay the random inputs of a failed run), CTEST_ARGS (extra ctest flags).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --sanitize) sanitize=$2; shift 2 ;;
    *) echo "test.sh: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
case $sanitize in
  ""|address,undefined|undefined,address|address|undefined|thread) ;;
  *) echo "test.sh: --sanitize takes address,undefined or thread" >&2; exit 2 ;;
esac

source scripts/lib/deps.sh
lioncub_build_prerequisites

build_dir=${LIONCUB_BUILD_DIR:-build/test${sanitize:+-${sanitize/,/-}}}
cuda=${LIONCUB_CUDA:-AUTO}
labels=()
if [ -n "$sanitize" ]; then
  cuda=OFF
  labels=(-LE 'fuzz|cluster')  # the fuzzers carry their own sanitizers; the cluster test runs no lioncub code
  # Fail at the first report, also in forked ranks that leave with _exit (which skips the exit
  # code a sanitizer would otherwise set at the end).
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
  export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1 ${ASAN_OPTIONS:-}"
  export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 ${UBSAN_OPTIONS:-}"
fi
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
jobs=$(nproc)

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLIONCUB_WERROR="$werror" -DLIONCUB_CUDA="$cuda" -DLIONCUB_SANITIZE="$sanitize"
cmake --build "$build_dir" -j "$jobs"
# shellcheck disable=SC2086
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "${labels[@]}" ${CTEST_ARGS:-}

# ---- The PyTorch front end (python/, tests/python): pytest in a virtual environment with torch
# and lion-pytorch from PyPI (created in build/venv when missing), against the library built above.
# LIONCUB_SKIP_PYTHON=1 skips it. Not under the sanitizers (torch is not instrumented).
if [ -z "$sanitize" ] && [ "${LIONCUB_SKIP_PYTHON:-0}" != 1 ]; then
  source scripts/lib/pyenv.sh
  lioncub_python_env "${LIONCUB_VENV:-build/venv}"
  LIONCUB_LIBRARY="$(cd "$build_dir" && pwd)/lib/liblioncub.so" PYTHONPATH="$PWD/python" \
    "$LIONCUB_PYTHON" -m pytest -q tests/python
fi
