// The scale benchmark's social graph (issue 17): N `User` nodes with a string key and four scalar
// properties, and two `Follows` edges per user to two other users, from a fixed seed. Written
// once in each engine's load format: our strict JSONL, and Kùzu's CSV (one file per table).
//   node bench/scale/generate.mjs --users N --out DIR [--seed S]
// Files: DIR/social.pg, DIR/social.jsonl, DIR/user.csv, DIR/follows.csv, DIR/kuzu_schema.cypher.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const pgSchema = `node User {
    handle: String @key
    name: String
    age: I32
    city: String
    score: F64
}

edge Follows: User -> User
`;

export const kuzuSchema = [
  'CREATE NODE TABLE User(handle STRING, name STRING, age INT32, city STRING, score DOUBLE, PRIMARY KEY (handle))',
  'CREATE REL TABLE Follows(FROM User TO User)',
];

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret',
  'Ken', 'Dennis', 'Radia', 'Leslie', 'Tony', 'Niklaus', 'Sophie', 'Karen', 'Robin', 'Jim', 'Lynn'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'McCarthy',
  'Hamilton', 'Thompson', 'Ritchie', 'Perlman', 'Lamport', 'Hoare', 'Wirth', 'Wilson', 'Jones'];
const CITIES = ['Berlin', 'Paris', 'Lisbon', 'Madrid', 'Rome', 'Vienna', 'Prague', 'Warsaw', 'Oslo',
  'Dublin', 'Zurich', 'Athens', 'Helsinki', 'Tallinn', 'Riga', 'Sofia', 'Porto', 'Lyon', 'Milan',
  'Munich', 'Hamburg', 'Krakow', 'Ghent', 'Utrecht', 'Bergen', 'Aarhus', 'Turin', 'Seville'];

// mulberry32: small, fast and the same on every machine (bench/peer/search_data.mjs uses it too).
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const handleOf = (i) => `u${String(i).padStart(8, '0')}`;

// Buffered writer: node's stream back-pressure is not needed for a one-shot file.
class Out {
  constructor(file) { this.fd = fs.openSync(file, 'w'); this.parts = []; this.size = 0; }
  write(s) {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 22) this.flush();
  }
  flush() { fs.writeSync(this.fd, this.parts.join('')); this.parts = []; this.size = 0; }
  close() { this.flush(); fs.closeSync(this.fd); }
}

// Writes the four files; returns {users, edges}.
export function generate(users, dir, seed = 17) {
  if (!(users >= 3)) throw new Error('--users must be at least 3');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'social.pg'), pgSchema);
  fs.writeFileSync(path.join(dir, 'kuzu_schema.cypher'), kuzuSchema.join(';\n') + ';\n');
  const rand = rng(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const jsonl = new Out(path.join(dir, 'social.jsonl'));
  const userCsv = new Out(path.join(dir, 'user.csv'));
  const followsCsv = new Out(path.join(dir, 'follows.csv'));
  userCsv.write('handle,name,age,city,score\n');
  followsCsv.write('from,to\n');
  for (let i = 0; i < users; i++) {
    const handle = handleOf(i), name = `${pick(FIRST)} ${pick(LAST)}`;
    const age = 18 + Math.floor(rand() * 63), city = pick(CITIES);
    const score = Math.floor(rand() * 1e6) / 1e3; // three decimals: the same text in both formats
    jsonl.write(`{"type":"User","data":{"handle":"${handle}","name":"${name}","age":${age},"city":"${city}","score":${score}}}\n`);
    userCsv.write(`${handle},${name},${age},${city},${score}\n`);
  }
  let edges = 0;
  for (let i = 0; i < users; i++) {
    const a = (i + 1 + Math.floor(rand() * (users - 1))) % users; // never i
    let b = (i + 1 + Math.floor(rand() * (users - 1))) % users;
    if (b === a) b = (a + 1) % users === i ? (a + 2) % users : (a + 1) % users;
    for (const t of [a, b]) {
      jsonl.write(`{"edge":"Follows","from":"${handleOf(i)}","to":"${handleOf(t)}","data":{}}\n`);
      followsCsv.write(`${handleOf(i)},${handleOf(t)}\n`);
      edges++;
    }
  }
  jsonl.close(); userCsv.close(); followsCsv.close();
  return { users, edges };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
  const out = opt('--out');
  if (!out) { console.error('usage: generate.mjs --users N --out DIR [--seed S]'); process.exit(2); }
  console.log(JSON.stringify(generate(Number(opt('--users', '1000000')), out, Number(opt('--seed', '17')))));
}
