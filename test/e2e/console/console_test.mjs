// Drives the web console of a running omnigraph-server in a real browser: Debian's chromium,
// headless, through puppeteer-core (test/peers). Usage:
//   node console_test.mjs URL/ui GOOD_TOKEN BAD_TOKEN SCREENSHOT.png          (a server with tokens)
//   node console_test.mjs URL/ui "" "" SCREENSHOT.png --open                  (--unauthenticated)
// The example cluster of server_console_test.cpp is expected: graph `knowledge` (listable by
// GOOD_TOKEN's actor when there are tokens) with the extra people, teams, commit and `feature`
// branch the test adds. Every assertion is on the DOM the console built from the live API, compared with what
// the API answers itself. Screenshots: SCREENSHOT (the query view) and SCREENSHOT-schema.png;
// each must be non-blank (decoded here, many distinct colours). Exits 1 naming the first failed
// assertion.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, '../../peers/node_modules/'));
const puppeteer = require('puppeteer-core');

const [url, goodToken, badToken, screenshot, mode] = process.argv.slice(2);
const open = mode === '--open';
const origin = new URL(url).origin;
const GRAPH = 'knowledge';

class Failure extends Error {}
const check = (ok, what, detail) => {
  if (!ok) throw new Failure(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
  console.log(`ok   ${what}`);
};
const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The whole run is bounded: a hung browser fails the test instead of holding it.
const deadline = setTimeout(() => {
  console.log('FAIL the browser test did not finish within 90 s');
  process.exit(1);
}, 90_000);

// The API's own answer, to compare the page with.
async function api(pathname, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${origin}${pathname}`, { headers });
  return { status: res.status, body: await res.json() };
}

// --- a tiny PNG decoder (8-bit RGB/RGBA, not interlaced: what Chromium writes) -------------------
function decodePng(buf) {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!buf.subarray(0, 8).equals(signature)) throw new Failure('screenshot is not a PNG');
  let pos = 8;
  let width = 0; let height = 0; let depth = 0; let colourType = 0; let interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      depth = data[8]; colourType = data[9]; interlace = data[12];
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  if (depth !== 8 || (colourType !== 2 && colourType !== 6) || interlace !== 0)
    throw new Failure(`unexpected PNG format depth=${depth} colour=${colourType} interlace=${interlace}`);
  const bpp = colourType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[x - bpp] : 0;
      const b = prev ? prev[x] : 0;
      const c = prev && x >= bpp ? prev[x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a); const pb = Math.abs(p - b); const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[x] = v & 0xff;
    }
  }
  return { width, height, bpp, pixels };
}

// Distinct colours, and the share of the most common one: a blank or one-colour page fails.
function checkNotBlank(file) {
  const { width, height, bpp, pixels } = decodePng(fs.readFileSync(file));
  const counts = new Map();
  for (let i = 0; i < pixels.length; i += bpp) {
    const key = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const top = Math.max(...counts.values()) / (width * height);
  check(width > 0 && height > 0, `screenshot ${path.basename(file)} is ${width}x${height}`);
  check(counts.size >= 24, `screenshot ${path.basename(file)} has many colours`, counts.size);
  check(top < 0.9, `screenshot ${path.basename(file)} is not one flat colour`, top);
}

// --- the page ----------------------------------------------------------------------------------

const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
});
let exitCode = 0;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1360, height: 900 });
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    const text = m.text();
    // A refused fetch is logged by the browser itself; the wrong token's 401 is expected.
    if (m.type() === 'error' && !text.startsWith('Failed to load resource')) problems.push(`console: ${text}`);
    if (text.includes('Content Security Policy')) problems.push(`CSP violation: ${text}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push(`off-origin request: ${r.url()}`);
  });

  const visible = (selector) => page.waitForSelector(selector, { visible: true });
  const texts = (selector) => page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
  const attrs = (selector, name) => page.$$eval(selector, (els, n) => els.map((e) => e.getAttribute(n)), name);

  const response = await page.goto(url, { waitUntil: 'networkidle0' });
  check(response.status() === 200, 'the console loads', response.status());
  check(/default-src 'none'/.test(response.headers()['content-security-policy'] ?? ''), 'the page has a CSP');
  await visible('#sign-in-form');
  check(await page.$eval('#app', (e) => e.hidden), 'signed out, the app is hidden');

  if (!open) {
    // A wrong token: the 401's message, and no way in.
    await page.type('#token', badToken);
    await page.click('#sign-in-button');
    await visible('#error');
    const error = await page.$eval('#error-text', (e) => e.textContent);
    check(error.includes('401') && error.includes('invalid bearer token'), 'a wrong token shows the 401 message', error);
    check(await page.$eval('#app', (e) => e.hidden), 'a wrong token does not sign in');
    check(await page.evaluate(() => sessionStorage.getItem('omnigraph.console.token')) === null, 'a wrong token is not kept');
    await page.$eval('#token', (e) => { e.value = ''; });
  }

  // Sign in.
  await page.type('#token', goodToken);
  await page.click('#sign-in-button');
  await visible('#app');
  check(await page.$eval('#sign-in-view', (e) => e.hidden), 'signed in, the sign-in form is gone');
  check(await page.$eval('#error', (e) => e.hidden), 'signing in clears the error');

  if (open) {
    // An open server answers GET /graphs 403: the console says so and opens a graph by id.
    const note = await page.$eval('#graph-list-note', (e) => e.textContent);
    check(note.includes('graph_list'), 'an unlistable server says why', note);
    check(await page.evaluate(() => sessionStorage.getItem('omnigraph.console.token')) === '', 'no token is kept');
    await page.type('#open-graph-id', GRAPH);
    await page.click('#open-graph-form button');
  } else {
    // The graph list is the API's.
    const listed = await api('/graphs', goodToken);
    await visible(`#graph-list button[data-graph="${GRAPH}"]`);
    const shown = await attrs('#graph-list button', 'data-graph');
    check(sameList(shown, listed.body.graphs.map((g) => g.graph_id)), 'the graph list is the served graphs', shown);
    check(await page.$eval(`#graph-list button[data-graph="${GRAPH}"]`, (e) => e.classList.contains('active')),
      'the only graph is opened');
  }

  // The schema: a box per node type, an arrow per edge type.
  await visible('#schema-diagram svg .schema-node');
  const nodeTypes = (await attrs('#schema-diagram .schema-node', 'data-type')).sort();
  const edgeTypes = (await attrs('#schema-diagram .schema-edge', 'data-edge')).sort();
  check(sameList(nodeTypes, ['Person', 'Team']), 'the diagram has the node types', nodeTypes);
  check(sameList(edgeTypes, ['Knows', 'MemberOf']), 'the diagram has the edge types', edgeTypes);
  const personText = await page.$eval('#schema-diagram .schema-node[data-type="Person"]', (e) => e.textContent);
  check(personText.includes('name: String') && personText.includes('@key') && personText.includes('email: String?'),
    'the Person box lists its properties and key', personText);
  check(await page.$$eval('#schema-diagram .schema-edge path', (els) => els.every((e) => e.getAttribute('d').length > 10)),
    'every edge type is drawn');
  const box = await page.$eval('#schema-diagram svg', (e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; });
  check(box[0] > 300 && box[1] > 150, 'the diagram is drawn at a readable size', box);
  if (screenshot) {
    const schemaShot = screenshot.replace(/\.png$/, '') + '-schema.png';
    await page.screenshot({ path: schemaShot, fullPage: true });
    checkNotBlank(schemaShot);
  }

  // A query: its rows in the table and its nodes and edges in the picture.
  await page.click('.tabs button[data-tab="query"]');
  await visible('#query-source');
  const query = 'query members() {\n    match {\n        $p: Person\n        $p memberOf $t\n    }\n' +
    '    return { $p.name, $p.role, $t.name }\n    order { $t.name asc, $p.name asc }\n}\n';
  await page.$eval('#query-source', (e, q) => { e.value = q; }, query);
  await page.click('#query-run');
  await visible('#query-result .result-table tbody tr');
  const rows = await page.$$eval('#query-result .result-table tbody tr',
    (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const headers = await texts('#query-result .result-table th');
  check(sameList(headers, ['p.name', 'p.role', 't.name']), 'the table has the columns', headers);
  const expectedRows = [['Ada', 'engineer', 'Compilers'], ['Ken', 'engineer', 'Compilers'],
    ['Linus', 'engineer', 'Platform'], ['Margaret', 'director', 'Platform'], ['Barbara', 'researcher', 'Research'],
    ['Grace', 'admiral', 'Research'], ['Margaret', 'director', 'Research']];
  check(sameList(rows, expectedRows), 'the table has the rows', rows);
  const summary = await page.$eval('#query-result .result-summary', (e) => e.textContent);
  check(summary.startsWith(`${expectedRows.length} row`), 'the summary counts the rows', summary);
  const pictured = await page.$$eval('#query-result .result-node',
    (els) => els.map((e) => `${e.getAttribute('data-type')}:${e.getAttribute('data-id')}`).sort());
  const expectedNodes = [...new Set(expectedRows.flatMap(([p, , t]) => [`Person:${p}`, `Team:${t}`]))].sort();
  check(sameList(pictured, expectedNodes), 'the picture has a node per person and team', pictured);
  const links = await attrs('#query-result .result-edge', 'data-edge');
  check(links.length === expectedRows.length && links.every((l) => l === 'MemberOf'),
    'the picture has a MemberOf edge per row', links);
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
    checkNotBlank(screenshot);
  }

  // A query error is shown with its message.
  await page.$eval('#query-source', (e) => { e.value = 'query broken() { match { $p: Nope } return { $p } }'; });
  await page.click('#query-run');
  await visible('#query-result .error');
  const queryError = await page.$eval('#query-result .error', (e) => e.textContent);
  check(queryError.startsWith('400 bad_request') && queryError.includes('Nope'), 'a bad query shows the 400 message', queryError);

  // Commits and branches: the API's.
  await page.click('.tabs button[data-tab="history"]');
  await visible('#commit-list .commit-row');
  const commits = await api(`/graphs/${GRAPH}/commits?branch=main`, goodToken);
  const shownCommits = await attrs('#commit-list .commit-row', 'data-commit');
  check(commits.status === 200 && sameList(shownCommits, commits.body.commits.map((c) => c.graph_commit_id)),
    'the commit list is main\'s history, newest first', shownCommits);
  check(shownCommits.length >= 2, 'there are commits to show', shownCommits.length);
  const branches = await api(`/graphs/${GRAPH}/branches`, goodToken);
  const shownBranches = await attrs('#branch-list li', 'data-branch');
  check(sameList(shownBranches, branches.body.branches), 'the branch list is the graph\'s branches', shownBranches);
  check(shownBranches.includes('feature') && shownBranches.includes('main'), 'main and feature are listed');
  if (!open) {
    check(await page.$$eval('#commit-list .commit-row td:nth-child(4)', (tds) => tds.some((td) => td.textContent === 'act-editor')),
      'the commit list names the actor of a write');
    // Another branch's history.
    await page.click('#branch-list li[data-branch="feature"]');
    await page.waitForFunction(() => document.querySelector('#commits-branch').textContent === 'feature');
    await visible('#commit-list .commit-row');
    const featureCommits = await api(`/graphs/${GRAPH}/commits?branch=feature`, goodToken);
    const shownFeature = await attrs('#commit-list .commit-row', 'data-commit');
    check(sameList(shownFeature, featureCommits.body.commits.map((c) => c.graph_commit_id)),
      'picking a branch shows its history', shownFeature);
    await page.click('#branch-list li[data-branch="main"]');
    await page.waitForFunction(() => document.querySelector('#commits-branch').textContent === 'main');
  }

  // The stored-query catalog: a form per query; submitting one shows its rows.
  await page.click('.tabs button[data-tab="catalog"]');
  await visible('#catalog .stored-query');
  const catalog = await api(`/graphs/${GRAPH}/queries`, goodToken);
  const shownQueries = await attrs('#catalog .stored-query', 'data-query');
  check(sameList(shownQueries, catalog.body.queries.map((q) => q.name)), 'the catalog lists the stored queries', shownQueries);
  for (const q of catalog.body.queries) {
    const inputs = await attrs(`#catalog form[data-query="${q.name}"] [data-kind]`, 'name');
    check(sameList(inputs, q.params.map((p) => p.name)), `the form of ${q.name} has its parameters`, inputs);
  }
  await page.type('#catalog form[data-query="find_person"] input[name="name"]', 'Ada');
  await page.click('#catalog form[data-query="find_person"] button[type="submit"]');
  await visible('#catalog .stored-query[data-query="find_person"] .result-table tbody tr');
  const found = await page.$$eval('#catalog .stored-query[data-query="find_person"] .result-table tbody tr',
    (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  check(sameList(found, [['Ada', 'engineer', 'ada@example.com']]), 'find_person(Ada) shows Ada', found);
  {
    await page.type('#catalog form[data-query="team_members"] input[name="team"]', 'Research');
    await page.click('#catalog form[data-query="team_members"] button[type="submit"]');
    await visible('#catalog .stored-query[data-query="team_members"] .result-table tbody tr');
    const members = await page.$$eval('#catalog .stored-query[data-query="team_members"] .result-table tbody tr td:first-child',
      (tds) => tds.map((td) => td.textContent));
    check(sameList(members, ['Barbara', 'Grace', 'Margaret']), 'team_members(Research) shows its members', members);
  }
  // A missing required parameter: the API's message, in the form.
  await page.$eval('#catalog form[data-query="find_person"] input[name="name"]', (e) => { e.value = ''; });
  await page.click('#catalog form[data-query="find_person"] button[type="submit"]');
  await visible('#catalog .stored-query[data-query="find_person"] .error');
  const paramError = await page.$eval('#catalog .stored-query[data-query="find_person"] .error', (e) => e.textContent);
  check(paramError.startsWith('400') && paramError.includes("param 'name'"), 'a missing parameter shows the 400 message', paramError);

  // Sign out: the token is gone and the form is back.
  await page.click('#sign-out');
  await visible('#sign-in-form');
  check(await page.evaluate(() => sessionStorage.getItem('omnigraph.console.token')) === null, 'signing out forgets the token');
  check(await page.$eval('#app', (e) => e.hidden), 'signed out, the app is hidden again');

  check(problems.length === 0, 'no script error, CSP violation or off-origin request', problems);
} catch (e) {
  exitCode = 1;
  console.log(`FAIL ${e instanceof Failure ? e.message : e.stack}`);
} finally {
  await browser.close();
  clearTimeout(deadline);
}
process.exit(exitCode);
