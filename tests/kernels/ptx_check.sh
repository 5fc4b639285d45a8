#!/usr/bin/env bash
# CPU/GPU bit identity needs IEEE float math in the CUDA kernels: no flush-to-zero (.ftz) and no
# fused multiply-add (fma / float mad), whatever CMAKE_CUDA_FLAGS say. Reads the kernels' PTX and
# fails on any such instruction: the PTX embedded in the built objects (cuobjdump -ptx) when the
# toolkit has cuobjdump, else the PTX that nvcc emits for each kernel source with the exact
# command of the build (compile_commands.json, -c replaced by -ptx).
#   ptx_check.sh BUILD_DIR NVCC
set -uo pipefail
build_dir=$1
nvcc=$2
cuobjdump=$(dirname "$nvcc")/cuobjdump
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad_re='\.ftz|(^|[^a-z_.])fma\.|(^|[^a-z_.])mad\.(rn|rz|rm|rp|ftz|sat\.f|f16|bf16|f32|f64)'

# The pattern must catch what it is for, in nvcc's own output: a fast-math build of a probe.
printf '__global__ void k(float* a, float b) { a[threadIdx.x] = a[threadIdx.x] * b + 1.0f; }\n' >"$tmp/probe.cu"
"$nvcc" -ptx --use_fast_math "$tmp/probe.cu" -o "$tmp/probe.ptx" || { echo "ptx_check: nvcc failed on the probe"; exit 1; }
grep -qE "$bad_re" "$tmp/probe.ptx" || { echo "ptx_check: the pattern misses fast-math PTX"; cat "$tmp/probe.ptx"; exit 1; }
for probe in 'mad.lo.s32 %r1, %r2, %r3, %r4;' 'mul.rn.f32 %f1, %f2, %f3;' 'div.rn.f32 %f1, %f2, %f3;'; do
  grep -qE "$bad_re" <<<"$probe" && { echo "ptx_check: pattern flags '$probe'"; exit 1; }
done

# PTX of each kernel source into $tmp/NAME.ptx.
mapfile -t objects < <(find "$build_dir" -path '*lioncub_objects.dir/kernels/cuda/*.cu.o' | sort)
[ "${#objects[@]}" -gt 0 ] || { echo "ptx_check: no CUDA kernel objects under $build_dir"; exit 1; }
if [ -x "$cuobjdump" ]; then
  for o in "${objects[@]}"; do
    "$cuobjdump" -ptx "$o" >"$tmp/$(basename "$o" .cu.o).ptx" || { echo "ptx_check: cuobjdump failed on $o"; exit 1; }
  done
else
  python3 - "$build_dir/compile_commands.json" "$tmp" <<'PY' || exit 1
import json, os, shlex, subprocess, sys
entries = [e for e in json.load(open(sys.argv[1]))
           if "/kernels/cuda/" in e["file"] and e["file"].endswith(".cu")]
if not entries:
    sys.exit("ptx_check: no kernel sources in compile_commands.json")
import re
for e in entries:
    args = shlex.split(e["command"])
    # nvcc emits PTX for one architecture at a time: drop the build's architecture flags and
    # run once per virtual architecture it names (compute_NN).
    archs = sorted(set(re.findall(r"compute_(\d+)", e["command"]))) or ["80"]
    cmd, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-MF", "-MT", "-gencode", "-arch", "--gpu-architecture"):
            skip = True
            continue
        if a == "-MD" or a == "-c" or a.startswith(("--generate-code", "-gencode=", "-arch=",
                                                     "--gpu-architecture=")):
            continue
        cmd.append(a)
    for arch in archs:
        out = os.path.join(sys.argv[2], os.path.basename(e["file"])[:-3] + "_sm" + arch + ".ptx")
        r = subprocess.run(cmd + ["-arch=compute_" + arch, "-ptx", "-o", out], cwd=e["directory"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("ptx_check: nvcc -ptx failed on %s (compute_%s):\n%s" % (e["file"], arch, r.stderr))
PY
fi
status=0
for ptx in "$tmp"/*.ptx; do
  [ "$(basename "$ptx")" = probe.ptx ] && continue
  if ! grep -q '\.version' "$ptx"; then
    echo "ptx_check: $(basename "$ptx"): no PTX embedded (CMAKE_CUDA_ARCHITECTURES with -real only?)"
    exit 77
  fi
  hits=$(grep -nE "$bad_re" "$ptx" | head -5)
  if [ -n "$hits" ]; then
    echo "ptx_check: $(basename "$ptx") has flush-to-zero or fused multiply-add instructions:"
    echo "$hits"
    status=1
  else
    echo "ptx_check: $(basename "$ptx"): $(grep -cE '^\s+(add|sub|mul|div)\.[a-z.]*f32' "$ptx") IEEE f32 ops, no .ftz, no fma"
  fi
done
exit "$status"
