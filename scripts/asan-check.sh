#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-asan/ and runs the native tests against it (node preloads libasan).
# Leak detection covers the whole process at exit; V8's own allocations that
# outlive it are suppressed by scripts/lsan.supp, so what remains is ours.
set -euo pipefail
cd "$(dirname "$0")/.."
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
node node_modules/cmake-js/bin/cmake-js build --out build-asan --CDNESTFLOW_CUDA=OFF \
  "--CDCMAKE_CXX_FLAGS=$flags" "--CDCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=${DETECT_LEAKS:-1}:abort_on_error=0:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export NESTFLOW_ADDON="$PWD/build-asan/Release/nestflow.node"
# Threads via the vitest fork pool would each preload libasan: run the files in one fork.
npx vitest run --pool=forks --maxWorkers=1 test/native/01* test/native/02* test/native/03* test/native/04* test/native/05* test/native/07* "$@"
