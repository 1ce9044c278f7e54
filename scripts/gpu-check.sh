#!/usr/bin/env bash
# The GPU check, for a machine with a CUDA device, CMake and nvcc but no
# Node.js and no network. From the repository root:
#
#   OUT=/some/folder bash scripts/gpu-check.sh
#
# builds cuda/ (the kernels, the CPU and CUDA backends without the addon),
# runs every kernel test and the CPU-vs-GPU agreement test through the
# Backend interface (ctest; device tests skip with the reason when no GPU
# answers), then the throughput table of both backends on this machine.
# Writes configure.txt, build.txt, ctest.txt, throughput.md and device.txt
# to $OUT (default: gpu-check-out). Exits non-zero when a test fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-gpu-check-out}
mkdir -p "$out"
build=$(mktemp -d "${TMPDIR:-/tmp}/nestflow-gpu-check.XXXXXX")
trap 'rm -rf "$build"' EXIT
jobs=${GPU_CHECK_JOBS:-$(nproc 2>/dev/null || echo 2)}

{ nvidia-smi 2>&1 || echo "nvidia-smi: not available"; nvcc --version 2>&1 || echo "nvcc: not found"; } > "$out/device.txt"

if ! cmake -S "$root/cuda" -B "$build" -DCMAKE_BUILD_TYPE=Release > "$out/configure.txt" 2>&1; then
  cat "$out/configure.txt"; echo "gpu-check: configure failed"; exit 1
fi
if ! cmake --build "$build" -j "$jobs" > "$out/build.txt" 2>&1; then
  tail -40 "$out/build.txt"; echo "gpu-check: build failed"; exit 1
fi
ctest --test-dir "$build" -V --output-on-failure > "$out/ctest.txt" 2>&1
tests=$?
grep -E "Test +#|tests passed|Skipped|device:|skipped:|ok |FAIL" "$out/ctest.txt"

if [ -x "$build/bench_backend" ]; then
  "$build/bench_backend" > "$out/throughput.md" 2>&1
  bench=$?
  cat "$out/throughput.md"
  # 77: no device to measure (the table says why); anything else non-zero failed.
  if [ "$bench" -ne 0 ] && [ "$bench" -ne 77 ]; then echo "gpu-check: the throughput run failed ($bench)"; tests=1; fi
else
  echo "no throughput table: this build has no CUDA compiler (cuda/ built its host tests only)" > "$out/throughput.md"
fi
echo "gpu-check: $([ "$tests" -eq 0 ] && echo ok || echo FAILED); files in $out"
exit "$tests"
