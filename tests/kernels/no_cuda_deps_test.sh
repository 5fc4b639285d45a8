#!/usr/bin/env bash
# liblioncub needs neither the CUDA runtime nor NCCL at load time (both are resolved at run time:
# the static CUDA runtime loads the driver, the NCCL backend dlopens libnccl.so.2), so one library
# serves machines with and without a GPU, and inside PyTorch the process's own NCCL is used.
#   no_cuda_deps_test.sh LIBLIONCUB HOST_ONLY_TEST
set -uo pipefail
lib=$1
exe=$2
deps=$(ldd "$lib") || { echo "ldd failed on $lib"; exit 1; }
echo "$deps"
if grep -Eq 'libcudart|libnccl|libcuda\.so' <<<"$deps"; then
  echo "FAIL: $lib links the CUDA runtime, the driver or NCCL"
  exit 1
fi
# Hide every CUDA folder from the loader's path, and name a missing NCCL (the system's is on
# ld.so.conf's path here, which LD_LIBRARY_PATH cannot hide).
clean_path=$(tr ':' '\n' <<<"${LD_LIBRARY_PATH:-}" | grep -vi cuda | paste -sd: -)
env LD_LIBRARY_PATH="$clean_path" LIONCUB_NCCL_LIBRARY=/nonexistent/libnccl.so.2 "$exe"
