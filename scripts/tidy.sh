#!/usr/bin/env bash
# Runs clang-tidy 19 (the committed .clang-tidy, findings are errors) over the C++ sources in src/,
# with the compile commands of a configured preset (default asan, which scripts/test.sh builds).
#   scripts/tidy.sh                 the files changed since the last whole-tree clean run
#                                   (the commit in .ci/tidy-base), what scripts/test.sh runs
#   scripts/tidy.sh --all           every file in src/ (about 10 minutes on 2 cores)
#   scripts/tidy.sh FILE...         these files
# A whole-tree run takes ~8 s per file (the heavy third-party headers are parsed per file), too
# long for every test run; after a clean --all run, record HEAD in .ci/tidy-base.
# clang-tidy 19, not Debian's default 14: 14 cannot parse libstdc++ 12's <expected>.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${TIDY_PRESET:-asan}
db=build/$preset
[[ -f $db/compile_commands.json ]] || { echo "tidy: configure first (cmake --preset $preset)" >&2; exit 1; }
tidy=clang-tidy-19
command -v $tidy >/dev/null || { echo "tidy: $tidy is missing (scripts/setup.sh installs it)" >&2; exit 1; }

files=()
if [[ -z ${1:-} && ! -f .ci/tidy-base ]]; then
  echo "tidy: no .ci/tidy-base (the last whole-tree clean run): checking every file" >&2
  set -- --all
fi
if [[ ${1:-} == --all ]]; then
  mapfile -t files < <(git ls-files 'src/*.cpp')
elif (($#)); then
  files=("$@")
else
  base=$(cat .ci/tidy-base)
  # A changed header re-checks the sources that include it (directly) as well.
  mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cpp' 'src/*.h';
                         git ls-files -o --exclude-standard -- 'src/*.cpp' 'src/*.h')
  for f in "${changed[@]}"; do
    if [[ $f == *.cpp ]]; then
      files+=("$f")
    else
      mapfile -t -O "${#files[@]}" files < <(git grep -l --fixed-strings "#include \"${f#src/}\"" -- 'src/*.cpp' || true)
    fi
  done
  mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u | while read -r f; do [[ -f $f ]] && echo "$f"; done)
fi
((${#files[@]})) || { echo "tidy: no source changed since $(cat .ci/tidy-base)"; exit 0; }
echo "tidy: ${#files[@]} file(s)"
# One clang-tidy per core; any finding fails the run (WarningsAsErrors in .clang-tidy).
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 1 $tidy -p "$db" --quiet 2> >(grep -v "warnings generated\|Suppressed\|Use -header-filter" >&2)
echo "tidy: clean"
