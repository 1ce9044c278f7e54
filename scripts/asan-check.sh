#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/, checks that the build is instrumented and that it reports a
# deliberately planted heap overflow (a scratch build, build-asan-planted/),
# then runs the native tests and the fuzz cases against it. Any sanitizer
# report aborts its process, so a passing run means zero reports.
# Leak detection covers the whole process at exit; V8's own allocations that
# outlive it are suppressed by scripts/lsan.supp, so what remains is ours.
set -euo pipefail
cd "$(dirname "$0")/.."
san="address,undefined"
build() {  # build|rebuild, output folder, extra definitions
  node node_modules/cmake-js/bin/cmake-js "$1" --out "$2" --CDNESTFLOW_CUDA=OFF "--CDNESTFLOW_SANITIZE=$san" "${@:3}" >/dev/null
}
build build build-asan
# A scratch build with a deliberate overflow: the sanitizer must catch it, or its silence says nothing.
rm -rf build-asan-planted
build rebuild build-asan-planted --CDNESTFLOW_PLANT_OVERFLOW=ON
addon="$PWD/build-asan/Release/nestflow.node"
reports=$(nm -D --undefined-only "$addon" | grep -c '__asan_report' || true)
if [ "$reports" -eq 0 ]; then
  echo "asan-check: $addon is not instrumented (no __asan_report calls)" >&2
  exit 1
fi
echo "asan-check: build-asan is instrumented ($reports __asan_report entry points used)"

# Preloaded into node only (other tools would report their own leaks).
preload="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=${DETECT_LEAKS:-1}:abort_on_error=0:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

planted_log=$(mktemp)
if LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 node -e "require('./build-asan-planted/Release/nestflow.node').testing.plantedOverflow(0)" 2>"$planted_log"; then
  echo "asan-check: the planted overflow ran without a report: the sanitizer build is not working" >&2
  exit 1
fi
if ! grep -q 'heap-buffer-overflow' "$planted_log"; then
  echo "asan-check: the planted overflow failed without an AddressSanitizer report:" >&2
  cat "$planted_log" >&2
  exit 1
fi
echo "asan-check: the planted overflow is reported ($(grep -m1 -o 'heap-buffer-overflow on address' "$planted_log"))"

# The native tests and the fuzz corpus (whose children inherit the preload).
export NESTFLOW_ADDON="$addon" NESTFLOW_FUZZ_MAX_RSS_MB=2000 NESTFLOW_FUZZ_SLOWDOWN=5
# Threads via the vitest fork pool would each preload libasan: run the files in one fork
# (ASan makes the maths several times slower: a longer time limit per test).
LD_PRELOAD="$preload" npx vitest run --pool=forks --maxWorkers=1 --testTimeout=600000 test/native/01* test/native/02* test/native/03* test/native/04* test/native/05* test/native/07* \
  test/native/09* test/native/10* "$@"
echo "asan-check: no sanitizer report"
