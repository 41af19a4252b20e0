// Kùzu's side of the load benchmark, run as its own process so its peak RSS can be measured:
// `node kuzu_load.mjs DB_DIR` creates the LDBC schema and COPYs every CSV, then prints
// {"rows":N,"seconds":S} (COPY time only, measured inside the process).
import kuzu from 'kuzu';
import { readCopies, datasetDir } from './ldbc.mjs';
import fs from 'node:fs';
import path from 'node:path';

const dbDir = process.argv[2];
const db = new kuzu.Database(dbDir);
const conn = new kuzu.Connection(db);
for (const stmt of fs.readFileSync(path.join(datasetDir, 'schema.cypher'), 'utf8').split(';'))
  if (stmt.trim()) await conn.query(stmt);
let rows = 0;
const start = process.hrtime.bigint();
for (const { table, file } of readCopies()) {
  const result = await conn.query(`COPY ${table} FROM "${file}" (HEADER=true, DELIM='|')`);
  const text = (await result.getAll())[0];
  const m = JSON.stringify(text).match(/(\d+) tuples/);
  if (m) rows += Number(m[1]);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
await conn.close();
await db.close();
console.log(JSON.stringify({ rows, seconds }));
