// LanceDB's side of the peer search benchmark (search_bench.mjs), one step per process so that
// each step's peak RSS can be measured. Prints one JSON line.
//   node lancedb_side.mjs baseline                          Node + LanceDB loaded, nothing else
//   node lancedb_side.mjs vectors-build DB DATA_DIR         table from vectors.f32, default index
//   node lancedb_side.mjs vectors-query DB DATA_DIR RUNS [flat]   k=10 per query of queries.f32
//   node lancedb_side.mjs text-build DB DATA_DIR            table from mails.jsonl, FTS index
//   node lancedb_side.mjs text-query DB DATA_DIR RUNS       BM25 top 10 per text_queries.json
// Queries run warm: run 0 of each query is not counted; every counted run's time is reported,
// and run 0's apart (for the first query it includes opening the table and loading the index).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as lancedb from '@lancedb/lancedb';
import { readF32 } from './search_data.mjs';

// The CommonJS build of apache-arrow, the one LanceDB requires: its `instanceof Table` check
// fails for tables made by the ES module build.
const arrow = createRequire(import.meta.url)('apache-arrow');

const [step, dbDir, dataDir, runsText, mode] = process.argv.slice(2);
const runs = Math.max(1, Number(runsText ?? 1));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

// Runs each query run 0..runs (run 0 warms up), returns per query its counted times and rows.
async function timeQueries(queries, run) {
  const out = [];
  for (const q of queries) {
    const times = [];
    let rows, warmup;
    for (let i = 0; i <= runs; i++) {
      const start = now();
      rows = await run(q);
      if (i > 0) times.push(now() - start);
      else warmup = now() - start;
    }
    out.push({ times_ms: times, warmup_ms: warmup, rows });
  }
  return out;
}

async function main() {
  if (step === 'baseline') return { rss_mb: rssMb() };
  const db = await lancedb.connect(dbDir);
  if (step === 'vectors-build') {
    const { rows, dim } = JSON.parse(fs.readFileSync(path.join(dataDir, 'meta.json'), 'utf8'));
    const values = readF32(path.join(dataDir, 'vectors.f32'));
    const child = arrow.makeData({ type: new arrow.Float32(), length: rows * dim, data: values });
    const list = new arrow.FixedSizeList(dim, new arrow.Field('item', new arrow.Float32(), true));
    const table = new arrow.Table({
      id: arrow.makeVector(Int32Array.from({ length: rows }, (_, i) => i)),
      vector: arrow.makeVector(arrow.makeData({ type: list, length: rows, nullCount: 0, child })),
    });
    let start = now();
    const tbl = await db.createTable('vectors', table, { mode: 'overwrite' });
    const createMs = now() - start;
    start = now();
    await tbl.createIndex('vector'); // default for a vector column: IVF_PQ
    await tbl.waitForIndex(['vector_idx'], 3600);
    const indexMs = now() - start;
    return { create_ms: createMs, index_ms: indexMs, rows: await tbl.countRows(), indices: await tbl.listIndices() };
  }
  if (step === 'vectors-query') {
    const { dim } = JSON.parse(fs.readFileSync(path.join(dataDir, 'meta.json'), 'utf8'));
    const qs = readF32(path.join(dataDir, 'queries.f32'));
    const tbl = await db.openTable('vectors');
    const queries = Array.from({ length: qs.length / dim }, (_, q) => qs.slice(q * dim, (q + 1) * dim));
    const results = await timeQueries(queries, async (q) => {
      let query = tbl.query().nearestTo(q).select(['id', '_distance']).limit(10);
      if (mode === 'flat') query = query.bypassVectorIndex();
      return (await query.toArray()).map((r) => r.id);
    });
    return { results, rss_after_mb: rssMb() };
  }
  if (step === 'text-build') {
    const mails = fs.readFileSync(path.join(dataDir, 'mails.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).data);
    const table = new arrow.Table({
      key: arrow.makeVector(Int32Array.from(mails, (m) => m.key)),
      group: arrow.vectorFromArray(mails.map((m) => m.group), new arrow.Utf8()),
      subject: arrow.vectorFromArray(mails.map((m) => m.subject), new arrow.Utf8()),
      body: arrow.vectorFromArray(mails.map((m) => m.body), new arrow.Utf8()),
    });
    let start = now();
    const tbl = await db.createTable('mails', table, { mode: 'overwrite' });
    const createMs = now() - start;
    start = now();
    await tbl.createIndex('body', { config: lancedb.Index.fts() }); // the default FTS settings
    await tbl.waitForIndex(['body_idx'], 3600);
    const indexMs = now() - start;
    return { create_ms: createMs, index_ms: indexMs, rows: await tbl.countRows(), indices: await tbl.listIndices() };
  }
  if (step === 'text-query') {
    const queries = JSON.parse(fs.readFileSync(path.join(dataDir, 'text_queries.json'), 'utf8'));
    const tbl = await db.openTable('mails');
    const results = await timeQueries(queries, async (q) =>
      (await tbl.query().fullTextSearch(q, { columns: 'body' }).select(['key', '_score']).limit(10).toArray()).map((r) => r.key));
    return { results, rss_after_mb: rssMb() };
  }
  throw new Error(`unknown step ${step}`);
}

console.log(JSON.stringify(await main()));
