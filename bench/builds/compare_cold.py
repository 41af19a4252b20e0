#!/usr/bin/env python3
"""Cold reads of two builds on the same LDBC SF0.1 data: each query runs in a fresh `omnigraph`
process (page cache warm, nothing else cached), the two builds alternated, medians compared; then
`export` of the whole graph, which reads every column chunk of every table.

  python3 bench/builds/compare_cold.py BASE_OMNIGRAPH BASE_GRAPH NEW_OMNIGRAPH NEW_GRAPH [RUNS]

Graphs: the `query-graph` a `bench/peer/query_bench.mjs --work DIR` run loads with that build.
Used to measure what a storage-format change costs (docs/benchmarks.md, "Checksums")."""
import statistics
import subprocess
import sys
import time

QUERIES = {
    'top10_commenters': 'query q() { match { $c: Comment  $c comment_hasCreator $p } return '
                        '{ $p.ldbc_id, count($c) as n } order { n desc, $p.ldbc_id asc } limit 10 }',
    'post_filter_count': 'query q() { match { $p: Post  $p.length > 100 } return { count($p) as n } }',
}


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def compare(label, runs, base_cmd, new_cmd):
    base, new = [], []
    for _ in range(runs):
        base.append(timed(base_cmd))
        new.append(timed(new_cmd))
    b, n = statistics.median(base), statistics.median(new)
    print(f'{label:<28} base {b * 1000:8.1f} ms   new {n * 1000:8.1f} ms   new/base {n / b:.3f}')


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    base_bin, base_graph, new_bin, new_graph = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 11
    print(f'medians of {runs} fresh-process runs, alternated')
    for name, text in QUERIES.items():
        compare(f'cold query {name}', runs,
                [base_bin, 'query', '-e', text, '--store', base_graph, '--json'],
                [new_bin, 'query', '-e', text, '--store', new_graph, '--json'])
    compare('export (all columns)', max(3, runs // 2),
            [base_bin, 'export', base_graph], [new_bin, 'export', new_graph])


if __name__ == '__main__':
    main()
