// An MCP client built on the official TypeScript SDK (@modelcontextprotocol/sdk, in test/peers):
// connects to a served graph's MCP endpoint over streamable HTTP, lists its tools, makes the
// given tool calls and prints one JSON summary on stdout. Usage:
//   node mcp_client.mjs URL TOKEN CALLS
// TOKEN "-" sends no Authorization header; CALLS is a JSON array of {name, arguments}. The
// summary: {server, protocol, tools, calls: [{name, result} | {name, error: {code, message}}]},
// or {connect_error: {code, message}} when the connection is refused. Exits 0 unless it crashed.
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.join(path.dirname(new URL(import.meta.url).pathname),
                                        '../../peers/node_modules/'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } =
  require('@modelcontextprotocol/sdk/client/streamableHttp.js');

const [url, token, callsJson] = process.argv.slice(2);
const headers = token && token !== '-' ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: 'omnigraph-e2e', version: '1.0.0' });
const failure = (e) => ({ code: e.code ?? null, message: String(e.message ?? e) });

const summary = {};
try {
  await client.connect(transport);
} catch (e) {
  console.log(JSON.stringify({ connect_error: failure(e) }));
  process.exit(0);
}
summary.server = client.getServerVersion();
summary.protocol = transport.protocolVersion ?? null;
summary.instructions = client.getInstructions() ?? null;
summary.tools = (await client.listTools()).tools;
summary.calls = [];
for (const { name, arguments: args } of JSON.parse(callsJson ?? '[]')) {
  try {
    summary.calls.push({ name, result: await client.callTool({ name, arguments: args }) });
  } catch (e) {
    summary.calls.push({ name, error: failure(e) });
  }
}
await client.close();
console.log(JSON.stringify(summary));
