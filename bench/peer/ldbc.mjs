// The LDBC SF0.1 social graph that ships inside the `kuzu` npm package, described once for both
// engines: Kùzu's own schema/COPY statements (dataset/ldbc-sf01/{schema,copy}.cypher) and our
// .pg schema and strict JSONL, derived from the same table list.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const datasetDir = path.join(here, 'node_modules/kuzu/kuzu-source/dataset/ldbc-sf01');

// Kùzu type name -> ours.
const TYPES = { INT64: 'I64', INT32: 'I32', STRING: 'String' };

// Parses schema.cypher: node tables with typed columns, rel tables with endpoints, optional
// properties and a multiplicity.
export function readSchema() {
  const text = fs.readFileSync(path.join(datasetDir, 'schema.cypher'), 'utf8');
  const nodes = [], rels = [];
  for (const line of text.split('\n')) {
    let m = line.match(/create node table (\w+) \((.*), PRIMARY KEY \((\w+)\)\);/i);
    if (m) {
      const columns = m[2].split(',').map((c) => c.trim().split(/\s+/))
        .map(([name, type]) => ({ name, type: TYPES[type.toUpperCase()] }));
      nodes.push({ name: m[1], columns, key: m[3] });
      continue;
    }
    m = line.match(/create rel table (\w+) \(FROM (\w+) TO (\w+)(.*)\);/i);
    if (m) {
      const rest = m[4].split(',').map((s) => s.trim()).filter(Boolean);
      const multiplicity = rest.find((s) => /^(MANY|ONE)_(MANY|ONE)$/.test(s)) || 'MANY_MANY';
      const columns = rest.filter((s) => s !== multiplicity).map((c) => c.split(/\s+/))
        .map(([name, type]) => ({ name, type: TYPES[type.toUpperCase()] }));
      rels.push({ name: m[1], from: m[2], to: m[3], columns, multiplicity });
    }
  }
  return { nodes, rels };
}

// COPY statements: [table, csv file] in Kùzu's order.
export function readCopies() {
  const text = fs.readFileSync(path.join(datasetDir, 'copy.cypher'), 'utf8');
  const out = [];
  for (const m of text.matchAll(/COPY (\w+) FROM "dataset\/ldbc-sf01\/([\w.]+)"/g))
    out.push({ table: m[1], file: path.join(datasetDir, m[2]) });
  return out;
}

// `id` is a reserved property name in .pg: LDBC's id becomes `ldbc_id`, the @key.
const propName = (name) => (name === 'id' ? 'ldbc_id' : name);
// Our type names start with an upper-case letter (`knows` -> `Knows`).
export const typeName = (name) => name[0].toUpperCase() + name.slice(1);

export function pgSchema({ nodes, rels }) {
  let out = '// LDBC SNB SF0.1, converted from the Kùzu package\'s schema.cypher by bench/peer/ldbc.mjs\n';
  for (const n of nodes) {
    out += `node ${n.name} {\n`;
    for (const c of n.columns)
      out += `    ${propName(c.name)}: ${c.type}${c.name === n.key ? ' @key' : '?'}\n`;
    out += '}\n';
  }
  for (const r of rels) {
    // MANY_ONE: at most one edge per source; ONE_MANY: at most one per target (not expressible
    // as @card, which bounds out-degree, so left unchecked on our side).
    const card = r.multiplicity === 'MANY_ONE' ? ' @card(0..1)' : '';
    out += `edge ${typeName(r.name)}: ${r.from} -> ${r.to}${card}`;
    out += r.columns.length ? ` {\n${r.columns.map((c) => `    ${c.name}: ${c.type}?\n`).join('')}}\n` : '\n';
  }
  return out;
}

// Streams every CSV into one strict-JSONL file (nodes first, so endpoints resolve in one load).
export function writeJsonl(schema, copies, outFile) {
  const fd = fs.openSync(outFile, 'w');
  let rows = 0;
  const byName = new Map([...schema.nodes, ...schema.rels].map((t) => [t.name, t]));
  const ordered = [...copies.filter((c) => schema.nodes.some((n) => n.name === c.table)),
                   ...copies.filter((c) => schema.rels.some((r) => r.name === c.table))];
  for (const { table, file } of ordered) {
    const t = byName.get(table);
    const isRel = !!t.from;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const header = lines[0].split('|');
    let chunk = [];
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i]) continue;
      const f = lines[i].split('|');
      if (f.length !== header.length) throw new Error(`${file}:${i + 1}: ${f.length} fields, header has ${header.length}`);
      const data = {};
      const offset = isRel ? 2 : 0;
      t.columns.forEach((c, j) => {
        const v = f[j + offset];
        if (v === '') return;
        data[propName(c.name)] = c.type === 'String' ? v : Number(v);
      });
      chunk.push(JSON.stringify(isRel ? { edge: typeName(table), from: f[0], to: f[1], data } : { type: table, data }));
      rows++;
      if (chunk.length >= 10000) { fs.writeSync(fd, chunk.join('\n') + '\n'); chunk = []; }
    }
    if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  }
  fs.closeSync(fd);
  return rows;
}
