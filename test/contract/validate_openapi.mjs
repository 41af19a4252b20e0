// Validates response bodies against an OpenAPI 3.1 document's declared schemas (the wire
// contract test, test/e2e/contract_test.cpp). Usage:
//   node validate_openapi.mjs OPENAPI.json RECORDS.json
// RECORDS.json is an array of
//   {"name", "method", "path": "/graphs/{graph_id}/query", "status": 200, "body": <JSON>}
//     — a live HTTP answer, checked against paths[path][method].responses[status]'s
//       application/json schema (a status the operation does not declare must be an error
//       status, checked against ErrorOutput: spec server-policy §1.2's generic mappings), or
//   {"name", "schema": "SnapshotOutput", "body": <JSON>, "items": true?}
//     — a CLI --json output checked against a named component (each element when `items`).
// Prints one line per record that fails, with ajv's errors; exits 1 when any fails.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname),
                                        '../peers/node_modules/'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const [openapiFile, recordsFile] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(openapiFile, 'utf8'));
const records = JSON.parse(fs.readFileSync(recordsFile, 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI's numeric formats: the ranges are the schemas' own minimum/maximum.
for (const f of ['int32', 'int64', 'uint32', 'uint64', 'uint8', 'uint16', 'int16', 'int8',
                 'double', 'float'])
  ajv.addFormat(f, true);
ajv.addSchema({ ...doc, $id: 'openapi.json' });

const compiled = new Map();
function validator(ref) {
  if (!compiled.has(ref)) compiled.set(ref, ajv.compile({ $ref: 'openapi.json' + ref }));
  return compiled.get(ref);
}
function escape(p) { return p.replace(/~/g, '~0').replace(/\//g, '~1'); }

let failures = 0, checked = 0;
const undeclared = [];
for (const r of records) {
  let ref;
  if (r.schema) {
    ref = `#/components/schemas/${r.schema}`;
  } else {
    const op = doc.paths?.[r.path]?.[r.method.toLowerCase()];
    if (!op) { console.log(`FAIL ${r.name}: ${r.method} ${r.path} is not in the document`); failures++; continue; }
    const resp = op.responses?.[String(r.status)];
    if (!resp) {
      if (r.status < 400) { console.log(`FAIL ${r.name}: ${r.method} ${r.path} does not declare ${r.status}`); failures++; continue; }
      undeclared.push(`${r.method} ${r.path} ${r.status}`);
      ref = '#/components/schemas/ErrorOutput';
    } else {
      const schema = resp.content?.['application/json']?.schema;
      if (!schema) { checked++; continue; } // a body without a JSON schema (NDJSON, bytes)
      ref = `#/paths/${escape(r.path)}/${r.method.toLowerCase()}/responses/${r.status}/content/application~1json/schema`;
    }
  }
  const validate = validator(ref);
  const bodies = r.items ? r.body : [r.body];
  for (const b of bodies) {
    checked++;
    if (!validate(b)) {
      failures++;
      console.log(`FAIL ${r.name}: ${JSON.stringify(validate.errors.slice(0, 4))}\n  body: ${JSON.stringify(b).slice(0, 400)}`);
    }
  }
}
console.log(`checked ${checked} bodies, ${failures} failed` +
            (undeclared.length ? `; statuses the document does not declare (checked as ErrorOutput): ${[...new Set(undeclared)].join(', ')}` : ''));
process.exit(failures ? 1 : 0);
