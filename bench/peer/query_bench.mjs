// The peer query benchmark (issue 5): the LDBC SF0.1 graph shipped in the `kuzu` npm package,
// loaded into omnigraph and into Kùzu, then the same queries on both, warm and in-process on
// each side (ours: the C++ binary build/release/bench/query_bench over the engine API; theirs:
// the Node binding, kuzu_query.mjs). Checks that both return the same rows, and prints per
// query our median, theirs and the ratio, plus each side's peak RSS (GNU time -v).
//   node bench/peer/query_bench.mjs [--runs N] [--work DIR] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSchema, readCopies, pgSchema, writeJsonl } from './ldbc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const build = path.resolve(opt('--build', path.join(here, '../../build/release')));
const omnigraph = path.join(build, 'src/cli/omnigraph');
const bench = path.join(build, 'bench/query_bench');
const work = path.resolve(opt('--work', path.join(os.tmpdir(), 'omnigraph-ldbc')));
const runs = Number(opt('--runs', '5'));
const json = args.includes('--json');
const log = (...m) => { if (!json) console.error(...m); };

// 1. Data: convert once, load each engine once into the work dir (reused by later runs).
fs.mkdirSync(work, { recursive: true });
const schemaFile = path.join(work, 'ldbc.pg'), dataFile = path.join(work, 'ldbc.jsonl');
if (!fs.existsSync(dataFile)) {
  fs.writeFileSync(schemaFile, pgSchema(readSchema()));
  const rows = writeJsonl(readSchema(), readCopies(), dataFile + '.tmp');
  fs.renameSync(dataFile + '.tmp', dataFile);
  log(`converted ${rows} rows to ${dataFile}`);
}
const root = path.join(work, 'query-graph'), db = path.join(work, 'query-kuzu');
if (!fs.existsSync(path.join(root, '.loaded'))) {
  fs.rmSync(root, { recursive: true, force: true });
  execFileSync(omnigraph, ['init', '--schema', schemaFile, root], { stdio: 'ignore' });
  execFileSync(omnigraph, ['load', '--quiet', '--data', dataFile, root], { stdio: 'ignore' });
  fs.writeFileSync(path.join(root, '.loaded'), '');
}
if (!fs.existsSync(path.join(work, 'query-kuzu.loaded'))) {
  fs.rmSync(db, { recursive: true, force: true });
  execFileSync('node', [path.join(here, 'kuzu_load.mjs'), db], { stdio: 'ignore' });
  fs.writeFileSync(path.join(work, 'query-kuzu.loaded'), '');
}

// 2. The queries, written for both engines. The person is the one with the most friends.
const person = 2199023256816;
const queries = [
  { name: 'point_lookup', params: { id: person },
    gq: 'query q($id: I64) { match { $p: Person { ldbc_id: $id } } return { $p.firstName, $p.lastName } }',
    cypher: 'MATCH (p:Person) WHERE p.id = $id RETURN p.firstName, p.lastName' },
  { name: 'friends_by_name', params: { id: person },
    gq: 'query q($id: I64) { match { $p: Person { ldbc_id: $id }  $p knows $f } return { $f.ldbc_id, $f.firstName, $f.lastName } order { $f.firstName, $f.lastName, $f.ldbc_id } }',
    cypher: 'MATCH (p:Person)-[:knows]->(f:Person) WHERE p.id = $id RETURN f.id, f.firstName, f.lastName ORDER BY f.firstName, f.lastName, f.id' },
  { name: 'fof_distinct_count', params: { id: person },
    gq: 'query q($id: I64) { match { $p: Person { ldbc_id: $id }  $p knows{1,2} $f } return { count($f) as n } }',
    cypher: 'MATCH (p:Person)-[:knows*1..2]->(f:Person) WHERE p.id = $id AND f.id <> $id RETURN count(DISTINCT f) AS n' },
  { name: 'friends_comments_count', params: { id: person },
    gq: 'query q($id: I64) { match { $p: Person { ldbc_id: $id }  $p knows $f  $c comment_hasCreator $f } return { count($c) as n } }',
    cypher: 'MATCH (p:Person)-[:knows]->(f:Person)<-[:Comment_hasCreator]-(c:Comment) WHERE p.id = $id RETURN count(c) AS n' },
  { name: 'top10_commenters',
    gq: 'query q() { match { $c: Comment  $c comment_hasCreator $p } return { $p.ldbc_id, count($c) as n } order { n desc, $p.ldbc_id asc } limit 10 }',
    cypher: 'MATCH (c:Comment)-[:Comment_hasCreator]->(p:Person) RETURN p.id, count(c) AS n ORDER BY n DESC, p.id ASC LIMIT 10' },
  { name: 'post_filter_count',
    gq: 'query q() { match { $p: Post  $p.length > 100 } return { count($p) as n } }',
    cypher: 'MATCH (p:Post) WHERE p.length > 100 RETURN count(p) AS n' },
  { name: 'knows_2hop_paths',
    gq: 'query q() { match { $a: Person  $a knows $b  $b knows $c } return { count($c) as n } }',
    cypher: 'MATCH (a:Person)-[:knows]->(b:Person)-[:knows]->(c:Person) RETURN count(*) AS n' },
  { name: 'knows_3hop_distinct', params: { id: person },
    gq: 'query q($id: I64) { match { $p: Person { ldbc_id: $id }  $p knows{1,3} $f } return { count($f) as n } }',
    cypher: 'MATCH (p:Person)-[:knows*1..3]->(f:Person) WHERE p.id = $id AND f.id <> $id RETURN count(DISTINCT f) AS n' },
];
const queriesFile = path.join(work, 'queries.json');
fs.writeFileSync(queriesFile, JSON.stringify(queries));

// 3. Both sides, each in its own process under GNU time.
function timed(cmd, cmdArgs) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...cmdArgs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed:\n${r.stderr}`);
  const rss = Number(r.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/)[1]) / 1024;
  return { report: JSON.parse(r.stdout.trim().split('\n').pop()), rssMb: rss };
}
log(`running ${queries.length} queries, ${runs} warm runs each`);
const ours = timed(bench, [root, queriesFile, String(runs)]);
const theirs = timed('node', [path.join(here, 'kuzu_query.mjs'), db, queriesFile, String(runs)]);

// 4. Same rows (order matters where the query orders; else compared sorted), then the table.
const canon = (rows, ordered) => {
  const r = rows.map((row) => JSON.stringify(row.map((v) => (typeof v === 'number' ? Number(v) : v))));
  return ordered ? r : r.sort();
};
const report = { runs, omnigraph_rss_mb: ours.rssMb, kuzu_rss_mb: theirs.rssMb, queries: [] };
let mismatches = 0;
for (const q of queries) {
  const o = ours.report[q.name], k = theirs.report[q.name];
  const ordered = /order/i.test(q.gq);
  const same = JSON.stringify(canon(o.rows, ordered)) === JSON.stringify(canon(k.rows, ordered));
  if (!same) {
    mismatches++;
    console.error(`MISMATCH ${q.name}: ours ${JSON.stringify(o.rows).slice(0, 300)} theirs ${JSON.stringify(k.rows).slice(0, 300)}`);
  }
  report.queries.push({ name: q.name, rows: o.rows.length, omnigraph_ms: o.median_ms, kuzu_ms: k.median_ms,
    ratio: o.median_ms / k.median_ms, same_rows: same });
}
report.rss_ratio = ours.rssMb / theirs.rssMb;
if (json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`LDBC SF0.1 queries, median of ${runs} warm runs (ratio = ours / theirs, lower is better)`);
  console.log(`${'query'.padEnd(24)} ${'rows'.padStart(6)} ${'omnigraph ms'.padStart(13)} ${'kuzu ms'.padStart(10)} ${'ratio'.padStart(7)}`);
  for (const r of report.queries)
    console.log(`${r.name.padEnd(24)} ${String(r.rows).padStart(6)} ${r.omnigraph_ms.toFixed(3).padStart(13)} ${r.kuzu_ms.toFixed(3).padStart(10)} ${r.ratio.toFixed(2).padStart(7)}${r.same_rows ? '' : '  MISMATCH'}`);
  console.log(`peak RSS: omnigraph ${ours.rssMb.toFixed(1)} MB, kuzu ${theirs.rssMb.toFixed(1)} MB, ratio ${report.rss_ratio.toFixed(2)}`);
}
process.exit(mismatches ? 1 : 0);
