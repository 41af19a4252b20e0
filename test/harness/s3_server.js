#!/usr/bin/env node
// A real S3 server for the test suite: @20minutes/s3rver on 127.0.0.1 with its SigV4 signature
// verification on (so a third party checks our signing), plus what it lacks or gets wrong,
// fixed in front of it so that it behaves like S3:
//   - conditional writes: PUT with "If-None-Match: *" -> 412 when the key exists; PUT with
//     "If-Match: <etag>" -> 412 when the key is absent or its ETag differs; DELETE with
//     "If-Match: <etag>" -> 412 when the key's ETag differs (204 when it is absent, as AWS).
//     Every request on one object key is serialized (a per-key queue), so the check and the
//     write are one step and readers never see a half-written object;
//   - ListObjectsV2 in UTF-8 byte order with exact pagination (s3rver walks its directory tree,
//     which puts "a/b" before "a-b");
//   - "Range: bytes=0-0" (s3rver reads end 0 as "to the end"), and any range of an empty object
//     (416 InvalidRange, as S3; s3rver sends a 206 whose body never comes);
//   - an upload lands whole or not at all: s3rver streams a PUT body straight into the object's
//     file, so a client killed mid-upload left a truncated object (or an emptied old one); here
//     the body is read to its end first, an incomplete one stores nothing, and the object file
//     is replaced by a rename.
//
// Test-only fault control (bucket names cannot start with '_', so no S3 path collides):
//   POST /__admin/fault?path=/bucket/key&status=503&count=2[&apply=1][&method=DELETE]
//     the next `count` requests on that path (with `method`, only those of that HTTP method)
//     answer `status` (with apply=1 the request is performed first and its answer replaced: a
//     write that landed but whose reply was lost);
//   GET /__admin/fault?path=...  -> {"remaining": n, "hits": m}
//
// Usage: node s3_server.js --dir DIR [--bucket NAME]... [--port N]
// Prints "S3_ENDPOINT=http://127.0.0.1:PORT" on stdout once listening; exits when stdin closes
// or on SIGTERM/SIGINT, so a test that dies never leaves the server behind.
'use strict';

const crypto = require('crypto');
const fsp = require('fs/promises');
const path = require('path');
const peers = path.join(__dirname, '..', 'peers', 'node_modules', '@20minutes', 's3rver', 'lib');
const S3rver = require(path.join(peers, 's3rver.js'));
const authentication = require(path.join(peers, 'middleware', 'authentication.js'));

function parseArgs(argv) {
  const args = { dir: null, buckets: [], port: 0 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dir') args.dir = argv[++i];
    else if (a === '--bucket') args.buckets.push(argv[++i]);
    else if (a === '--port') args.port = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.dir) throw new Error('--dir is required');
  return args;
}

function xmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);
}

function s3Error(ctx, status, code, message, extra = '') {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${xmlEscape(message)}</Message>${extra}</Error>`;
}

// Path-style addressing: /bucket[/key...] (Koa's ctx.path is still percent-encoded).
function bucketAndKey(ctx) {
  const parts = ctx.path.split('/');
  const bucket = parts[1] ? decodeURIComponent(parts[1]) : '';
  const key = parts.length > 2 ? decodeURIComponent(parts.slice(2).join('/')) : '';
  return { bucket, key };
}

// Per-key promise chains: serialized(key, fn) runs fn after every earlier fn on the same key.
const queues = new Map();
async function serialized(key, fn) {
  const previous = queues.get(key) || Promise.resolve();
  let release;
  const current = new Promise((resolve) => (release = resolve));
  const chained = previous.then(() => current);
  queues.set(key, chained);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (queues.get(key) === chained) queues.delete(key);
  }
}

const faults = new Map(); // path -> {status, remaining, apply, hits}

function faultInjection() {
  return async (ctx, next) => {
    if (ctx.path === '/__admin/fault') {
      const p = ctx.query.path;
      if (ctx.method === 'POST') {
        faults.set(p, {
          status: Number(ctx.query.status || 503),
          remaining: Number(ctx.query.count || 1),
          apply: ctx.query.apply === '1',
          method: ctx.query.method ? String(ctx.query.method).toUpperCase() : null,
          hits: 0,
        });
        ctx.status = 204;
        return;
      }
      const f = faults.get(p) || { remaining: 0, hits: 0 };
      ctx.type = 'application/json';
      ctx.body = JSON.stringify({ remaining: f.remaining, hits: f.hits });
      return;
    }
    const f = faults.get(ctx.path);
    if (!f || f.remaining <= 0 || (f.method && f.method !== ctx.method)) return next();
    f.remaining -= 1;
    f.hits += 1;
    if (f.apply) await next();
    s3Error(ctx, f.status, f.status === 503 ? 'SlowDown' : 'InternalError', 'injected by the test harness');
  };
}

async function currentEtag(store, bucket, key) {
  try {
    const meta = await store.getMetadata(bucket, key);
    return meta && meta.etag ? meta.etag : null;
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

async function objectSize(store, bucket, key) {
  try {
    const meta = await store.getMetadata(bucket, key);
    return meta ? Number(meta['content-length']) : null;
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

function objectRequests(store) {
  const authenticate = authentication();
  return async (ctx, next) => {
    const { bucket, key } = bucketAndKey(ctx);
    if (!bucket || !key) return next();
    return serialized(`${bucket}/${key}`, async () => {
      const ifNoneMatch = ctx.get('if-none-match');
      const ifMatch = ctx.get('if-match');
      const conditionalPut = ctx.method === 'PUT' && (ifNoneMatch || ifMatch);
      const conditionalDelete = ctx.method === 'DELETE' && ifMatch;
      if (conditionalPut || conditionalDelete) {
        // Authenticate first: an unsigned request learns nothing about the key.
        ctx.params = { ...(ctx.params || {}), bucket, key };
        await authenticate(ctx, async () => {});
        if (!(await store.getBucket(bucket))) {
          return s3Error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist',
            `<BucketName>${xmlEscape(bucket)}</BucketName>`);
        }
        const etag = await currentEtag(store, bucket, key);
        const failed = (condition) =>
          s3Error(ctx, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold',
            `<Condition>${condition}</Condition><Key>${xmlEscape(key)}</Key>`);
        if (conditionalDelete) {
          const want = ifMatch.replace(/^W\//, '');
          if (etag !== null && want !== '*' && want !== etag) return failed('If-Match');
          return next(); // absent: s3rver answers 204
        }
        if (ifNoneMatch === '*' && etag !== null) return failed('If-None-Match');
        if (ifMatch) {
          const want = ifMatch.replace(/^W\//, '');
          if (etag === null || (want !== '*' && want !== etag)) return failed('If-Match');
        }
      }
      if (ctx.method === 'GET' && ctx.get('range') && (await objectSize(store, bucket, key)) === 0) {
        // Any range of an empty object is unsatisfiable on S3; s3rver answers a broken 206.
        // (Authentication still runs first, as for every request.)
        await next();
        if (ctx.status !== 200 && ctx.status !== 206) return;
        return s3Error(ctx, 416, 'InvalidRange', 'The requested range is not satisfiable');
      }
      if (ctx.method === 'GET' && /^bytes=0-0$/.test(ctx.get('range'))) {
        // Let s3rver authenticate and serve the whole object, then cut it to the first byte.
        await next();
        if ((ctx.status !== 200 && ctx.status !== 206) || !ctx.body) return;
        const chunks = [];
        for await (const chunk of ctx.body) chunks.push(chunk);
        const whole = Buffer.concat(chunks);
        if (whole.length === 0) return s3Error(ctx, 416, 'InvalidRange', 'The requested range is not satisfiable');
        ctx.status = 206;
        ctx.set('Content-Range', `bytes 0-0/${whole.length}`);
        ctx.body = whole.subarray(0, 1);
        return;
      }
      return next();
    });
  };
}

// ListObjectsV2 in byte order, computed from the store's full key set after s3rver's own
// authentication (s3rver's listing is not used: its order and continuation tokens are wrong).
function listObjectsV2(store) {
  const authenticate = authentication();
  return async (ctx, next) => {
    const { bucket, key } = bucketAndKey(ctx);
    if (ctx.method !== 'GET' || !bucket || key || ctx.query['list-type'] !== '2') return next();
    ctx.params = { ...(ctx.params || {}), bucket };
    await authenticate(ctx, async () => {});
    if (!(await store.getBucket(bucket))) {
      return s3Error(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist',
        `<BucketName>${xmlEscape(bucket)}</BucketName>`);
    }
    const prefix = ctx.query.prefix || '';
    const maxKeys = Math.min(Number(ctx.query['max-keys'] || 1000), 1000);
    let after = ctx.query['start-after'] || '';
    const token = ctx.query['continuation-token'];
    if (token !== undefined) {
      after = Buffer.from(token, 'base64url').toString('utf8');
    }
    const listed = await store.listObjects(bucket, { prefix, maxKeys: Infinity });
    const objects = listed.objects
      .filter((o) => o.key.startsWith(prefix) && Buffer.compare(Buffer.from(o.key), Buffer.from(after)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    const page = objects.slice(0, maxKeys);
    const truncated = objects.length > maxKeys;
    let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
      `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>`;
    if (token !== undefined) xml += `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>`;
    if (truncated) {
      const next = Buffer.from(page[page.length - 1].key, 'utf8').toString('base64url');
      xml += `<NextContinuationToken>${next}</NextContinuationToken>`;
    }
    for (const o of page) {
      xml += `<Contents><Key>${xmlEscape(o.key)}</Key><LastModified>${new Date(o.lastModifiedDate).toISOString()}</LastModified>` +
        `<ETag>${xmlEscape(o.metadata.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    }
    xml += '</ListBucketResult>';
    ctx.type = 'application/xml';
    ctx.body = xml;
  };
}

// Replaces the store's putContent (every PUT and multipart completion goes through it).
function atomicUploads(store) {
  let uploads = 0;
  store.putContent = async (objectPath, content) => {
    let body = content;
    if (!Buffer.isBuffer(content)) {
      const chunks = [];
      for await (const chunk of content) chunks.push(chunk); // throws when the client aborted
      // An IncomingMessage that ended before its Content-Length: S3 stores nothing.
      if (content.complete === false) throw new Error('IncompleteBody: the upload ended early');
      body = Buffer.concat(chunks);
    }
    const temp = `${objectPath}.upload-${process.pid}-${++uploads}`;
    await fsp.writeFile(temp, body);
    await fsp.rename(temp, objectPath);
    return [body.length, crypto.createHash('md5').update(body).digest('hex')];
  };
}

async function main() {
  const args = parseArgs(process.argv);
  const server = new S3rver({
    address: '127.0.0.1',
    port: args.port,
    directory: args.dir,
    silent: true,
    configureBuckets: args.buckets.map((name) => ({ name })),
  });
  // Ours go just before the router (the last middleware), after s3rver's own parsing steps;
  // faults go first (after the logger), ahead of authentication and routing.
  server.middleware.splice(server.middleware.length - 1, 0, listObjectsV2(server.store), objectRequests(server.store));
  server.middleware.splice(1, 0, faultInjection());
  atomicUploads(server.store);
  if (process.env.S3_HARNESS_DEBUG) server.on('error', (err) => process.stderr.write(`s3_server: ${err.stack || err}\n`));
  const address = await server.run();
  process.stdout.write(`S3_ENDPOINT=http://127.0.0.1:${address.port}\n`);
  const stop = () => server.close(() => process.exit(0));
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`s3_server: ${err.stack || err}\n`);
  process.exit(1);
});
