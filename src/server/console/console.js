// The OmniGraph web console. It talks only to the server's JSON API (docs/server.md) with the
// bearer token the user signed in with, kept in this tab's sessionStorage. No framework, no
// build step: the DOM and inline SVG, laid out here. Served under a strict CSP, so no inline
// handlers: every event is wired with addEventListener.
'use strict';

(() => {
  const TOKEN_KEY = 'omnigraph.console.token';
  const SIGNED_IN_KEY = 'omnigraph.console.signedIn';
  const GRAPH_KEY = 'omnigraph.console.graph';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const MAX_PICTURE_NODES = 150;
  const PALETTE = ['#2f6fde', '#f0a73a', '#1f9d74', '#c2417a', '#7a5bd6', '#d8572a', '#2a9bb0',
    '#8a8f2e', '#5f6b7d', '#b8860b'];

  const $ = (id) => document.getElementById(id);

  // --- small DOM helpers ----------------------------------------------------------------------

  // An HTML element: `attrs` are attributes, except `text` (its text) and `class`.
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function svg(tag, attrs = {}, parent = null) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, String(v));
    }
    if (parent) parent.appendChild(e);
    return e;
  }

  function arrowMarker(root, id) {
    const defs = svg('defs', {}, root);
    const marker = svg('marker', {
      id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8,
      orient: 'auto-start-reverse',
    }, defs);
    svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }, marker);
  }

  function shorten(text, max) {
    const s = String(text);
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
  }

  function formatMicros(us) {
    if (typeof us !== 'number') return String(us ?? '');
    return new Date(us / 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  }

  // --- the API ----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
    describe() {
      const code = this.code ? ` ${this.code}` : '';
      return `${this.status}${code}: ${this.message}`;
    }
  }

  function token() { return sessionStorage.getItem(TOKEN_KEY) ?? ''; }

  async function api(method, path, body, tokenOverride) {
    const headers = { Accept: 'application/json' };
    const t = tokenOverride ?? token();
    if (t !== '') headers.Authorization = `Bearer ${t}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', `cannot reach the server: ${e.message}`);
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!res.ok) {
      const message = json && typeof json.error === 'string' ? json.error
        : (text || res.statusText || 'request failed');
      throw new ApiError(res.status, json && json.code, message);
    }
    return json;
  }

  const graphPath = (graph, rest) => `/graphs/${encodeURIComponent(graph)}${rest}`;

  function showError(err) {
    const text = err instanceof ApiError ? err.describe() : String(err && err.message || err);
    $('error-text').textContent = text;
    $('error').hidden = false;
  }
  function clearError() { $('error').hidden = true; $('error-text').textContent = ''; }

  function errorBox(err) {
    return el('div', { class: 'error', role: 'alert',
      text: err instanceof ApiError ? err.describe() : String(err && err.message || err) });
  }

  // --- the schema: a small reader of the .pg language (docs/schema.md) ----------------------

  function tokenizeSchema(src) {
    const tokens = [];
    let i = 0;
    while (i < src.length) {
      const c = src[i];
      if (/\s/.test(c)) { i++; continue; }
      if (src.startsWith('//', i)) {
        const j = src.indexOf('\n', i);
        i = j < 0 ? src.length : j;
        continue;
      }
      if (src.startsWith('/*', i)) {
        const j = src.indexOf('*/', i + 2);
        i = j < 0 ? src.length : j + 2;
        continue;
      }
      if (c === '"') {
        let j = i + 1;
        let value = '';
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\\' && j + 1 < src.length) { value += src[j + 1]; j += 2; } else { value += src[j]; j++; }
        }
        tokens.push({ t: 'str', v: value });
        i = j + 1;
        continue;
      }
      if (src.startsWith('->', i)) { tokens.push({ t: 'sym', v: '->' }); i += 2; continue; }
      const word = /^[A-Za-z0-9_]+/.exec(src.slice(i, i + 256));
      if (word) { tokens.push({ t: 'word', v: word[0] }); i += word[0].length; continue; }
      tokens.push({ t: 'sym', v: c });
      i++;
    }
    return tokens;
  }

  // {nodes: [{name, props: [{name, type}], keys, description}], edges: [{name, from, to, card,
  // props}]}. Lenient: the server has already checked the schema; this only reads it.
  function parseSchema(src) {
    const tk = tokenizeSchema(src);
    let p = 0;
    const peek = () => tk[p];
    const next = () => tk[p++];
    const isSym = (t, v) => t !== undefined && t.t === 'sym' && t.v === v;
    const skipBalanced = (open, close) => {
      let depth = 0;
      do {
        const t = next();
        if (t === undefined) return;
        if (isSym(t, open)) depth++;
        else if (isSym(t, close)) depth--;
      } while (depth > 0);
    };
    const annotations = () => {
      const out = [];
      while (isSym(peek(), '@')) {
        next();
        const name = next()?.v;
        let args = [];
        let text = null;
        if (isSym(peek(), '(')) {
          const start = p;
          skipBalanced('(', ')');
          const inner = tk.slice(start + 1, p - 1);
          args = inner.filter((t) => t.t === 'word').map((t) => t.v);
          text = inner.find((t) => t.t === 'str')?.v ?? null;
        }
        out.push({ name, args, text });
      }
      return out;
    };
    const readType = () => {
      const t = next();
      if (t === undefined) return '';
      let s;
      if (isSym(t, '[')) {
        s = `[${readType()}]`;
        if (isSym(peek(), ']')) next();
      } else {
        s = t.v;
        if (isSym(peek(), '(')) {
          const start = p;
          skipBalanced('(', ')');
          s += `(${tk.slice(start + 1, p - 1).filter((x) => x.t === 'word').map((x) => x.v).join(', ')})`;
        }
      }
      if (isSym(peek(), '?')) { next(); s += '?'; }
      return s;
    };
    const body = () => {
      const props = [];
      const keys = [];
      if (!isSym(peek(), '{')) return { props, keys };
      next();
      while (peek() !== undefined && !isSym(peek(), '}')) {
        if (isSym(peek(), '@')) {
          for (const a of annotations()) if (a.name === 'key') keys.push(...a.args);
          continue;
        }
        const name = next();
        if (name.t === 'word' && isSym(peek(), ':')) {
          next();
          const type = readType();
          for (const a of annotations()) {
            if (a.name === 'key') keys.push(...(a.args.length ? a.args : [name.v]));
          }
          props.push({ name: name.v, type });
        }
      }
      next();
      return { props, keys };
    };

    const interfaces = {};
    const nodes = [];
    const edges = [];
    while (p < tk.length) {
      const t = next();
      if (t.t !== 'word' || peek()?.t !== 'word') continue;
      if (t.v === 'interface') {
        const name = next().v;
        interfaces[name] = body();
      } else if (t.v === 'node') {
        const name = next().v;
        const ann = annotations();
        const impl = [];
        if (peek()?.v === 'implements') {
          next();
          impl.push(next()?.v);
          while (isSym(peek(), ',')) { next(); impl.push(next()?.v); }
        }
        ann.push(...annotations());
        const b = body();
        nodes.push({ name, implements: impl, props: b.props, keys: b.keys,
          description: ann.find((a) => a.name === 'description')?.text ?? null });
      } else if (t.v === 'edge') {
        const name = next().v;
        if (isSym(peek(), ':')) next();
        const from = next()?.v;
        if (isSym(peek(), '->')) next();
        const to = next()?.v;
        const ann = annotations();
        const card = ann.find((a) => a.name === 'card');
        const b = body();
        edges.push({ name, from, to, card: card ? card.args.join('..') : null, props: b.props });
      }
    }
    for (const n of nodes) {
      const inherited = n.implements.flatMap((i) => interfaces[i]?.props ?? []);
      const inheritedKeys = n.implements.flatMap((i) => interfaces[i]?.keys ?? []);
      n.props = [...inherited, ...n.props];
      n.keys = [...inheritedKeys, ...n.keys];
    }
    return { nodes, edges };
  }

  // --- the schema diagram -------------------------------------------------------------------

  const textWidth = (s, px) => s.length * px;

  function drawSchema(schema) {
    const root = svg('svg', { class: 'schema-svg', role: 'img', 'aria-label': 'schema diagram' });
    arrowMarker(root, 'schema-arrow');
    const edgeLayer = svg('g', { class: 'edges' }, root);
    const nodeLayer = svg('g', { class: 'nodes' }, root);
    if (schema.nodes.length === 0) {
      svg('text', { x: 20, y: 30, class: 'empty', text: 'This schema declares no node types.' }, root);
      root.setAttribute('viewBox', '0 0 400 60');
      return root;
    }

    // Boxes: a header with the type's name, then one line per property.
    const boxes = new Map();
    for (const n of schema.nodes) {
      const lines = n.props.map((pr) => `${pr.name}: ${pr.type}${n.keys.includes(pr.name) ? ' @key' : ''}`);
      const w = Math.max(150, textWidth(n.name, 9) + 32, ...lines.map((l) => textWidth(l, 7.4) + 24));
      const h = 30 + Math.max(1, lines.length) * 18 + 8;
      boxes.set(n.name, { node: n, w, h, x: 0, y: 0 });
    }
    // Laid out on a circle (a row for two), far enough apart for the widest box.
    const list = [...boxes.values()];
    const maxW = Math.max(...list.map((b) => b.w));
    const maxH = Math.max(...list.map((b) => b.h));
    if (list.length === 1) {
      list[0].x = 0; list[0].y = 0;
    } else if (list.length === 2) {
      list[0].x = -(maxW / 2 + 120); list[0].y = 0;
      list[1].x = maxW / 2 + 120; list[1].y = 0;
    } else {
      const r = Math.max(220, (list.length * (maxW + 80)) / (2 * Math.PI));
      list.forEach((b, i) => {
        const a = -Math.PI / 2 + (2 * Math.PI * i) / list.length;
        b.x = Math.cos(a) * r * 1.25;
        b.y = Math.sin(a) * r * 0.85;
      });
    }

    // Where the segment from a box's centre toward `to` leaves the box.
    const exitPoint = (b, to) => {
      const dx = to.x - b.x;
      const dy = to.y - b.y;
      if (dx === 0 && dy === 0) return { x: b.x, y: b.y };
      const t = Math.min(Math.abs(dx) > 1e-9 ? (b.w / 2 + 4) / Math.abs(dx) : Infinity,
        Math.abs(dy) > 1e-9 ? (b.h / 2 + 4) / Math.abs(dy) : Infinity);
      return { x: b.x + dx * t, y: b.y + dy * t };
    };
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    const grow = (x, y) => { minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); };
    for (const b of list) { grow(b.x - b.w / 2, b.y - b.h / 2); grow(b.x + b.w / 2, b.y + b.h / 2); }

    const label = (group, x, y, text) => {
      const w = textWidth(text, 7.2) + 12;
      svg('rect', { class: 'label-bg', x: x - w / 2, y: y - 10, width: w, height: 19, rx: 9 }, group);
      svg('text', { x, y: y + 4, 'text-anchor': 'middle', text }, group);
      grow(x - w / 2, y - 12); grow(x + w / 2, y + 12);
    };

    // Edges between the same two types fan out; a type's edges to itself are loops above it.
    const pairCount = new Map();
    const pairIndex = new Map();
    const pairKey = (e) => [e.from, e.to].sort().join('\u0000');
    for (const e of schema.edges) pairCount.set(pairKey(e), (pairCount.get(pairKey(e)) ?? 0) + 1);
    for (const e of schema.edges) {
      const a = boxes.get(e.from);
      const b = boxes.get(e.to);
      const g = svg('g', { class: 'schema-edge', 'data-edge': e.name }, edgeLayer);
      svg('title', { text: `${e.name}: ${e.from} -> ${e.to}${e.card ? ` @card(${e.card})` : ''}` }, g);
      const text = e.card ? `${e.name} ${e.card}` : e.name;
      if (!a || !b) continue;
      const key = pairKey(e);
      const k = pairIndex.get(key) ?? 0;
      pairIndex.set(key, k + 1);
      if (a === b) {
        const lift = 60 + k * 28;
        const x1 = a.x + a.w / 4;
        const top = a.y - a.h / 2 - 4;
        const right = a.x + a.w / 2 + 4;
        const y2 = a.y - a.h / 2 + 18;
        svg('path', { d: `M ${x1} ${top} C ${x1} ${top - lift} ${right + lift} ${y2 - lift / 2} ${right} ${y2}`,
          'marker-end': 'url(#schema-arrow)' }, g);
        label(g, x1 + (right - x1) * 0.75 + lift * 0.35, top - lift * 0.6, text);
        grow(right + lift, top - lift);
        continue;
      }
      const m = pairCount.get(key);
      const sign = e.from < e.to ? 1 : -1;
      const offset = (k - (m - 1) / 2) * 54 * sign;
      const mx = (a.x + b.x) / 2;
      const my = (a.y + b.y) / 2;
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const ctrl = { x: mx - ((b.y - a.y) / len) * offset, y: my + ((b.x - a.x) / len) * offset };
      const s = exitPoint(a, ctrl);
      const t = exitPoint(b, ctrl);
      svg('path', { d: `M ${s.x} ${s.y} Q ${ctrl.x} ${ctrl.y} ${t.x} ${t.y}`, 'marker-end': 'url(#schema-arrow)' }, g);
      label(g, 0.25 * s.x + 0.5 * ctrl.x + 0.25 * t.x, 0.25 * s.y + 0.5 * ctrl.y + 0.25 * t.y, text);
    }

    for (const b of list) {
      const n = b.node;
      const g = svg('g', { class: 'schema-node', 'data-type': n.name,
        transform: `translate(${b.x - b.w / 2} ${b.y - b.h / 2})` }, nodeLayer);
      if (n.description) svg('title', { text: `${n.name}: ${n.description}` }, g);
      svg('rect', { class: 'box', width: b.w, height: b.h, rx: 8 }, g);
      svg('rect', { class: 'head', width: b.w, height: 28, rx: 8 }, g);
      svg('rect', { class: 'head', y: 14, width: b.w, height: 14 }, g);
      svg('text', { class: 'name', x: 12, y: 19, text: n.name }, g);
      if (n.props.length === 0) svg('text', { class: 'type', x: 12, y: 48, text: '(no properties)' }, g);
      n.props.forEach((pr, i) => {
        const isKey = n.keys.includes(pr.name);
        const t = svg('text', { class: isKey ? 'prop key' : 'prop', x: 12, y: 48 + i * 18 }, g);
        svg('tspan', { text: pr.name }, t);
        svg('tspan', { class: 'type', text: `: ${pr.type}` }, t);
        if (isKey) svg('tspan', { class: 'keytag', text: ' @key' }, t);
      });
    }
    const pad = 24;
    root.setAttribute('viewBox', `${minX - pad} ${minY - pad} ${maxX - minX + 2 * pad} ${maxY - minY + 2 * pad}`);
    root.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    root.dataset.nodeCount = String(schema.nodes.length);
    root.dataset.edgeCount = String(schema.edges.length);
    // Keep small schemas from being blown up to the full width.
    root.style.maxWidth = `${Math.max(480, (maxX - minX + 2 * pad) * 1.15)}px`;
    root.style.margin = '0 auto';
    return root;
  }

  // --- results: a table and a node-link picture ---------------------------------------------

  function cellText(v) {
    if (v === null || v === undefined) return null;
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }

  function resultTable(columns, rows) {
    const thead = el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { text: c }))));
    const tbody = el('tbody');
    for (const row of rows) {
      tbody.append(el('tr', {}, ...columns.map((c) => {
        const text = cellText(row[c]);
        return text === null ? el('td', {}, el('span', { class: 'null', text: 'null' })) : el('td', { text });
      })));
    }
    return el('div', { class: 'table-wrap' }, el('table', { class: 'data result-table' }, thead, tbody));
  }

  // What a read's source says about its rows: the type of each `$v: Type` binding and each
  // traversal `$a edge $b` (also `$a $w:edge $b`, `<edge>` and hop bounds).
  function readMatch(source) {
    const text = source.replace(/\/\/[^\n]*/g, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const types = {};
    for (const m of text.matchAll(/\$(\w+)\s*:\s*([A-Z]\w*)/g)) types[m[1]] = m[2];
    const traversals = [];
    const re = /\$(\w+)\s+(?:\$\w+\s*:\s*)?<?([a-z_]\w*)>?(?:\s*\{[^}]*\})?\s+\$(\w+)/g;
    for (const m of text.matchAll(re)) {
      if (['contains', 'starts_with'].includes(m[2])) continue;
      traversals.push({ from: m[1], edge: m[2], to: m[3] });
    }
    return { types, traversals };
  }

  // The nodes and edges a result's rows show: each match variable with a column (`p` or
  // `p.prop`) is a node per distinct value, and each traversal between two of them an edge.
  function resultGraph(columns, rows, source, schema) {
    const { types, traversals } = readMatch(source ?? '');
    const schemaEdges = new Map((schema?.edges ?? []).map((e) => [e.name.toLowerCase(), e]));
    const keyOf = new Map((schema?.nodes ?? []).map((n) => [n.name, n.keys]));
    // Types the traversals imply for untyped variables.
    for (const t of traversals) {
      const e = schemaEdges.get(t.edge.toLowerCase());
      if (!e) continue;
      if (!types[t.from] && !types[t.to]) { types[t.from] = e.from; types[t.to] = e.to; }
      else if (!types[t.from]) types[t.from] = types[t.to] === e.to ? e.from : e.to;
      else if (!types[t.to]) types[t.to] = types[t.from] === e.from ? e.to : e.from;
    }
    // Each variable's identity column: the bare variable (its key), else its key property,
    // else its first property column.
    const vars = new Map();
    for (const c of columns) {
      const dot = c.indexOf('.');
      const v = dot < 0 ? c : c.slice(0, dot);
      const prop = dot < 0 ? null : c.slice(dot + 1);
      if (dot < 0 && !(v in types) && !traversals.some((t) => t.from === v || t.to === v)) continue;
      const type = types[v] ?? v;
      const entry = vars.get(v) ?? { type, column: null, rank: 9 };
      const keys = keyOf.get(type) ?? [];
      const rank = prop === null ? 0 : keys.includes(prop) ? 1 : 2;
      if (rank < entry.rank) { entry.column = c; entry.rank = rank; }
      vars.set(v, entry);
    }
    const nodes = new Map();
    const links = new Map();
    for (const row of rows) {
      const here = {};
      for (const [v, info] of vars) {
        const value = row[info.column];
        if (value === null || value === undefined) continue;
        const id = `${info.type}\u0000${cellText(value)}`;
        if (!nodes.has(id)) {
          if (nodes.size >= MAX_PICTURE_NODES) continue;
          nodes.set(id, { id, type: info.type, label: cellText(value), x: 0, y: 0 });
        }
        here[v] = id;
      }
      for (const t of traversals) {
        if (!here[t.from] || !here[t.to]) continue;
        let [from, to] = [here[t.from], here[t.to]];
        const e = schemaEdges.get(t.edge.toLowerCase());
        const name = e ? e.name : t.edge;
        if (e && nodes.get(from).type !== e.from && nodes.get(to).type === e.from) [from, to] = [to, from];
        const id = `${from}\u0001${name}\u0001${to}`;
        if (!links.has(id)) links.set(id, { from, to, edge: name });
      }
    }
    return { nodes: [...nodes.values()], links: [...links.values()], truncated: nodes.size >= MAX_PICTURE_NODES };
  }

  // A force-directed layout: nodes repel, links pull to a rest length, gravity keeps the centre.
  function forceLayout(nodes, links) {
    const n = nodes.length;
    nodes.forEach((node, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, n);
      node.x = Math.cos(a) * 150;
      node.y = Math.sin(a) * 150;
    });
    if (n < 2) return;
    const byId = new Map(nodes.map((node) => [node.id, node]));
    const steps = 300;
    for (let step = 0; step < steps; step++) {
      const heat = 1 - step / steps;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const a = nodes[i];
          const b = nodes[j];
          let dx = a.x - b.x;
          let dy = a.y - b.y;
          let d2 = dx * dx + dy * dy;
          if (d2 < 1) { dx = Math.random() - 0.5; dy = Math.random() - 0.5; d2 = 1; }
          const d = Math.sqrt(d2);
          const f = Math.min(30, 9000 / d2) * heat;
          a.x += (dx / d) * f; a.y += (dy / d) * f;
          b.x -= (dx / d) * f; b.y -= (dy / d) * f;
        }
      }
      for (const l of links) {
        const a = byId.get(l.from);
        const b = byId.get(l.to);
        if (a === b) continue;
        const dx = b.x - a.x;
        const dy = b.y - a.y;
        const d = Math.hypot(dx, dy) || 1;
        const f = (d - 140) * 0.08 * heat;
        a.x += (dx / d) * f; a.y += (dy / d) * f;
        b.x -= (dx / d) * f; b.y -= (dy / d) * f;
      }
      for (const node of nodes) { node.x *= 1 - 0.02 * heat; node.y *= 1 - 0.02 * heat; }
    }
  }

  function drawResultGraph(graph, markerId) {
    const root = svg('svg', { class: 'result-graph', role: 'img', 'aria-label': 'result nodes and edges' });
    arrowMarker(root, markerId);
    forceLayout(graph.nodes, graph.links);
    const types = [...new Set(graph.nodes.map((n) => n.type))];
    const colour = (type) => PALETTE[types.indexOf(type) % PALETTE.length];
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const r = 16;
    const edgeLayer = svg('g', {}, root);
    for (const l of graph.links) {
      const a = byId.get(l.from);
      const b = byId.get(l.to);
      const g = svg('g', { class: 'result-edge', 'data-edge': l.edge }, edgeLayer);
      svg('title', { text: `${a.label} ${l.edge} ${b.label}` }, g);
      const d = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const ux = (b.x - a.x) / d;
      const uy = (b.y - a.y) / d;
      svg('line', { x1: a.x + ux * r, y1: a.y + uy * r, x2: b.x - ux * (r + 3), y2: b.y - uy * (r + 3),
        'marker-end': `url(#${markerId})` }, g);
      svg('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 5, 'text-anchor': 'middle', text: l.edge }, g);
    }
    const nodeLayer = svg('g', {}, root);
    for (const n of graph.nodes) {
      const g = svg('g', { class: 'result-node', 'data-type': n.type, 'data-id': n.label,
        transform: `translate(${n.x} ${n.y})` }, nodeLayer);
      svg('title', { text: `${n.type} ${n.label}` }, g);
      svg('circle', { r, fill: colour(n.type) }, g);
      svg('text', { y: r + 15, 'text-anchor': 'middle', text: shorten(n.label, 22) }, g);
    }
    const xs = graph.nodes.map((n) => n.x);
    const ys = graph.nodes.map((n) => n.y);
    const pad = 60;
    const minX = Math.min(...xs) - pad - 40;
    const minY = Math.min(...ys) - pad;
    const w = Math.max(...xs) - Math.min(...xs) + 2 * pad + 80;
    const h = Math.max(...ys) - Math.min(...ys) + 2 * pad;
    // At least the pane's size in pixels: a small graph is not blown up.
    const vw = Math.max(w, 520);
    const vh = Math.max(h, 400);
    const vx = minX - (vw - w) / 2;
    const vy = minY - (vh - h) / 2;
    root.setAttribute('viewBox', `${vx} ${vy} ${vw} ${vh}`);
    const legend = svg('g', { class: 'legend' }, root);
    types.forEach((type, i) => {
      const y = vy + 20 + i * 16;
      svg('circle', { cx: vx + 14, cy: y - 4, r: 5, fill: colour(type) }, legend);
      svg('text', { x: vx + 24, y, text: type }, legend);
    });
    return root;
  }

  // A read's answer (ReadOutput) or a mutation's (ChangeOutput), rendered into `target`.
  function renderOutput(target, out, source, markerId) {
    target.replaceChildren();
    if (out && Array.isArray(out.rows)) {
      const columns = out.columns ?? [...new Set(out.rows.flatMap((r) => Object.keys(r)))];
      const commit = out.graph_commit_id ? ` at commit ${out.graph_commit_id}` : '';
      target.append(el('p', { class: 'result-summary',
        text: `${out.row_count} row${out.row_count === 1 ? '' : 's'} from ${out.query_name}${commit}` }));
      const graph = resultGraph(columns, out.rows, source, state.schema);
      // A picture says something when it has edges or nodes of the schema's types; a stored
      // query's rows (whose source the catalog does not give) are only a table.
      const known = new Set((state.schema?.nodes ?? []).map((n) => n.name));
      const drawable = graph.links.length > 0 || graph.nodes.some((n) => known.has(n.type));
      if (source === null && !drawable) {
        target.append(el('div', { class: 'result-panes' }, resultTable(columns, out.rows)));
        return;
      }
      const pane = el('div', { class: 'graph-pane' });
      if (graph.nodes.length > 0 && drawable) {
        pane.append(drawResultGraph(graph, markerId));
        if (graph.truncated) pane.append(el('p', { class: 'muted small note', text: `Showing the first ${MAX_PICTURE_NODES} nodes.` }));
      } else {
        pane.append(el('p', { class: 'muted note', text: 'No nodes to draw: return a node variable or its properties (e.g. $p.name) to see a picture.' }));
      }
      target.append(el('div', { class: 'result-panes' }, resultTable(columns, out.rows), pane));
      return;
    }
    if (out && 'affected_nodes' in out) {
      const c = out.commit;
      target.append(el('p', { class: 'result-summary mutation-summary',
        text: `${out.query_name}: ${out.affected_nodes} node(s) and ${out.affected_edges} edge(s) changed on ${out.branch}`
          + (c ? `, commit ${c.graph_commit_id}` : ', nothing to commit') }));
      return;
    }
    target.append(el('pre', { class: 'source', text: JSON.stringify(out, null, 2) }));
  }

  // --- state and views ------------------------------------------------------------------------

  const state = { graph: null, schema: null, branch: 'main', branches: ['main'], tab: 'schema', loadSeq: 0 };

  function setSignedIn(signedIn) {
    $('sign-in-view').hidden = signedIn;
    $('app').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    const t = token();
    $('whoami').textContent = signedIn ? (t === '' ? 'no token (open server)' : 'signed in with a token') : '';
  }

  async function signIn(candidate) {
    clearError();
    // A wrong token is refused (401) by any authenticated route; GET /graphs also lists the
    // graphs when the cluster-bound policy allows the caller graph_list.
    let list = null;
    let listError = null;
    try {
      list = await api('GET', '/graphs', undefined, candidate);
    } catch (e) {
      if (e.status === 401 || e.status === 0) {
        sessionStorage.removeItem(TOKEN_KEY);
        sessionStorage.removeItem(SIGNED_IN_KEY);
        setSignedIn(false);
        showError(e);
        $('token').focus();
        return;
      }
      listError = e;
    }
    sessionStorage.setItem(TOKEN_KEY, candidate);
    sessionStorage.setItem(SIGNED_IN_KEY, '1');
    setSignedIn(true);
    renderGraphList(list, listError);
    const wanted = new URLSearchParams(location.hash.slice(1)).get('graph')
      ?? sessionStorage.getItem(GRAPH_KEY)
      ?? (list && list.graphs.length > 0 ? list.graphs[0].graph_id : null);
    if (wanted) await openGraph(wanted);
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(SIGNED_IN_KEY);
    sessionStorage.removeItem(GRAPH_KEY);
    state.graph = null;
    state.schema = null;
    clearError();
    $('graph-list').replaceChildren();
    $('graph-view').hidden = true;
    $('no-graph').hidden = false;
    $('token').value = '';
    setSignedIn(false);
    $('token').focus();
  }

  function renderGraphList(list, listError) {
    const ul = $('graph-list');
    ul.replaceChildren();
    const note = $('graph-list-note');
    if (list) {
      for (const g of list.graphs) {
        const b = el('button', { type: 'button', 'data-graph': g.graph_id, title: g.uri },
          g.graph_id, el('span', { class: 'uri', text: g.uri }));
        b.addEventListener('click', () => openGraph(g.graph_id));
        ul.append(el('li', {}, b));
      }
      note.hidden = list.graphs.length > 0;
      note.textContent = 'The server serves no graph.';
    } else {
      note.hidden = false;
      note.textContent = listError.status === 403
        ? 'Listing graphs needs graph_list (a cluster-bound policy); open one by its id below.'
        : `Cannot list graphs: ${listError.describe()}`;
    }
  }

  function markActiveGraph() {
    for (const b of $('graph-list').querySelectorAll('button')) {
      b.classList.toggle('active', b.dataset.graph === state.graph);
    }
  }

  async function openGraph(id) {
    clearError();
    const seq = ++state.loadSeq;
    state.graph = id;
    state.schema = null;
    state.branch = 'main';
    sessionStorage.setItem(GRAPH_KEY, id);
    history.replaceState(null, '', `#graph=${encodeURIComponent(id)}`);
    markActiveGraph();
    $('graph-title').textContent = id;
    $('no-graph').hidden = true;
    $('graph-view').hidden = false;
    $('query-result').replaceChildren();
    $('catalog').replaceChildren();
    $('commit-list').replaceChildren();
    $('schema-diagram').replaceChildren(el('p', { class: 'muted', text: 'Loading the schema…' }));
    await Promise.all([loadBranches(seq), loadSchema(seq)]);
    if (seq !== state.loadSeq) return;
    await Promise.all([loadCommits(), loadCatalog()]);
    selectTab(state.tab);
  }

  async function loadSchema(seq) {
    try {
      const out = await api('GET', graphPath(state.graph, '/schema'));
      if (seq !== state.loadSeq) return;
      const schema = parseSchema(out.schema_source);
      state.schema = schema;
      $('schema-source').textContent = out.schema_source;
      $('schema-summary').textContent =
        `${schema.nodes.length} node type${schema.nodes.length === 1 ? '' : 's'}, ` +
        `${schema.edges.length} edge type${schema.edges.length === 1 ? '' : 's'} on main`;
      $('schema-diagram').replaceChildren(drawSchema(schema));
      if ($('query-source').value.trim() === '' || $('query-source').dataset.generated === '1') {
        $('query-source').value = sampleQuery(schema);
        $('query-source').dataset.generated = '1';
      }
    } catch (e) {
      if (seq !== state.loadSeq) return;
      $('schema-diagram').replaceChildren(errorBox(e));
      $('schema-summary').textContent = '';
      showError(e);
    }
  }

  // A first query for the editor: one edge type's pairs, else one node type's rows.
  function sampleQuery(schema) {
    const keyOf = (type) => {
      const n = schema.nodes.find((x) => x.name === type);
      return n ? (n.keys[0] ?? n.props[0]?.name ?? null) : null;
    };
    const e = schema.edges.find((x) => keyOf(x.from) && keyOf(x.to));
    if (e) {
      const verb = e.name[0].toLowerCase() + e.name.slice(1);
      return `query sample() {\n    match {\n        $a: ${e.from}\n        $a ${verb} $b\n    }\n` +
        `    return { $a.${keyOf(e.from)}, $b.${keyOf(e.to)} }\n    limit 50\n}\n`;
    }
    const n = schema.nodes[0];
    if (n) {
      const props = n.props.slice(0, 4).map((p) => `$n.${p.name}`).join(', ') || '$n';
      return `query sample() {\n    match { $n: ${n.name} }\n    return { ${props} }\n    limit 50\n}\n`;
    }
    return '';
  }

  async function loadBranches(seq) {
    let branches = ['main'];
    try {
      const out = await api('GET', graphPath(state.graph, '/branches'));
      if (Array.isArray(out.branches) && out.branches.length > 0) branches = out.branches;
    } catch (e) {
      if (seq === state.loadSeq) showError(e);
    }
    if (seq !== state.loadSeq) return;
    state.branches = branches;
    if (!branches.includes(state.branch)) state.branch = branches.includes('main') ? 'main' : branches[0];
    const select = $('branch-select');
    select.replaceChildren(...branches.map((b) => el('option', { value: b, text: b, selected: b === state.branch })));
    renderBranchList();
  }

  function renderBranchList() {
    const ul = $('branch-list');
    ul.replaceChildren();
    for (const b of state.branches) {
      const li = el('li', { 'data-branch': b, class: b === state.branch ? 'active' : '', text: b, tabindex: 0 });
      li.addEventListener('click', () => setBranch(b));
      li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') setBranch(b); });
      ul.append(li);
    }
  }

  async function setBranch(b) {
    state.branch = b;
    $('branch-select').value = b;
    renderBranchList();
    await loadCommits();
  }

  async function loadCommits() {
    const target = $('commit-list');
    $('commits-branch').textContent = state.branch;
    try {
      const out = await api('GET', graphPath(state.graph, `/commits?branch=${encodeURIComponent(state.branch)}`));
      const head = el('tr', {}, ...['commit', 'branch', 'version', 'actor', 'created', 'parent']
        .map((c) => el('th', { text: c })));
      const body = el('tbody');
      for (const c of out.commits) {
        const parents = [c.parent_commit_id, c.merged_parent_commit_id].filter(Boolean).join(' + ');
        body.append(el('tr', { class: 'commit-row', 'data-commit': c.graph_commit_id },
          el('td', { class: 'commit-id', text: c.graph_commit_id }),
          el('td', { text: c.graph_branch }),
          el('td', { text: c.graph_manifest_version }),
          el('td', {}, c.actor_id ? c.actor_id : el('span', { class: 'null', text: 'none' })),
          el('td', { text: formatMicros(c.created_at) }),
          el('td', { class: 'commit-id', text: parents || '—' })));
      }
      target.replaceChildren(
        el('p', { class: 'muted small', text: `${out.commits.length} commit${out.commits.length === 1 ? '' : 's'}, newest first` }),
        el('div', { class: 'table-wrap' }, el('table', { class: 'data commit-table' }, el('thead', {}, head), body)));
    } catch (e) {
      target.replaceChildren(errorBox(e));
    }
  }

  async function runQuery(ev) {
    ev.preventDefault();
    const target = $('query-result');
    let params;
    try {
      const text = $('query-params').value.trim();
      params = text === '' ? {} : JSON.parse(text);
      if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new Error('parameters must be a JSON object');
    } catch (e) {
      target.replaceChildren(errorBox(new Error(`Parameters: ${e.message}`)));
      return;
    }
    const source = $('query-source').value;
    target.replaceChildren(el('p', { class: 'muted', text: 'Running…' }));
    try {
      const out = await api('POST', graphPath(state.graph, '/query'), { query: source, params, branch: state.branch });
      renderOutput(target, out, source, 'query-arrow');
    } catch (e) {
      target.replaceChildren(errorBox(e));
    }
  }

  // --- the stored-query catalog ---------------------------------------------------------------

  function paramInput(q, p) {
    const id = `param-${q.name}-${p.name}`;
    const kind = p.kind === 'list' ? `list of ${p.item_kind}` : p.kind === 'vector' ? `vector(${p.vector_dim ?? ''})` : p.kind;
    const label = el('label', { for: id }, `${p.name} `, el('span', { class: 'muted', text: `${kind}${p.nullable ? ', optional' : ''}` }));
    let input;
    if (p.kind === 'bool') {
      input = el('select', { id, name: p.name },
        ...(p.nullable ? [el('option', { value: '', text: '(null)' })] : []),
        el('option', { value: 'true', text: 'true' }), el('option', { value: 'false', text: 'false' }));
    } else if (p.kind === 'int' || p.kind === 'float') {
      input = el('input', { id, name: p.name, type: 'number', step: p.kind === 'int' ? '1' : 'any' });
    } else if (p.kind === 'date') {
      input = el('input', { id, name: p.name, type: 'date' });
    } else if (p.kind === 'list' || p.kind === 'vector') {
      input = el('input', { id, name: p.name, type: 'text', placeholder: 'JSON array, e.g. ["a", "b"]', spellcheck: 'false' });
    } else {
      input = el('input', { id, name: p.name, type: 'text', spellcheck: 'false',
        placeholder: p.kind === 'datetime' ? '2026-01-31T12:00:00Z' : p.kind === 'bigint' ? 'an integer' : '' });
    }
    input.dataset.kind = p.kind;
    input.dataset.nullable = p.nullable ? '1' : '';
    return el('div', { class: 'param' }, label, input);
  }

  // The params object a catalog form describes. An empty field is left out: null for an
  // optional parameter, and the server's "missing required parameter" for another.
  function formParams(form) {
    const params = {};
    for (const input of form.querySelectorAll('[data-kind]')) {
      const raw = input.value;
      const kind = input.dataset.kind;
      if (raw === '') continue;
      if (kind === 'bool') params[input.name] = raw === 'true';
      else if (kind === 'int' || kind === 'float') params[input.name] = Number(raw);
      else if (kind === 'bigint') params[input.name] = /^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
      else if (kind === 'list' || kind === 'vector') params[input.name] = JSON.parse(raw);
      else params[input.name] = raw;
    }
    return params;
  }

  async function loadCatalog() {
    const target = $('catalog');
    try {
      const out = await api('GET', graphPath(state.graph, '/queries'));
      if (out.queries.length === 0) {
        target.replaceChildren(el('p', { class: 'muted', text: 'This graph has no stored queries.' }));
        return;
      }
      target.replaceChildren(...out.queries.map((q) => {
        const result = el('div', { class: 'result' });
        const form = el('form', { class: 'stored-query-form', 'data-query': q.name },
          ...q.params.map((p) => paramInput(q, p)),
          el('button', { type: 'submit', text: q.mutation ? 'Run mutation' : 'Run' }));
        form.addEventListener('submit', async (ev) => {
          ev.preventDefault();
          let params;
          try { params = formParams(form); } catch (e) {
            result.replaceChildren(errorBox(new Error(`Parameters: ${e.message}`)));
            return;
          }
          result.replaceChildren(el('p', { class: 'muted', text: 'Running…' }));
          try {
            const answer = await api('POST', graphPath(state.graph, `/queries/${encodeURIComponent(q.name)}`),
              { params, branch: state.branch });
            renderOutput(result, answer, null, `stored-arrow-${q.name}`);
          } catch (e) {
            result.replaceChildren(errorBox(e));
          }
        });
        return el('article', { class: 'card stored-query', 'data-query': q.name },
          el('h3', {}, q.name, el('span', { class: q.mutation ? 'badge mutation' : 'badge', text: q.mutation ? 'mutation' : 'read' })),
          q.description ? el('p', { class: 'muted small', text: q.description }) : null,
          q.instruction ? el('p', { class: 'small', text: q.instruction }) : null,
          q.params.length === 0 ? el('p', { class: 'muted small', text: 'No parameters.' }) : null,
          form, result);
      }));
    } catch (e) {
      target.replaceChildren(errorBox(e));
    }
  }

  // --- tabs and wiring ------------------------------------------------------------------------

  function selectTab(tab) {
    state.tab = tab;
    for (const b of document.querySelectorAll('.tabs button')) {
      b.setAttribute('aria-selected', b.dataset.tab === tab ? 'true' : 'false');
    }
    for (const name of ['schema', 'query', 'history', 'catalog']) $(`tab-${name}`).hidden = name !== tab;
  }

  function init() {
    for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => selectTab(b.dataset.tab));
    $('sign-in-form').addEventListener('submit', (ev) => { ev.preventDefault(); signIn($('token').value); });
    $('sign-out').addEventListener('click', signOut);
    $('error-close').addEventListener('click', clearError);
    $('open-graph-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const id = $('open-graph-id').value.trim();
      if (id) openGraph(id);
    });
    $('query-form').addEventListener('submit', runQuery);
    $('query-source').addEventListener('input', () => { $('query-source').dataset.generated = ''; });
    $('query-source').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) $('query-form').requestSubmit();
    });
    $('branch-select').addEventListener('change', () => setBranch($('branch-select').value));
    selectTab('schema');
    api('GET', '/healthz', undefined, '').then((h) => {
      $('server-version').textContent = `server ${h.version}`;
    }).catch(() => {});
    if (sessionStorage.getItem(SIGNED_IN_KEY) === '1') {
      signIn(token());
    } else {
      setSignedIn(false);
      $('token').focus();
    }
  }

  document.addEventListener('DOMContentLoaded', init);
})();
