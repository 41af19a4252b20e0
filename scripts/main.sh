#!/usr/bin/env bash
# The main job, end to end on local disk: install what is needed, build the release binaries,
# print the version, run the storage self-check on a fresh local root, then the example
# cluster (examples/company-brain) as the operator guide runs it: cluster validate, import, plan
# and apply, load the seed data into the derived graph root, run stored queries and a mutation,
# show that the cluster is converged, then serve it with a bearer token and run a stored query
# over HTTP with curl.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target omnigraph omnigraph-server

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

# Serve the applied revision with a bearer token, ask a stored query over HTTP, stop the server.
OMNIGRAPH_SERVER_BEARER_TOKENS_JSON='{"act-reader":"s3cret"}' \
  build/release/src/server/omnigraph-server --cluster "$cluster" --bind 127.0.0.1:0 \
  >"$work/server.out" 2>"$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 300); do
  grep -q '^OMNIGRAPH_LISTEN_ADDR=' "$work/server.out" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
addr=$(sed -n 's/^OMNIGRAPH_LISTEN_ADDR=//p' "$work/server.out")
echo "omnigraph-server listening on $addr"
curl -sS --fail-with-body -H 'authorization: Bearer s3cret' \
  -X POST "http://$addr/graphs/knowledge/queries/find_person" \
  -H 'content-type: application/json' -d '{"params":{"name":"Ada"}}'
echo
# The same stored query through the remote CLI (`--server`), the token from the environment.
OMNIGRAPH_HOME="$work/home" OMNIGRAPH_BEARER_TOKEN=s3cret \
  "$bin" query find_person --server "http://$addr" --graph knowledge --params '{"name":"Ada"}'
kill -TERM "$server"
wait "$server"
echo "omnigraph-server stopped"
