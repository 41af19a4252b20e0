#!/usr/bin/env bash
# The main job, end to end on local disk: install what is needed, build the release binaries,
# print the version, run the storage self-check on a fresh local root, and check the example
# cluster's schema (examples/company-brain). Later milestones grow this into the whole example
# cluster: validate, apply, load, serve, query.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target omnigraph

bin=build/release/src/cli/omnigraph
work=$(mktemp -d "${TMPDIR:-/tmp}/omnigraph-main-XXXXXX")
trap 'rm -rf "$work"' EXIT

"$bin" --version
"$bin" storage check "$work/example.omni"
"$bin" lint --schema examples/company-brain/people.pg
