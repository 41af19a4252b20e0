// The allocator study of issue 17 part 4: the same server run of scale_bench.mjs (load, then
// rounds of a limit-3 scan and a top-3 against omnigraph-server) once per allocator setting,
// each swapped in at run time without a rebuild:
//   glibc-today     the binaries as built (base/allocator.cpp's mallopt settings)
//   glibc-arenas2   the same with MALLOC_ARENA_MAX=2
//   glibc-default   glibc's own defaults: the mallopt calls disabled by a preloaded no-op shim
//   glibc-bounded   the shim, plus 2 arenas and fixed 64 KiB mmap / 1 MiB trim thresholds
//   glibc-arenas2-trim  the shim, 2 arenas, 64 MiB trim threshold and top pad, dynamic mmap threshold
//   jemalloc        LD_PRELOAD of Debian's libjemalloc.so.2 (5.3), its defaults
//   jemalloc-tuned  the same with 2 arenas, a background purge thread and 1 s dirty-page decay
//   jemalloc-decay  jemalloc's arenas, the background purge thread and 1 s decay (no arena bound)
//   mimalloc        LD_PRELOAD of Debian's libmimalloc.so.2 (2.0.9), its defaults
//   mimalloc-tuned  the same with pages reset (returned to the OS) at once when freed
// Writes DIR/allocators.json and DIR/allocators.svg (the RSS line of each).
//   flock /tmp/og-build.lock node bench/scale/allocators.mjs --users 200000 [--scans 100]
//        [--clients N] [--only NAME,NAME] [--out DIR] [--build DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeRssLines } from './chart.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const users = opt('--users', '200000'), scans = opt('--scans', '100'), clients = opt('--clients', '1');
const build = opt('--build');
const out = path.resolve(opt('--out', path.join(os.tmpdir(), `omnigraph-alloc-${users}`)));
fs.mkdirSync(out, { recursive: true });

// A no-op mallopt so GLIBC_TUNABLES (read at start-up) are not overridden by tune_allocator.
const shim = path.join(out, 'no_mallopt.so');
fs.writeFileSync(path.join(out, 'no_mallopt.c'), 'int mallopt(int param, int value) { (void)param; (void)value; return 1; }\n');
execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, path.join(out, 'no_mallopt.c')]);
const lib = '/usr/lib/x86_64-linux-gnu';
const settings = {
  'glibc-today': [],
  'glibc-arenas2': ['MALLOC_ARENA_MAX=2'],
  'glibc-default': [`LD_PRELOAD=${shim}`],
  'glibc-bounded': [`LD_PRELOAD=${shim}`,
    'GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=1048576'],
  'glibc-arenas2-trim': [`LD_PRELOAD=${shim}`,
    'GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=67108864:glibc.malloc.top_pad=67108864'],
  jemalloc: [`LD_PRELOAD=${lib}/libjemalloc.so.2`],
  'jemalloc-tuned': [`LD_PRELOAD=${lib}/libjemalloc.so.2`,
    'MALLOC_CONF=background_thread:true,narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0'],
  'jemalloc-decay': [`LD_PRELOAD=${lib}/libjemalloc.so.2`,
    'MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0'],
  mimalloc: [`LD_PRELOAD=${lib}/libmimalloc.so.2`],
  'mimalloc-tuned': [`LD_PRELOAD=${lib}/libmimalloc.so.2`, 'MIMALLOC_PAGE_RESET=1',
    'MIMALLOC_ABANDONED_PAGE_RESET=1', 'MIMALLOC_RESET_DECOMMITS=1', 'MIMALLOC_RESET_DELAY=0'],
};
const only = opt('--only', Object.keys(settings).join(',')).split(',');

const results = [];
for (const name of only) {
  console.error(`== ${name}`);
  const dir = path.join(out, name);
  const r = spawnSync('node', [path.join(here, 'scale_bench.mjs'), '--users', users, '--scans', scans, '--clients', clients,
    '--work', path.join(out, 'work'), '--out', dir, '--no-kuzu', '--server-only', '--label', name, ...(build ? ['--build', build] : []),
    ...settings[name].flatMap((e) => ['--env', e])], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) { console.error(`${name}: scale_bench failed (${r.status})`); continue; }
  const rep = JSON.parse(fs.readFileSync(path.join(dir, 'scale.json'), 'utf8'));
  results.push({ name, env: settings[name], load_seconds: rep.load.omnigraph.seconds,
    load_peak_rss_mb: rep.load.omnigraph.peak_rss_mb, ...rep.server });
}
fs.writeFileSync(path.join(out, 'allocators.json'), JSON.stringify(results, null, 2));
writeRssLines(results.map((r) => ({ name: r.name, rss: r.after_round_rss_mb })),
  `omnigraph-server RSS per allocator, ${Number(users).toLocaleString('en')} users, ${clients} client(s)`, path.join(out, 'allocators.svg'));
const f = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '-');
console.log('| allocator | load s | load peak MB | idle MB | after 1 | after 10 | after 30 | after 60 | after 100 | peak MB | idle 3 s later | growth 60–100 vs 30 | scan ms | top-3 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const a = r.rss_at_rounds_mb;
  console.log(`| ${r.name} | ${f(r.load_seconds, 1)} | ${f(r.load_peak_rss_mb)} | ${f(r.idle_rss_mb)} | ${f(a[1])} | ${f(a[10])} | ${f(a[30])} | ${f(a[60])} | ${f(a[100])} | ${f(r.peak_rss_mb)} | ${f(r.idle_after_3s_rss_mb)} | ` +
    `${r.growth_60_100_vs_30 === undefined ? (r.stopped_at ? `stopped at ${r.stopped_at.round}` : '-') : f(100 * r.growth_60_100_vs_30, 1) + '%'} | ${f(r.scan_median_ms, 1)} | ${f(r.top3_median_ms, 1)} |`);
}
console.log(`wrote ${path.join(out, 'allocators.json')} and ${path.join(out, 'allocators.svg')}`);
