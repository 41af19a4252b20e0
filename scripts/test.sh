#!/usr/bin/env bash
# Builds OmniGraph and runs the whole test suite: the format check, clang-tidy on the sources
# changed since the last whole-tree clean run (scripts/tidy.sh), then every GoogleTest suite under
# ctest (unit suites per layer, the S3 suites against a local s3rver, end-to-end CLI runs).
#   scripts/test.sh            the asan preset (ASan + UBSan): what CI runs
#   scripts/test.sh debug      any configure preset from CMakePresets.json
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-asan}

bash scripts/setup.sh
bash scripts/check-format.sh
cmake --preset "$preset" >/dev/null
TIDY_PRESET=$preset bash scripts/tidy.sh
cmake --build --preset "$preset"
# ASan's leak checker needs ptrace, which some sandboxes forbid; UBSan findings abort the test.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset "$preset" -j"$(nproc)"
