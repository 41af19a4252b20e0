// The scale benchmark (issue 17): a generated social graph (bench/scale/generate.mjs) loaded into
// omnigraph and into Kùzu in one run, then the same four reads on both, cold and warm, then
// omnigraph-server's RSS over repeated scans. Writes DIR/scale.json (every figure) and
// DIR/scale.svg (chart.mjs: ratio bars and the server's RSS line).
//   flock /tmp/og-build.lock node bench/scale/scale_bench.mjs --users 1000000
//        [--work DIR] [--out DIR] [--build build/release] [--cold-runs 5] [--warm-runs 10]
//        [--scans 100] [--clients 1] [--rss-cap-mb 6000] [--as-limit GiB (16)] [--timeout-s 1800]
//        [--env K=V]... [--no-kuzu] [--server-only] [--label TEXT]
// --env sets a variable for every omnigraph process (load, queries, server): the allocator study
// runs it with LD_PRELOAD=... or MALLOC_ARENA_MAX=... . --server-only skips the cold and warm
// reads (load and the server's scans still run); --no-kuzu skips Kùzu's side.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, handleOf } from './generate.mjs';
import { writeChart } from './chart.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const many = (name) => args.flatMap((a, i) => (a === name ? [args[i + 1]] : []));
const users = Number(opt('--users', '1000000'));
const work = path.resolve(opt('--work', path.join(os.tmpdir(), `omnigraph-scale-${users}`)));
const outDir = path.resolve(opt('--out', work));
const build = path.resolve(opt('--build', path.join(here, '../../build/release')));
const omnigraph = path.join(build, 'src/cli/omnigraph');
const server = path.join(build, 'src/server/omnigraph-server');
const queryBench = path.join(build, 'bench/query_bench');
const coldRuns = Number(opt('--cold-runs', '5'));
const warmRuns = Number(opt('--warm-runs', '10'));
const scans = Number(opt('--scans', '100'));
const clients = Number(opt('--clients', '1'));
const rssCapMb = Number(opt('--rss-cap-mb', '6000'));
// In bytes: util-linux 2.38's prlimit crashes on a suffix such as 16G.
const asLimit = String(Number(opt('--as-limit', '16').replace(/G$/i, '')) * 2 ** 30);
const timeoutMs = Number(opt('--timeout-s', '1800')) * 1000;
const label = opt('--label', 'current code');
const withKuzu = !args.includes('--no-kuzu');
const serverOnly = args.includes('--server-only');
const ourEnv = { ...process.env };
for (const kv of many('--env')) { const i = kv.indexOf('='); ourEnv[kv.slice(0, i)] = kv.slice(i + 1); }
const log = (...m) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...m);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Runs a command under GNU time (and, for ours, prlimit); returns wall ms, peak RSS MB, stdout.
function timed(cmd, cmdArgs, { ours = true } = {}) {
  const argv = ['-v', ...(ours ? ['prlimit', `--as=${asLimit}`] : []), cmd, ...cmdArgs];
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', argv,
    { encoding: 'utf8', maxBuffer: 1 << 28, env: ours ? ourEnv : process.env, timeout: timeoutMs });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ').slice(0, 300)} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-2000)}`);
  const rssMb = Number(r.stderr.match(/Maximum resident set size \(kbytes\): (\d+)/)[1]) / 1024;
  return { ms, rssMb, stdout: r.stdout };
}

// 1. Data, once per size and seed.
const dataDir = path.join(work, 'data');
if (!fs.existsSync(path.join(dataDir, '.done'))) {
  log(`generating ${users} users into ${dataDir}`);
  const g = generate(users, dataDir);
  fs.writeFileSync(path.join(dataDir, '.done'), JSON.stringify(g));
}
const { edges } = JSON.parse(fs.readFileSync(path.join(dataDir, '.done'), 'utf8'));
const report = { label, users, edges, env: many('--env'), date: new Date().toISOString(),
  host: { cpus: os.cpus().length, mem_gb: Math.round(os.totalmem() / 2 ** 30) } };

// 2. Load. Ours: a one-graph cluster (served in step 5), `cluster apply` creates the graph (as
// `init` does), then one timed `omnigraph load`. Theirs: COPY of the CSVs in a child process.
const cluster = path.join(work, 'cluster');
const root = path.join(cluster, 'graphs/social.omni');
fs.rmSync(cluster, { recursive: true, force: true });
fs.mkdirSync(cluster, { recursive: true });
fs.copyFileSync(path.join(dataDir, 'social.pg'), path.join(cluster, 'social.pg'));
fs.writeFileSync(path.join(cluster, 'cluster.yaml'),
  'version: 1\nmetadata:\n  name: scale\ngraphs:\n  social:\n    schema: social.pg\n');
execFileSync(omnigraph, ['cluster', 'import', '--config', cluster], { stdio: 'ignore', env: ourEnv });
execFileSync(omnigraph, ['cluster', 'apply', '--config', cluster], { stdio: 'ignore', env: ourEnv });
log('loading into omnigraph');
const ol = timed(omnigraph, ['load', '--quiet', '--json', '--data', path.join(dataDir, 'social.jsonl'), root]);
const loadedRows = JSON.parse(ol.stdout).total_entities ?? users + edges;
report.load = { omnigraph: { rows: loadedRows, seconds: ol.ms / 1e3, rows_per_second: loadedRows / (ol.ms / 1e3), peak_rss_mb: ol.rssMb } };
const db = path.join(work, 'kuzu');
if (withKuzu) {
  log('loading into Kùzu');
  fs.rmSync(db, { recursive: true, force: true });
  const kl = timed('node', [path.join(here, 'kuzu_side.mjs'), 'load', db, dataDir], { ours: false });
  const k = JSON.parse(kl.stdout.trim().split('\n').pop());
  report.load.kuzu = { rows: k.rows, seconds: k.seconds, rows_per_second: k.rows / k.seconds, peak_rss_mb: kl.rssMb };
  report.load.ratios = { rows_per_second: report.load.omnigraph.rows_per_second / report.load.kuzu.rows_per_second,
    peak_rss: report.load.omnigraph.peak_rss_mb / report.load.kuzu.peak_rss_mb };
}

// 3. The four reads, written for both engines. The user is a fixed one in the middle.
const who = handleOf(Math.floor(users / 2) + 7);
const ageOver = 60;
const queries = [
  { name: 'point_lookup', params: { h: who },
    gq: 'query q($h: String) { match { $u: User { handle: $h } } return { $u.name, $u.age, $u.city, $u.score } }',
    cypher: 'MATCH (u:User) WHERE u.handle = $h RETURN u.name, u.age, u.city, u.score' },
  { name: 'one_hop', params: { h: who },
    gq: 'query q($h: String) { match { $u: User { handle: $h }  $u follows $f } return { $f.handle } order { $f.handle } }',
    cypher: 'MATCH (u:User)-[:Follows]->(f:User) WHERE u.handle = $h RETURN f.handle ORDER BY f.handle' },
  // Ties on age are broken by handle so both engines must return the same three rows.
  { name: 'top3_by_age',
    gq: 'query q() { match { $u: User } return { $u.handle, $u.age } order { $u.age desc, $u.handle asc } limit 3 }',
    cypher: 'MATCH (u:User) RETURN u.handle, u.age ORDER BY u.age DESC, u.handle ASC LIMIT 3' },
  { name: 'filtered_count', params: { x: ageOver },
    gq: 'query q($x: I32) { match { $u: User  $u.age > $x } return { count($u) as n } }',
    cypher: 'MATCH (u:User) WHERE u.age > $x RETURN count(u) AS n' },
];
const queriesFile = path.join(work, 'queries.json');
fs.writeFileSync(queriesFile, JSON.stringify(queries));
const canon = (rows) => JSON.stringify(rows.map((r) => r.map((v) => (typeof v === 'number' ? Number(v) : v))));

if (!serverOnly) {
  report.cold = {};
  report.warm = {};
  log(`cold reads: ${coldRuns} fresh processes per query and engine`);
  for (const q of queries) {
    const o = [], k = [];
    let oRows, kRows;
    for (let i = 0; i < coldRuns; i++) {
      const r = timed(omnigraph, ['query', '-e', q.gq, '--params', JSON.stringify(q.params ?? {}),
        '--format', 'json', '--store', root]);
      o.push(r);
      const out = JSON.parse(r.stdout);
      oRows = out.rows.map((row) => out.columns.map((c) => row[c]));
      if (withKuzu) {
        const qf = path.join(work, `cold-${q.name}.json`);
        fs.writeFileSync(qf, JSON.stringify(q));
        const kr = timed('node', [path.join(here, 'kuzu_side.mjs'), 'query', db, qf], { ours: false });
        k.push(kr);
        kRows = JSON.parse(kr.stdout.trim().split('\n').pop()).rows;
      }
    }
    const entry = { omnigraph_ms: median(o.map((x) => x.ms)), omnigraph_peak_rss_mb: Math.max(...o.map((x) => x.rssMb)), rows: oRows };
    if (withKuzu) Object.assign(entry, { kuzu_ms: median(k.map((x) => x.ms)), kuzu_peak_rss_mb: Math.max(...k.map((x) => x.rssMb)),
      ratio: entry.omnigraph_ms / median(k.map((x) => x.ms)), same_rows: canon(oRows) === canon(kRows) });
    report.cold[q.name] = entry;
    log(`  cold ${q.name}: ours ${entry.omnigraph_ms.toFixed(1)} ms${withKuzu ? `, Kùzu ${entry.kuzu_ms.toFixed(1)} ms` : ''}`);
  }
  log(`warm reads: median of ${warmRuns} in one process per engine`);
  const ow = timed(queryBench, [root, queriesFile, String(warmRuns)]);
  const o = JSON.parse(ow.stdout.trim().split('\n').pop());
  let k;
  if (withKuzu) k = JSON.parse(timed('node', [path.join(here, 'kuzu_side.mjs'), 'warm', db, queriesFile, String(warmRuns)], { ours: false }).stdout.trim().split('\n').pop());
  for (const q of queries) {
    const entry = { omnigraph_ms: o[q.name].median_ms, rows: o[q.name].rows };
    if (withKuzu) Object.assign(entry, { kuzu_ms: k[q.name].median_ms, ratio: o[q.name].median_ms / k[q.name].median_ms,
      same_rows: canon(o[q.name].rows) === canon(k[q.name].rows) });
    report.warm[q.name] = entry;
  }
}

// 4. The server: `scans` rounds of a limit-3 scan and a top-3 (by each of --clients clients at
// once); VmRSS after each round, and the peak sampled every 20 ms. Stops early when RSS passes --rss-cap-mb.
async function serverScans() {
  const child = spawn('prlimit', [`--as=${asLimit}`, server, '--cluster', cluster, '--bind', '127.0.0.1:0', '--unauthenticated'],
    { env: { ...ourEnv, OMNIGRAPH_LOG: ourEnv.OMNIGRAPH_LOG ?? 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const addr = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => { out += d; const m = out.match(/OMNIGRAPH_LISTEN_ADDR=(\S+)/); if (m) resolve(m[1]); });
    child.on('exit', (c) => reject(new Error(`omnigraph-server exited (${c}): ${stderr}`)));
  });
  const pid = child.pid; // prlimit execs the server: same pid
  const rssMb = () => { try { return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024; } catch { return NaN; } };
  const scan = 'query scan() { match { $u: User } return { $u.handle } limit 3 }';
  const top3 = 'query top3() { match { $u: User } return { $u.handle } order { $u.age desc } limit 3 }';
  // A new connection per request, as curl would: the server gives each connection a worker
  // thread, so successive requests run on different threads (and glibc arenas).
  const post = (query) => new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const [host, port] = addr.split(':');
    const req = http.request({ host, port, path: '/graphs/social/query', method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e6)
        : reject(new Error(`server answered ${res.statusCode}: ${body.slice(0, 300)}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
  // --clients concurrent clients per round, each a scan then a top-3.
  const round = async () => {
    const one = async () => [await post(scan), await post(top3)];
    return Promise.all(Array.from({ length: clients }, one));
  };
  const s = { clients, idle_rss_mb: rssMb(), after_round_rss_mb: [], scan_ms: [], top3_ms: [], peak_rss_mb: 0, stopped_at: null };
  const sampler = setInterval(() => { const v = rssMb(); if (v > s.peak_rss_mb) s.peak_rss_mb = v; if (v > rssCapMb) child.kill('SIGKILL'); }, 20);
  try {
    for (let i = 0; i < scans; i++) {
      for (const [a, b] of await round()) { s.scan_ms.push(a); s.top3_ms.push(b); }
      s.after_round_rss_mb.push(rssMb());
      if (s.after_round_rss_mb.at(-1) > rssCapMb) throw new Error(`RSS over the ${rssCapMb} MB cap`);
    }
    // What the allocator gives back once the server is idle (jemalloc's decay is time-based).
    await new Promise((r) => setTimeout(r, 3000));
    s.idle_after_3s_rss_mb = rssMb();
  } catch (e) {
    s.stopped_at = { round: s.after_round_rss_mb.length, reason: String(e.message ?? e).slice(0, 300) };
    log(`  server run stopped: ${s.stopped_at.reason}`);
  } finally {
    clearInterval(sampler);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)));
  }
  const rss = s.after_round_rss_mb;
  s.rounds = rss.length;
  s.scan_median_ms = median(s.scan_ms);
  s.top3_median_ms = median(s.top3_ms);
  s.rss_at_rounds_mb = Object.fromEntries([1, 10, 30, 60, 100].filter((n) => n <= s.rounds).map((n) => [n, rss[n - 1]]));
  if (s.rounds >= 100) s.growth_60_100_vs_30 = (Math.max(...rss.slice(59, 100)) - rss[29]) / rss[29];
  return s;
}
log(`server: ${scans} rounds of a limit-3 scan and a top-3, ${clients} client(s)`);
report.server = await serverScans();

// 5. Report.
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'scale.json'), JSON.stringify(report, null, 2));
writeChart(report, path.join(outDir, 'scale.svg'));
const f = (v, d = 1) => (v === undefined ? '-' : v.toFixed(d));
console.log(`Scale benchmark, ${users} users, ${edges} Follows (${label})`);
const L = report.load;
console.log(`load  omnigraph ${f(L.omnigraph.rows_per_second / 1e3)} k rows/s, peak ${f(L.omnigraph.peak_rss_mb)} MB` +
  (L.kuzu ? ` | Kùzu ${f(L.kuzu.rows_per_second / 1e3)} k rows/s, peak ${f(L.kuzu.peak_rss_mb)} MB | ratio rows/s ${f(L.ratios.rows_per_second, 2)}, RSS ${f(L.ratios.peak_rss, 2)}` : ''));
for (const kind of serverOnly ? [] : ['cold', 'warm'])
  for (const q of queries) {
    const e = report[kind][q.name];
    console.log(`${kind.padEnd(5)} ${q.name.padEnd(15)} omnigraph ${f(e.omnigraph_ms, e.omnigraph_ms < 0.1 ? 4 : 2).padStart(9)} ms` +
      (withKuzu ? ` | Kùzu ${f(e.kuzu_ms, 2).padStart(8)} ms | ratio ${f(e.ratio, 2).padStart(6)}${e.same_rows ? '' : '  ROWS DIFFER'}` : '') +
      (e.omnigraph_peak_rss_mb ? ` | our peak ${f(e.omnigraph_peak_rss_mb)} MB` : ''));
  }
const S = report.server;
console.log(`server idle ${f(S.idle_rss_mb)} MB; RSS after round ${Object.entries(S.rss_at_rounds_mb).map(([n, v]) => `${n}: ${f(v)}`).join(', ')} MB; peak ${f(S.peak_rss_mb)} MB; 3 s idle ${f(S.idle_after_3s_rss_mb)} MB` +
  `; scan ${f(S.scan_median_ms)} ms, top-3 ${f(S.top3_median_ms)} ms (medians)` +
  (S.growth_60_100_vs_30 !== undefined ? `; growth rounds 60-100 vs 30: ${f(100 * S.growth_60_100_vs_30)}%` : '') +
  (S.stopped_at ? `; STOPPED after ${S.stopped_at.round} rounds: ${S.stopped_at.reason}` : ''));
console.log(`wrote ${path.join(outDir, 'scale.json')} and ${path.join(outDir, 'scale.svg')}`);
