// Kùzu's side of the scale benchmark, always in its own process so its peak RSS and its cold
// start-up are measured (the `kuzu` npm package of bench/peer, Node binding):
//   node kuzu_side.mjs load DB DATA_DIR          -> {"rows":N,"seconds":S} (COPY time only)
//   node kuzu_side.mjs query DB QUERY.json        -> {"rows":[[...]]}  one query, then exit (cold)
//   node kuzu_side.mjs warm DB QUERIES.json RUNS  -> {"name":{"median_ms":M,"rows":[[...]]},...}
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kuzuSchema } from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const kuzu = createRequire(path.join(here, '../peer/package.json'))('kuzu');
const [mode, dbDir, arg, runsText] = process.argv.slice(2);
const plain = (v) => (typeof v === 'bigint' ? Number(v) : v);

async function run(conn, q) {
  const stmt = await conn.prepare(q.cypher);
  const result = await conn.execute(stmt, q.params ?? {});
  return (await result.getAll()).map((r) => Object.values(r).map(plain));
}

if (mode === 'load') {
  const db = new kuzu.Database(dbDir);
  const conn = new kuzu.Connection(db);
  for (const stmt of kuzuSchema) await conn.query(stmt);
  let rows = 0;
  const start = process.hrtime.bigint();
  for (const [table, file] of [['User', 'user.csv'], ['Follows', 'follows.csv']]) {
    const result = await conn.query(`COPY ${table} FROM "${path.join(arg, file)}" (HEADER=true)`);
    const m = JSON.stringify((await result.getAll())[0]).match(/(\d+) tuples/);
    if (m) rows += Number(m[1]);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await conn.close();
  await db.close();
  console.log(JSON.stringify({ rows, seconds }));
} else if (mode === 'query') {
  const db = new kuzu.Database(dbDir, 0, true, true); // read-only
  const conn = new kuzu.Connection(db);
  console.log(JSON.stringify({ rows: await run(conn, JSON.parse(fs.readFileSync(arg, 'utf8'))) }));
  await conn.close();
  await db.close();
} else if (mode === 'warm') {
  const db = new kuzu.Database(dbDir, 0, true, true);
  const conn = new kuzu.Connection(db);
  const runs = Math.max(1, Number(runsText));
  const out = {};
  for (const q of JSON.parse(fs.readFileSync(arg, 'utf8'))) {
    const times = [];
    let rows = [];
    for (let i = 0; i <= runs; i++) { // run 0 warms up and is not counted
      const start = process.hrtime.bigint();
      rows = await run(conn, q);
      if (i > 0) times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    out[q.name] = { median_ms: times[Math.floor(times.length / 2)], rows };
  }
  await conn.close();
  await db.close();
  console.log(JSON.stringify(out));
} else {
  console.error('usage: kuzu_side.mjs load|query|warm DB ARG [RUNS]');
  process.exit(2);
}
