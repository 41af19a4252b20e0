#!/usr/bin/env bash
# Runs the libFuzzer targets (test/fuzz) under ASan+UBSan with clang 19 (Debian's clang 14 cannot
# compile libstdc++'s <expected>). New inputs that grow coverage are kept in the target's
# committed corpus (test/fuzz/corpus/<target>).
#   scripts/fuzz.sh TARGET [SECONDS]     e.g. scripts/fuzz.sh uri 600
#   scripts/fuzz.sh all [SECONDS]        every target, SECONDS each
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET|all [SECONDS]}
seconds=${2:-60}

bash scripts/setup.sh
if ! command -v clang++-19 >/dev/null; then
  sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-19 libclang-rt-19-dev >/dev/null
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

targets=("$target")
[[ $target == all ]] && targets=($(sed -n '/^set(OMNIGRAPH_FUZZ_TARGETS/,/)/p' test/fuzz/CMakeLists.txt | tr -d '()' | sed 's/set\|OMNIGRAPH_FUZZ_TARGETS//g'))
for t in "${targets[@]}"; do
  echo "fuzz: $t for ${seconds}s"
  build/fuzz/test/fuzz/fuzz_"$t" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
    test/fuzz/corpus/"$t"
done
