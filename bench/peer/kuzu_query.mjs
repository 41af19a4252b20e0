// Kùzu's side of the peer query benchmark, in its own process so its peak RSS can be measured:
// `node kuzu_query.mjs DB_DIR QUERIES.json RUNS` opens the database once and runs each query
// warm (run 0 not counted); prints {"name": {"median_ms": M, "rows": [[...], ...]}, ...}.
import kuzu from 'kuzu';
import fs from 'node:fs';

const [dbDir, queriesFile, runsText] = process.argv.slice(2);
const runs = Math.max(1, Number(runsText));
const db = new kuzu.Database(dbDir, 0, true, true); // read-only
const conn = new kuzu.Connection(db);
const plain = (v) => (typeof v === 'bigint' ? Number(v) : v);
const out = {};
for (const q of JSON.parse(fs.readFileSync(queriesFile, 'utf8'))) {
  const times = [];
  let rows = [];
  for (let i = 0; i <= runs; i++) {
    const start = process.hrtime.bigint();
    const stmt = await conn.prepare(q.cypher);
    const result = await conn.execute(stmt, q.params ?? {});
    const all = await result.getAll();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i > 0) times.push(ms);
    rows = all.map((r) => Object.values(r).map(plain));
  }
  times.sort((a, b) => a - b);
  out[q.name] = { median_ms: times[Math.floor(times.length / 2)], rows };
}
await conn.close();
await db.close();
console.log(JSON.stringify(out));
