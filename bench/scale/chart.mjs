// Hand-written SVG for the scale benchmark, no libraries: bars of the ours/Kùzu ratios on a log
// scale (1.0 = parity, lower is better) and lines of omnigraph-server's RSS per request.
//   writeChart(report, file)           one run of scale_bench.mjs
//   writeRssLines(series, title, file) several runs' server RSS, e.g. one per allocator:
//                                      series = [{name, rss: [MB after each round]}]
import fs from 'node:fs';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const text = (x, y, s, extra = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${esc(s)}</text>`;

// The ratio bars: one per figure, height by log10(ratio) from the 1.0 line.
function ratioPanel(report, x0, y0, w, h) {
  const bars = [];
  if (report.load?.kuzu) {
    bars.push(['load time', 1 / report.load.ratios.rows_per_second]);
    bars.push(['load peak RSS', report.load.ratios.peak_rss]);
  }
  for (const kind of ['cold', 'warm'])
    for (const [name, e] of Object.entries(report[kind] ?? {}))
      if (e.ratio !== undefined) bars.push([`${kind} ${name}`, e.ratio]);
  const out = [text(x0, y0 - 8, `ours / Kùzu (log scale; below 1.0 = we are faster or smaller)`, 'font-size="13" font-weight="bold"')];
  if (!bars.length) return out.concat(text(x0, y0 + 20, 'no Kùzu figures in this run'));
  const lo = -1, hi = 2; // 0.1x .. 100x
  const y = (r) => y0 + h - ((Math.min(hi, Math.max(lo, Math.log10(r))) - lo) / (hi - lo)) * h;
  for (const t of [0.1, 0.3, 1, 3, 10, 30, 100]) {
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="${t === 1 ? '#000' : '#ddd'}" stroke-width="${t === 1 ? 1.5 : 1}"/>`);
    out.push(text(x0 - 6, y(t) + 4, `${t}×`, 'font-size="11" text-anchor="end"'));
  }
  const bw = w / bars.length;
  bars.forEach(([name, r], i) => {
    const x = x0 + i * bw + bw * 0.15, top = Math.min(y(r), y(1)), bottom = Math.max(y(r), y(1));
    out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${Math.max(1, bottom - top).toFixed(1)}" fill="${r <= 1 ? '#2ca02c' : '#d62728'}"/>`);
    out.push(text(x + bw * 0.35, top - 4, r.toFixed(2), 'font-size="10" text-anchor="middle"'));
    out.push(text(x + bw * 0.35, y0 + h + 12, name, `font-size="10" text-anchor="end" transform="rotate(-40 ${(x + bw * 0.35).toFixed(1)} ${(y0 + h + 12).toFixed(1)})"`));
  });
  return out;
}

// RSS lines: x = request number, y = MB.
function rssPanel(series, title, x0, y0, w, h) {
  const out = [text(x0, y0 - 8, title, 'font-size="13" font-weight="bold"')];
  const n = Math.max(2, ...series.map((s) => s.rss.length));
  const top = Math.max(100, ...series.flatMap((s) => s.rss.filter(Number.isFinite))) * 1.1;
  const step = 10 ** Math.floor(Math.log10(top / 2));
  const tick = top / step > 10 ? step * 2 : step;
  for (let v = 0; v <= top; v += tick) {
    const y = y0 + h - (v / top) * h;
    out.push(`<line x1="${x0}" x2="${x0 + w}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>`);
    out.push(text(x0 - 6, y + 4, `${v} MB`, 'font-size="11" text-anchor="end"'));
  }
  out.push(text(x0 + w / 2, y0 + h + 28, 'round (a limit-3 scan and a top-3 per client)', 'font-size="11" text-anchor="middle"'));
  series.forEach((s, i) => {
    const pts = s.rss.map((v, j) => `${(x0 + (j / (n - 1)) * w).toFixed(1)},${(y0 + h - (v / top) * h).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8"/>`);
    out.push(`<rect x="${x0 + 10}" y="${y0 + 8 + i * 16}" width="12" height="3" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(text(x0 + 28, y0 + 13 + i * 16, s.name, 'font-size="11"'));
  });
  return out;
}

const svg = (width, height, parts) => `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">\n` +
  `<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;

export function writeChart(report, file) {
  const title = `OmniGraph scale benchmark: ${report.users.toLocaleString('en')} users, ${report.edges.toLocaleString('en')} Follows (${report.label})`;
  const rss = report.server?.after_round_rss_mb ?? [];
  const parts = [text(20, 24, title, 'font-size="15" font-weight="bold"'),
    ...ratioPanel(report, 70, 60, 480, 280),
    ...rssPanel([{ name: 'omnigraph-server VmRSS after each round', rss }], 'server RSS over repeated scans', 680, 60, 420, 280)];
  fs.writeFileSync(file, svg(1140, 460, parts));
}

export function writeRssLines(series, title, file) {
  fs.writeFileSync(file, svg(760, 420, [...rssPanel(series, title, 80, 40, 640, 320)]));
}
