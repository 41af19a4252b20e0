// Drives a running omnigraph-server through a client generated from the OpenAPI document it
// serves (swagger-client, the Swagger project's JS client: it builds every operation, its
// parameters and its request body from the document). Usage:
//   node generated_client.mjs http://127.0.0.1:PORT READER_TOKEN EDITOR_TOKEN
// Exits 1 (printing why) unless every call answers as the contract says.
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname),
                                        '../peers/node_modules/'));
const SwaggerClient = require('swagger-client');

const [base, readerToken, editorToken] = process.argv.slice(2);
const spec = await (await fetch(`${base}/openapi.json`)).json();
const client = (token) =>
  SwaggerClient({ spec, authorizations: { bearer_token: { value: token } } });
const reader = await client(readerToken);
const editor = await client(editorToken);
const call = async (c, operationId, parameters, requestBody) => {
  try {
    return await c.execute({ operationId, parameters, requestBody,
                             server: base, requestInterceptor: (req) => {
                               req.url = req.url.replace(/^\/+/, `${base}/`); return req; } });
  } catch (e) {
    return e.response ?? { status: 0, body: String(e) };
  }
};

const failures = [];
const expect = (what, ok, detail) => { if (!ok) failures.push(`${what}: ${JSON.stringify(detail)}`); };

if (!spec.components?.schemas?.ReadOutput) failures.push('the served document has no component schemas');
const ops = Object.values(spec.paths).flatMap((p) => Object.values(p).map((o) => o.operationId));
for (const id of ['health', 'cluster_getSnapshot', 'cluster_query', 'cluster_invoke_query',
                  'cluster_mutate', 'cluster_listCommits', 'cluster_getSchema'])
  expect(`operation ${id} in the document`, ops.includes(id), ops);

let r = await call(reader, 'health', {});
expect('health', r.status === 200 && r.body.status === 'ok', r.body);
r = await call(reader, 'cluster_getSnapshot', { graph_id: 'knowledge', branch: 'main' });
expect('getSnapshot', r.status === 200 && Array.isArray(r.body.datasets), r.body);
r = await call(reader, 'cluster_query', { graph_id: 'knowledge' },
               { query: 'query q($n: String) { match { $p: Person { name: $n } } return { $p.name } }',
                 params: { n: 'Ada' } });
expect('query', r.status === 200 && r.body.rows?.[0]?.['p.name'] === 'Ada', r.body);
r = await call(reader, 'cluster_invoke_query', { graph_id: 'knowledge', name: 'find_person' },
               { params: { name: 'Ada' } });
expect('invoke_query', r.status === 200 && r.body.row_count === 1, r.body);
r = await call(editor, 'cluster_mutate', { graph_id: 'knowledge' },
               { query: 'query m($n: String) { insert Person { name: $n } }', params: { n: 'Gen' } });
expect('mutate', r.status === 200 && r.body.affected_nodes === 1 && r.body.commit, r.body);
r = await call(reader, 'cluster_mutate', { graph_id: 'knowledge' },
               { query: 'query m($n: String) { insert Person { name: $n } }', params: { n: 'Gen' } });
expect('mutate as a reader', r.status === 403 && r.body.code === 'forbidden', r);
r = await call(reader, 'cluster_listCommits', { graph_id: 'knowledge' });
expect('listCommits', r.status === 200 && r.body.commits.length >= 2, r.body);
r = await call(reader, 'cluster_getSchema', { graph_id: 'knowledge' });
expect('getSchema', r.status === 200 && r.body.schema_source.includes('node Person'), r.body);

if (failures.length) {
  console.log(failures.join('\n'));
  process.exit(1);
}
console.log(`generated client: ${ops.length} operations, every call answered as documented`);
