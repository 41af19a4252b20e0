// The load benchmark (issue 4): the LDBC SF0.1 graph shipped in the `kuzu` npm package, loaded
// by Kùzu (COPY of the CSVs) and by omnigraph (init + one `load` of the converted JSONL) in one
// run. Prints rows/s, peak RSS (GNU time -v) and on-disk size for both, and our/their ratios.
//   node bench/peer/load_bench.mjs --omnigraph build/release/src/cli/omnigraph [--work DIR]
//        [--runs N] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSchema, readCopies, pgSchema, writeJsonl } from './ldbc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const omnigraph = path.resolve(opt('--omnigraph', path.join(here, '../../build/release/src/cli/omnigraph')));
const work = path.resolve(opt('--work', path.join(os.tmpdir(), 'omnigraph-ldbc')));
const runs = Number(opt('--runs', '3'));
const json = args.includes('--json');

fs.mkdirSync(work, { recursive: true });
const schemaFile = path.join(work, 'ldbc.pg'), dataFile = path.join(work, 'ldbc.jsonl');
const schema = readSchema();
if (!fs.existsSync(dataFile)) {
  fs.writeFileSync(schemaFile, pgSchema(schema));
  const rows = writeJsonl(schema, readCopies(), dataFile + '.tmp');
  fs.renameSync(dataFile + '.tmp', dataFile);
  if (!json) console.error(`converted ${rows} rows to ${dataFile}`);
}

// Runs a command under GNU time; returns wall seconds, peak RSS in MB, and stdout.
function timed(cmd, cmdArgs) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...cmdArgs], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed:\n${r.stderr}`);
  const field = (name) => r.stderr.match(new RegExp(`${name}: (.*)`))[1];
  const wall = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').map(Number)
    .reduce((acc, v) => acc * 60 + v, 0);
  return { wall, rssMb: Number(field('Maximum resident set size \\(kbytes\\)')) / 1024, stdout: r.stdout };
}
const duMb = (dir) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ours = [], theirs = [];
for (let i = 0; i < runs; i++) {
  const root = path.join(work, `graph-${i}`), db = path.join(work, `kuzu-${i}`);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(db, { recursive: true, force: true });
  execFileSync(omnigraph, ['init', '--schema', schemaFile, root], { stdio: 'ignore' });
  const o = timed(omnigraph, ['load', '--quiet', '--json', '--data', dataFile, root]);
  const rows = JSON.parse(o.stdout).total_entities;
  ours.push({ rows, seconds: o.wall, rssMb: o.rssMb, diskMb: duMb(root) });
  const k = timed('node', [path.join(here, 'kuzu_load.mjs'), db]);
  const kr = JSON.parse(k.stdout.trim().split('\n').pop());
  theirs.push({ rows: kr.rows, seconds: kr.seconds, rssMb: k.rssMb, diskMb: duMb(db) });
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(db, { recursive: true, force: true });
}
const summary = (xs) => ({
  rows: xs[0].rows,
  rows_per_second: median(xs.map((x) => x.rows / x.seconds)),
  seconds: median(xs.map((x) => x.seconds)),
  peak_rss_mb: median(xs.map((x) => x.rssMb)),
  disk_mb: median(xs.map((x) => x.diskMb)),
});
const o = summary(ours), k = summary(theirs);
const report = {
  runs, omnigraph: o, kuzu: k,
  ratios: { // ours / theirs: < 1 is better for time, RSS and disk; > 1 is better for rows/s
    seconds: o.seconds / k.seconds, peak_rss: o.peak_rss_mb / k.peak_rss_mb,
    disk: o.disk_mb / k.disk_mb, rows_per_second: o.rows_per_second / k.rows_per_second,
  },
};
if (json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const row = (name, a, b, r, unit) => console.log(`${name.padEnd(16)} ${a.toFixed(2).padStart(10)} ${b.toFixed(2).padStart(10)} ${r.toFixed(2).padStart(7)} ${unit}`);
  console.log(`LDBC SF0.1 load, median of ${runs} runs (ours: omnigraph load of JSONL; theirs: Kùzu COPY of CSV)`);
  console.log(`${'metric'.padEnd(16)} ${'omnigraph'.padStart(10)} ${'kuzu'.padStart(10)} ${'ratio'.padStart(7)}`);
  row('rows', o.rows, k.rows, o.rows / k.rows, '');
  row('seconds', o.seconds, k.seconds, report.ratios.seconds, 's (lower is better)');
  row('rows/s (k)', o.rows_per_second / 1e3, k.rows_per_second / 1e3, report.ratios.rows_per_second, 'thousand rows/s (higher is better)');
  row('peak RSS', o.peak_rss_mb, k.peak_rss_mb, report.ratios.peak_rss, 'MB (lower is better)');
  row('disk', o.disk_mb, k.disk_mb, report.ratios.disk, 'MB (lower is better)');
}
