#!/usr/bin/env bash
# The main job, end to end on local disk: install what is needed, build the release binaries,
# print the version, run the storage self-check on a fresh local root, then the example graph
# (examples/company-brain): lint its schema, init a graph from it, load the seed data, show the
# snapshot and the commit history, type-check its stored queries, run one, and change a row
# with a mutation. Later milestones grow this into the whole example cluster: validate, apply,
# load, serve, query.
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
graph="$work/company-brain/graphs/knowledge.omni"
"$bin" init --schema examples/company-brain/people.pg "$graph"
"$bin" load --data examples/company-brain/seed.jsonl "$graph"
"$bin" snapshot "$graph"
"$bin" commit list "$graph"
"$bin" lint --query examples/company-brain/queries/people.gq --schema examples/company-brain/people.pg
"$bin" query team_members --query examples/company-brain/queries/people.gq \
  --params '{"team":"Compilers"}' --store "$graph"
"$bin" mutate -e 'query promote($n: String) { update Person set { role: "staff engineer" } where name = $n }' \
  --params '{"n":"Ada"}' --as main-job --store "$graph"
"$bin" query find_person --query examples/company-brain/queries/people.gq \
  --params '{"name":"Ada"}' --format kv --store "$graph"
