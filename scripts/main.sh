#!/usr/bin/env bash
# The main job, end to end on local disk: install what is needed, build the release binaries,
# print the version, run the storage self-check on a fresh local root, then the example
# cluster (examples/company-brain) as the operator guide runs it: cluster validate, import, plan
# and apply, load the seed data into the derived graph root, run stored queries and a mutation,
# then show that the cluster is converged. The server milestone adds: serve, query over HTTP.
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
# The operator guide on the example cluster: a copy of its config dir is the deployment.
cluster="$work/company-brain"
cp -r examples/company-brain "$cluster"
"$bin" cluster validate --config "$cluster"
"$bin" cluster import --config "$cluster"
"$bin" cluster plan --config "$cluster"
"$bin" cluster apply --config "$cluster" --as main-job
graph="$cluster/graphs/knowledge.omni"
"$bin" load --data "$cluster/seed.jsonl" "$graph"
"$bin" snapshot "$graph"
"$bin" query team_members --query "$cluster/queries/people.gq" \
  --params '{"team":"Compilers"}' --store "$graph"
"$bin" mutate -e 'query promote($n: String) { update Person set { role: "staff engineer" } where name = $n }' \
  --params '{"n":"Ada"}' --as main-job --store "$graph"
"$bin" query find_person --query "$cluster/queries/people.gq" \
  --params '{"name":"Ada"}' --format kv --store "$graph"
"$bin" cluster plan --config "$cluster" --detailed-exitcode
"$bin" cluster status --config "$cluster"
