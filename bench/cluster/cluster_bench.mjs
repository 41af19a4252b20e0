// The control plane at scale (issue 7's benchmark): a generated cluster of N graphs x Q stored
// queries + P policies, driven through the release `omnigraph` binary. Reports wall time and
// peak RSS (GNU time's %M) of every command, and the median of the converged re-plan, which must
// stay under 1 s on local disk; no command may exceed 256 MB.
//
//   node bench/cluster/cluster_bench.mjs [--graphs 100] [--queries 20] [--policies 10] [--runs 5]
//                                        [--binary build/release/src/cli/omnigraph]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const graphs = Number(args.graphs ?? 100);
const queries = Number(args.queries ?? 20);
const policies = Number(args.policies ?? 10);
const runs = Number(args.runs ?? 5);
const binary = resolve(args.binary ?? "build/release/src/cli/omnigraph");

const dir = mkdtempSync(join(tmpdir(), "og-cluster-bench-"));
const cluster = join(dir, "bench");
mkdirSync(join(cluster, "queries"), { recursive: true });

const schema = `node Person {
    name: String @key
    age: I32?
    email: String?
}
node Team {
    name: String @key
}
edge MemberOf: Person -> Team
`;
writeFileSync(join(cluster, "people.pg"), schema);
const id = (g) => `g${String(g).padStart(3, "0")}`;
let yaml = "version: 1\nmetadata:\n  name: bench\ngraphs:\n";
for (let g = 0; g < graphs; ++g) {
  let gq = "";
  for (let q = 0; q < queries; ++q)
    gq += `query q${q}_${id(g)}($name: String) {\n    match {\n        $p: Person { name: $name }\n        $p memberOf $t\n    }\n    return { $p.name, $p.age, $t.name }\n}\n\n`;
  writeFileSync(join(cluster, "queries", `${id(g)}.gq`), gq);
  yaml += `  ${id(g)}:\n    schema: people.pg\n    queries: queries/${id(g)}.gq\n`;
}
yaml += "policies:\n";
for (let p = 0; p < policies; ++p) {
  const bound = [];
  for (let g = p; g < graphs; g += policies) bound.push(id(g));
  writeFileSync(join(cluster, `p${p}.policy.yaml`),
    `version: 1\ngroups:\n  readers: [reader-${p}]\nrules:\n  - id: read-${p}\n    allow:\n      actors: { group: readers }\n      actions: [read, invoke_query]\n`);
  yaml += `  p${p}:\n    file: p${p}.policy.yaml\n    applies_to: [${bound.join(", ")}]\n`;
}
writeFileSync(join(cluster, "cluster.yaml"), yaml);

function run(label, argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", binary, ...argv], { encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssLine = r.stderr.trim().split("\n").pop();
  const rssMb = Number(rssLine) / 1024;
  if (r.status !== 0) {
    console.error(`${label} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    process.exit(1);
  }
  return { label, ms, rssMb };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const c = ["--config", cluster];
const rows = [];
rows.push(run("validate", ["cluster", "validate", ...c]));
rows.push(run("import", ["cluster", "import", ...c]));
rows.push(run("plan (from empty)", ["cluster", "plan", ...c]));
rows.push(run("apply (creates everything)", ["cluster", "apply", ...c]));
const replans = [], reapplies = [];
for (let i = 0; i < runs; ++i) replans.push(run("plan (converged)", ["cluster", "plan", ...c]));
for (let i = 0; i < runs; ++i) reapplies.push(run("apply (converged)", ["cluster", "apply", ...c]));
rows.push(run("status", ["cluster", "status", ...c]));
rows.push(run("refresh", ["cluster", "refresh", ...c]));

console.log(`cluster: ${graphs} graphs x ${queries} stored queries + ${policies} policies (${graphs * queries} query resources)`);
console.log("| command | wall ms | peak RSS MB |\n|---|---:|---:|");
for (const r of rows) console.log(`| ${r.label} | ${r.ms.toFixed(0)} | ${r.rssMb.toFixed(1)} |`);
const replanMs = median(replans.map((r) => r.ms));
const reapplyMs = median(reapplies.map((r) => r.ms));
console.log(`| plan (converged), median of ${runs} | ${replanMs.toFixed(0)} | ${Math.max(...replans.map((r) => r.rssMb)).toFixed(1)} |`);
console.log(`| apply (converged), median of ${runs} | ${reapplyMs.toFixed(0)} | ${Math.max(...reapplies.map((r) => r.rssMb)).toFixed(1)} |`);
const peak = Math.max(...[...rows, ...replans, ...reapplies].map((r) => r.rssMb));
console.log(`converged re-plan ${replanMs < 1000 ? "<" : ">="} 1 s; peak RSS of any command ${peak.toFixed(1)} MB (${peak <= 256 ? "within" : "OVER"} 256 MB)`);
rmSync(dir, { recursive: true, force: true });
if (replanMs >= 1000 || peak > 256) process.exit(1);
