#!/usr/bin/env bash
# The server load benchmark (issue 8): a stored point-lookup query over the example cluster at 64
# connections with wrk, beside a plain cpp-httplib "hello" JSON server measured the same way in
# the same run. Prints requests/s, p50/p99 latency, the ratio, and omnigraph-server's RSS idle and
# at its peak. Not a timed test: run it by hand on a quiet machine.
#   bash bench/server/server_bench.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
command -v wrk >/dev/null || { echo "server_bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release --target omnigraph omnigraph-server bench_hello_server >/dev/null

bin=build/release/src/cli/omnigraph
work=$(mktemp -d "${TMPDIR:-/tmp}/omnigraph-server-bench-XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cp -r examples/company-brain "$work/cluster"
"$bin" cluster import --config "$work/cluster" >/dev/null
"$bin" cluster apply --config "$work/cluster" >/dev/null
"$bin" load --quiet --data "$work/cluster/seed.jsonl" "$work/cluster/graphs/knowledge.omni"

wait_addr() { # file prefix
  for _ in $(seq 300); do
    grep -q "^$2" "$1" 2>/dev/null && { sed -n "s/^$2//p" "$1"; return; }
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}
rss_kb() { awk "/^$2:/ {print \$2}" "/proc/$1/status"; }
measure() { # url -> "rps p50 p99"
  wrk -t2 -c64 -d"${seconds}s" --latency -s bench/server/post.lua "$1" >"$work/wrk.out"
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}' \
    "$work/wrk.out"
}

# Default logging (info): a JSON line per request and per policy decision, written to a file.
OMNIGRAPH_SERVER_BEARER_TOKENS_JSON='{"act-reader":"s3cret"}' \
  build/release/src/server/omnigraph-server --cluster "$work/cluster" --bind 127.0.0.1:0 \
  >"$work/og.out" 2>"$work/og.err" &
og=$!; pids+=("$og")
og_addr=$(wait_addr "$work/og.out" OMNIGRAPH_LISTEN_ADDR=)
curl -sf -H 'authorization: Bearer s3cret' -H 'content-type: application/json' \
  -d '{"params":{"name":"Ada"}}' "http://$og_addr/graphs/knowledge/queries/find_person" >/dev/null
idle=$(rss_kb "$og" VmRSS)
read -r og_rps og_p50 og_p99 <<<"$(measure "http://$og_addr/graphs/knowledge/queries/find_person")"
peak=$(rss_kb "$og" VmHWM)

build/release/bench/server/bench_hello_server >"$work/hello.out" &
hello=$!; pids+=("$hello")
hello_addr=$(wait_addr "$work/hello.out" LISTEN_ADDR=)
read -r h_rps h_p50 h_p99 <<<"$(measure "http://$hello_addr/hello")"

echo "wrk -t2 -c64 -d${seconds}s, POST, keep-alive; same machine, same run; request log on"
echo "| server | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
echo "| omnigraph-server, stored query find_person | $og_rps | $og_p50 | $og_p99 |"
echo "| plain cpp-httplib hello JSON | $h_rps | $h_p50 | $h_p99 |"
awk -v a="$og_rps" -v b="$h_rps" 'BEGIN {printf "ratio omnigraph/plain: %.2f (target >= 0.50)\n", a / b}'
echo "omnigraph-server RSS: idle $((idle / 1024)) MB (target < 50), peak $((peak / 1024)) MB (target < 200)"
