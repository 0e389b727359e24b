/**
 * The bucket, the cache sync and the S3 run store against a real S3-protocol server (s3rver, in this
 * process, on a free 127.0.0.1 port; one per file, tiny objects), every expectation read back with the AWS
 * SDK directly or from s3rver's files on disk, not through the code under test. A torn object (bytes that
 * do not match the ETag served with them, as some servers serve while a PUT is in progress) is made by
 * rewriting s3rver's stored bytes behind its back: its stored MD5, served as the ETag, stays the old one.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bucket, endpointFromEnv, isS3Url, parseS3Url } from './bucket.js';
import { RunMirror } from './mirror.js';
import { defaultCacheDir, S3RunStore } from './s3RunStore.js';
import { freePort } from '../../testing/ports.js';
import { checkoutRun, publishTree, syncTree } from './sync.js';

const BUCKET = 'team';
const ENV_KEYS = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'XDG_CACHE_HOME'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
let root = '';
let store = '';
let endpoint = '';
let server: S3rver;
let client: S3Client;
let counter = 0;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'opto-s3edges-'));
  store = path.join(root, 's3rver');
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: store, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' });
  client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  for (const k of ENV_KEYS) if (savedEnv[k] === undefined) delete process.env[k];
  else process.env[k] = savedEnv[k];
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh prefix (and local directory) per test, so tests share the server but nothing else. */
function fresh(): { prefix: string; local: string } {
  counter++;
  const local = path.join(root, `local-${counter}`);
  return { prefix: `t${counter}`, local };
}
/** A fresh prefix and a bucket connected to it. */
async function freshBucket(): Promise<{ prefix: string; local: string; b: Bucket }> {
  const f = fresh();
  return { ...f, b: await connect(`s3://${BUCKET}/${f.prefix}`) };
}

const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');

async function sdkPut(key: string, body: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}
async function sdkGet(key: string): Promise<string> {
  const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray()).toString();
}
async function sdkKeys(prefix: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}
/** Rewrite the stored bytes of `key` behind s3rver's back: it keeps serving the old MD5 as the ETag. */
function tear(key: string, body: string): void {
  const parts = key.split('/');
  const name = parts.pop()!;
  fs.writeFileSync(path.join(store, BUCKET, ...parts, `${name}._S3rver_object`), body);
}
async function connect(url: string): Promise<Bucket> {
  return Bucket.connect(parseS3Url(url));
}
const read = (f: string) => fs.readFileSync(f, 'utf8');
/** Every file under dir, relative, sorted. */
function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
}

describe('s3 URLs', () => {
  it('isS3Url: only the s3:// scheme, any case, at the start', () => {
    expect(isS3Url('s3://b/p')).toBe(true);
    expect(isS3Url('S3://b')).toBe(true);
    expect(isS3Url('xs3://b')).toBe(false);
    expect(isS3Url('runs/s3://b')).toBe(false);
    expect(isS3Url('s3:/b')).toBe(false);
  });

  it('parseS3Url splits bucket and prefix and normalises slashes', () => {
    expect(parseS3Url('s3://my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b', url: 's3://my-bucket/a/b' });
    expect(parseS3Url('s3://my.bucket')).toEqual({ bucket: 'my.bucket', prefix: '', url: 's3://my.bucket' });
    expect(parseS3Url('s3://abc/')).toEqual({ bucket: 'abc', prefix: '', url: 's3://abc' });
    expect(parseS3Url('S3://abc//x//y//')).toEqual({ bucket: 'abc', prefix: 'x//y', url: 's3://abc/x//y' });
    expect(parseS3Url(`s3://${'a'.repeat(63)}/p`).bucket).toBe('a'.repeat(63));
  });

  it('parseS3Url refuses what is not a bucket URL, naming the flag and the value', () => {
    expect(() => parseS3Url('http://b/p')).toThrow(/^--runs http:\/\/b\/p: expected s3:\/\/bucket\/prefix$/);
    expect(() => parseS3Url('s3://b/p?x', '--to')).toThrow(/^--to s3:\/\/b\/p\?x: expected s3:\/\/bucket\/prefix$/);
    expect(() => parseS3Url('s3://b#x/p')).toThrow(/expected s3:\/\/bucket\/prefix$/);
    expect(() => parseS3Url('s3:///p')).toThrow(/expected s3:\/\/bucket\/prefix$/);
    expect(() => parseS3Url('xs3://abc/p')).toThrow(/expected s3:\/\/bucket\/prefix$/);
    const badName = /: '.*' is not a valid bucket name \(3-63 lower-case letters, digits, dots, hyphens\)$/;
    expect(() => parseS3Url('s3://ab/p')).toThrow(/^--runs s3:\/\/ab\/p: 'ab' is not a valid bucket name/);
    expect(() => parseS3Url(`s3://${'a'.repeat(64)}`)).toThrow(badName);
    expect(() => parseS3Url('s3://Team/p')).toThrow(badName);
    expect(() => parseS3Url('s3://-ab/p')).toThrow(badName);
    expect(() => parseS3Url('s3://ab-/p')).toThrow(badName);
    expect(() => parseS3Url('s3://a_b/p')).toThrow(badName);
    expect(() => parseS3Url('s3://xab_/p')).toThrow(badName);
    expect(() => parseS3Url('s3://_abx/p')).toThrow(badName);
    const dots = /^--runs s3:\/\/abc\/.*: the prefix may not contain \. or \.\. segments$/;
    expect(() => parseS3Url('s3://abc/a/../b')).toThrow(dots);
    expect(() => parseS3Url('s3://abc/./b')).toThrow(dots);
    expect(() => parseS3Url('s3://abc/a/..')).toThrow(dots);
    expect(parseS3Url('s3://abc/a.b/..c').prefix).toBe('a.b/..c');
    expect(parseS3Url('s3://abc///x//').prefix).toBe('x');
  });

  it('endpointFromEnv: the S3-specific variable first, then the general one; empty means none', () => {
    try {
      process.env.AWS_ENDPOINT_URL_S3 = 'http://s3-only:1';
      process.env.AWS_ENDPOINT_URL = 'http://general:2';
      expect(endpointFromEnv()).toBe('http://s3-only:1');
      process.env.AWS_ENDPOINT_URL_S3 = '';
      expect(endpointFromEnv()).toBe('http://general:2');
      process.env.AWS_ENDPOINT_URL = '';
      expect(endpointFromEnv()).toBeUndefined();
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
  });

  it('defaultCacheDir: one directory per endpoint host, bucket and prefix', () => {
    try {
      process.env.XDG_CACHE_HOME = '/c';
      process.env.AWS_ENDPOINT_URL = 'http://minio.lan:9000/x';
      expect(defaultCacheDir('s3://abc/p/q')).toBe(path.join('/c', 'optoscope', 's3', 'minio.lan_9000', 'abc', 'p', 'q'));
      process.env.AWS_ENDPOINT_URL = 'http://[::1]:9000';
      expect(defaultCacheDir('s3://abc')).toBe(path.join('/c', 'optoscope', 's3', '___1__9000', 'abc'));
      process.env.AWS_ENDPOINT_URL = 'not a url';
      expect(defaultCacheDir('s3://abc/p')).toBe(path.join('/c', 'optoscope', 's3', 'custom', 'abc', 'p'));
      delete process.env.AWS_ENDPOINT_URL;
      expect(defaultCacheDir('s3://abc/p')).toBe(path.join('/c', 'optoscope', 's3', 'aws', 'abc', 'p'));
      delete process.env.XDG_CACHE_HOME;
      expect(defaultCacheDir('s3://abc')).toBe(path.join(os.homedir(), '.cache', 'optoscope', 's3', 'aws', 'abc'));
      expect(() => defaultCacheDir('/local/runs')).toThrow(/expected s3:\/\/bucket\/prefix/);
    } finally {
      delete process.env.XDG_CACHE_HOME;
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
  });
});

describe('Bucket against s3rver', () => {
  it('connect: the endpoint from the environment (path-style addressing), AWS S3 without one; the region from the environment', async () => {
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const b = await connect(`s3://${BUCKET}/x`);
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true'); // the SDK's Node 22 notice is not for our users
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'no';
    (await connect(`s3://${BUCKET}/x`)).destroy();
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('no'); // a user's own setting stays
    expect(b.endpoint).toBe(endpoint);
    expect((b as unknown as { client: S3Client }).client.config.forcePathStyle).toBe(true);
    // path-style is what makes a bucket on 127.0.0.1 reachable at all: host-style would ask team.127.0.0.1
    await b.put('k', new Uint8Array([1]));
    expect(await sdkKeys('x')).toEqual(['x/k']);
    b.destroy();
    const cfg = (x: Bucket) => (x as unknown as { client: S3Client }).client.config;
    try {
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.AWS_REGION;
      const aws = await connect('s3://abc/p');
      expect(aws.endpoint).toBe('AWS S3');
      expect(cfg(aws).forcePathStyle).toBe(false);
      expect(await cfg(aws).region()).toBe('us-east-1');
      expect(await cfg(aws).maxAttempts()).toBe(4);
      aws.destroy();
      process.env.AWS_DEFAULT_REGION = 'eu-west-3';
      const def = await connect('s3://abc/p');
      expect(await cfg(def).region()).toBe('eu-west-3');
      def.destroy();
      process.env.AWS_REGION = 'auto';
      const r2 = await connect('s3://abc/p');
      expect(await cfg(r2).region()).toBe('auto');
      r2.destroy();
    } finally {
      delete process.env.AWS_DEFAULT_REGION;
      process.env.AWS_REGION = 'us-east-1';
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
  });

  it('key: under the prefix, or bare at the root', async () => {
    const b = await connect(`s3://${BUCKET}/a/b`);
    expect(b.key('r/run.json')).toBe('a/b/r/run.json');
    const top = await connect(`s3://${BUCKET}`);
    expect(top.key('r/run.json')).toBe('r/run.json');
    b.destroy();
    top.destroy();
  });

  it('put, get and getWhole carry the bytes; list gives keys relative to the prefix, ETags as MD5s, sizes', async () => {
    const { prefix, b } = await freshBucket();
    await b.put('r/a.txt', new TextEncoder().encode('hello'));
    await b.put('r/sub/b.bin', new Uint8Array([0, 1, 2]));
    await b.put('r2/c.txt', new TextEncoder().encode('x'));
    await b.put('top.txt', new TextEncoder().encode('top!'));
    expect(await sdkGet(`${prefix}/r/a.txt`)).toBe('hello');
    expect(Buffer.from(await b.get('r/a.txt')).toString()).toBe('hello');
    const whole = await b.getWhole('r/sub/b.bin');
    expect([...whole!.body]).toEqual([0, 1, 2]);
    expect(whole!.etag).toBe(md5(new Uint8Array([0, 1, 2])));
    const byKey = (l: { key: string }[]) => [...l].sort((x, y) => x.key.localeCompare(y.key));
    expect(byKey(await b.list('r'))).toEqual([
      { key: 'r/a.txt', etag: md5('hello'), size: 5 },
      { key: 'r/sub/b.bin', etag: md5(new Uint8Array([0, 1, 2])), size: 3 },
    ]);
    // a trailing slash means the same; 'r' never takes 'r2' with it
    expect(byKey(await b.list('r/')).map((o) => o.key)).toEqual(['r/a.txt', 'r/sub/b.bin']);
    expect(byKey(await b.list()).map((o) => o.key)).toEqual(['r/a.txt', 'r/sub/b.bin', 'r2/c.txt', 'top.txt']);
    const top = await connect(`s3://${BUCKET}`);
    expect((await top.list(`${prefix}/r2`)).map((o) => o.key)).toEqual([`${prefix}/r2/c.txt`]);
    b.destroy();
    top.destroy();
  });

  it('getWhole: null when the bytes do not match the ETag served with them', async () => {
    const { prefix, b } = await freshBucket();
    await b.put('f', new TextEncoder().encode('aaaa'));
    tear(`${prefix}/f`, 'bbbb');
    expect(await b.getWhole('f')).toBeNull();
    // get() does not look: it returns what it was served
    expect(Buffer.from(await b.get('f')).toString()).toBe('bbbb');
    b.destroy();
  });

  it('probe writes and deletes a probe object, leaving nothing behind', async () => {
    const { prefix, b } = await freshBucket();
    await b.probe();
    expect(await sdkKeys(prefix)).toEqual([]);
    b.destroy();
  });

  it('failures are one line naming the operation, the place, the error code and what to check', async () => {
    const missing = await connect('s3://no-such-bucket/p');
    await expect(missing.probe()).rejects.toThrow(
      new RegExp(`^cannot write s3://no-such-bucket/p/\\.write-probe\\.${process.pid}\\.\\d+: NoSuchBucket: .*; bucket 'no-such-bucket' does not exist at ${endpoint}$`),
    );
    await expect(missing.list('r')).rejects.toThrow(/^cannot list s3:\/\/no-such-bucket\/p\/r: NoSuchBucket: [^\n]*does not exist at/);
    await expect(missing.delete(['r'])).rejects.toThrow(/^cannot delete under s3:\/\/no-such-bucket\/p: NoSuchBucket: /);
    missing.destroy();
    const b = await connect(`s3://${BUCKET}/p`);
    await expect(b.get('nothing')).rejects.toThrow(new Error('cannot read s3://team/p/nothing: NoSuchKey: The specified key does not exist.'));
    await expect(b.getWhole('nothing')).rejects.toThrow(new Error('cannot read s3://team/p/nothing: NoSuchKey: The specified key does not exist.'));
    b.destroy();
    const creds = '; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)';
    const saved = { ...process.env };
    try {
      process.env.AWS_ACCESS_KEY_ID = 'NOBODY';
      const unknown = await connect(`s3://${BUCKET}/p`);
      await expect(unknown.put('x', new Uint8Array())).rejects.toThrow(
        new Error(`cannot write s3://team/p/x: InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.${creds}`),
      );
      unknown.destroy();
      // no credentials anywhere (no files, no instance metadata): the SDK's own error, with the same hint
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_SHARED_CREDENTIALS_FILE: path.join(root, 'none'), AWS_CONFIG_FILE: path.join(root, 'none') });
      const none = await connect(`s3://${BUCKET}/p`);
      await expect(none.put('x', new Uint8Array())).rejects.toThrow(new RegExp(`^cannot write s3://team/p/x: CredentialsProviderError: [^\\n]*${creds.replace(/[()/]/g, '\\$&')}$`));
      none.destroy();
    } finally {
      for (const k of ['AWS_EC2_METADATA_DISABLED', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE']) delete process.env[k];
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: saved.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: saved.AWS_SECRET_ACCESS_KEY });
    }
    const port = await freePort();
    try {
      process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${port}`;
      const down = await connect(`s3://${BUCKET}/p`);
      await expect(down.get('x')).rejects.toThrow(
        new Error(`cannot read s3://team/p/x: connect ECONNREFUSED 127.0.0.1:${port}; is http://127.0.0.1:${port} reachable? (AWS_ENDPOINT_URL)`),
      );
      down.destroy();
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
  }, 30_000);
});

describe('checkoutRun', () => {
  it('makes the local directory the bucket copy: stale files removed, identical files left alone, temps and unsafe keys skipped', async () => {
    const { prefix, local } = fresh();
    for (const [k, v] of [
      ['run.json', '{"id":"r"}'],
      ['metrics.jsonl', 'row0\nrow1\n'],
      ['checkpoints/ckpt-1.safetensors', 'weights'],
      ['state.safetensors', 'state'],
      ['.metrics.jsonl.123.tmp', 'half'],
      ['sub/.x.tmp', 'half'],
      ['.write-probe.1.2', ''],
      ['a\\b', 'backslash'],
    ])
      await sdkPut(`${prefix}/r/${k}`, v);
    await sdkPut(`${prefix}/r2/run.json`, 'other run');
    const dir = path.join(local, 'r');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), 'row0\nrow1\n'); // identical: kept as it is
    fs.writeFileSync(path.join(dir, 'run.json'), '{"id":"old"}'); // differs: fetched
    fs.writeFileSync(path.join(dir, 'stale.txt'), 'not in the bucket');
    const inode = fs.statSync(path.join(dir, 'metrics.jsonl')).ino;
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    expect(await checkoutRun(b, 'r', dir)).toBe(true);
    expect(tree(dir)).toEqual(['checkpoints/ckpt-1.safetensors', 'metrics.jsonl', 'run.json', 'state.safetensors']);
    expect(read(path.join(dir, 'run.json'))).toBe('{"id":"r"}');
    expect(read(path.join(dir, 'state.safetensors'))).toBe('state');
    expect(read(path.join(dir, 'checkpoints/ckpt-1.safetensors'))).toBe('weights');
    expect(fs.statSync(path.join(dir, 'metrics.jsonl')).ino).toBe(inode);
    b.destroy();
  });

  it('a run the bucket does not hold (no run.json) removes the local directory; the checkpoints directory is made for one it does', async () => {
    const { prefix, local } = fresh();
    await sdkPut(`${prefix}/r/metrics.jsonl`, 'row0\n');
    await sdkPut(`${prefix}/r/sub/run.json`, 'not the record');
    await sdkPut(`${prefix}/s/run.json`, '{}');
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    const dir = path.join(local, 'r');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'x'), 'x');
    expect(await checkoutRun(b, 'r', dir)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
    const s = path.join(local, 's');
    expect(await checkoutRun(b, 's', s)).toBe(true);
    expect(fs.statSync(path.join(s, 'checkpoints')).isDirectory()).toBe(true);
    expect(tree(s)).toEqual(['run.json']);
    b.destroy();
  });

  it('an object that comes torn is read again until it comes whole (its writer finishing meanwhile)', async () => {
    const { prefix, local } = fresh();
    await sdkPut(`${prefix}/r/run.json`, 'rec');
    await sdkPut(`${prefix}/r/metrics.jsonl`, 'rows');
    tear(`${prefix}/r/metrics.jsonl`, 'ROWS');
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    const dir = path.join(local, 'r');
    const fixed = new Promise<void>((resolve) => setTimeout(() => sdkPut(`${prefix}/r/metrics.jsonl`, 'rows2').then(resolve), 350));
    expect(await checkoutRun(b, 'r', dir)).toBe(true);
    await fixed;
    expect(read(path.join(dir, 'metrics.jsonl'))).toBe('rows2');
    b.destroy();
  });
});

describe('syncTree and publishTree', () => {
  it('records scope fetches only run.json and heartbeat.json; all takes the rest but resume states and temps', async () => {
    const { prefix, local } = fresh();
    for (const [k, v] of [
      ['r/run.json', 'rec'],
      ['r/heartbeat.json', 'hb'],
      ['r/metrics.jsonl', 'rows'],
      ['r/state.safetensors', 's'],
      ['r/state.prev.safetensors', 'sp'],
      ['r/mystate.safetensors', 'not a resume state'],
      ['r/.m.tmp', 't'],
      ['reports/x/run.json.html', 'page'],
    ])
      await sdkPut(`${prefix}/${k}`, v);
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    expect(await syncTree(b, local, 'records')).toBe(2);
    expect(tree(local)).toEqual(['.s3-etags.json', 'r/heartbeat.json', 'r/run.json']);
    expect(JSON.parse(read(path.join(local, '.s3-etags.json')))).toEqual({ 'r/run.json': md5('rec'), 'r/heartbeat.json': md5('hb') });
    expect(await syncTree(b, local, 'records')).toBe(0);
    expect(await syncTree(b, local, 'all')).toBe(3);
    expect(tree(local)).toEqual(['.s3-etags.json', 'r/heartbeat.json', 'r/metrics.jsonl', 'r/mystate.safetensors', 'r/run.json', 'reports/x/run.json.html']);
    expect(read(path.join(local, 'r/metrics.jsonl'))).toBe('rows');
    b.destroy();
  });

  it('refreshes only what changed, fetches again what went missing here, removes what the bucket no longer holds', async () => {
    const { prefix, local } = fresh();
    await sdkPut(`${prefix}/r/run.json`, 'rec 1');
    await sdkPut(`${prefix}/r/metrics.jsonl`, 'row0\n');
    await sdkPut(`${prefix}/q/run.json`, 'q');
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    expect(await syncTree(b, local, 'all')).toBe(3);
    await sdkPut(`${prefix}/r/metrics.jsonl`, 'row0\nrow1\n');
    await sdkPut(`${prefix}/r/run.json`, 'rec 2');
    expect(await syncTree(b, local, 'all')).toBe(2);
    expect(read(path.join(local, 'r/metrics.jsonl'))).toBe('row0\nrow1\n');
    expect(read(path.join(local, 'r/run.json'))).toBe('rec 2');
    fs.rmSync(path.join(local, 'q/run.json'));
    expect(await syncTree(b, local, 'all')).toBe(1);
    expect(read(path.join(local, 'q/run.json'))).toBe('q');
    await b.delete(['q/run.json', 'r/metrics.jsonl']);
    expect(await syncTree(b, local, 'all')).toBe(0);
    expect(tree(local)).toEqual(['.s3-etags.json', 'r/run.json']);
    expect(Object.keys(JSON.parse(read(path.join(local, '.s3-etags.json')))).sort()).toEqual(['r/run.json']);
    // a local file the sync never fetched is not the bucket's to remove
    fs.writeFileSync(path.join(local, 'r/notes.txt'), 'mine');
    await syncTree(b, local, 'all');
    expect(read(path.join(local, 'r/notes.txt'))).toBe('mine');
    b.destroy();
  });

  it('a records-scope sync leaves the files of an all-scope sync alone; a corrupt manifest means comparing from scratch', async () => {
    const { prefix, local } = fresh();
    await sdkPut(`${prefix}/r/run.json`, 'rec');
    await sdkPut(`${prefix}/r/metrics.jsonl`, 'rows');
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    expect(await syncTree(b, local, 'all')).toBe(2);
    await b.delete(['r/metrics.jsonl']);
    expect(await syncTree(b, local, 'records')).toBe(0);
    expect(read(path.join(local, 'r/metrics.jsonl'))).toBe('rows'); // not wanted in this scope, so not judged
    fs.writeFileSync(path.join(local, '.s3-etags.json'), '{not json');
    expect(await syncTree(b, local, 'records')).toBe(1);
    b.destroy();
  });

  it('a torn object is skipped and holds back its run’s record (other runs go on); the next refresh takes both', async () => {
    const { prefix, local } = fresh();
    await sdkPut(`${prefix}/r/run.json`, 'rec r');
    await sdkPut(`${prefix}/r/zz.jsonl`, 'rows r'); // listed after run.json: the record still waits for it
    await sdkPut(`${prefix}/q/run.json`, 'rec q');
    tear(`${prefix}/r/zz.jsonl`, 'ROWS R');
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    expect(await syncTree(b, local, 'all')).toBe(1);
    expect(tree(local)).toEqual(['.s3-etags.json', 'q/run.json']);
    await sdkPut(`${prefix}/r/zz.jsonl`, 'rows r');
    expect(await syncTree(b, local, 'all')).toBe(2);
    expect(read(path.join(local, 'r/run.json'))).toBe('rec r');
    expect(read(path.join(local, 'r/zz.jsonl'))).toBe('rows r');
    b.destroy();
  });

  it('publishTree uploads every file under the directory to the same keys, temps excepted', async () => {
    const { prefix, local } = fresh();
    fs.mkdirSync(path.join(local, 'reports/x/sub'), { recursive: true });
    fs.writeFileSync(path.join(local, 'reports/x/index.html'), 'page');
    fs.writeFileSync(path.join(local, 'reports/x/sub/fig.svg'), 'svg');
    fs.writeFileSync(path.join(local, 'reports/x/.index.html.9.tmp'), 'half');
    fs.writeFileSync(path.join(local, 'reports/other.txt'), 'not under x');
    const b = await connect(`s3://${BUCKET}/${prefix}`);
    expect(await publishTree(b, local, 'reports/x')).toBe(2);
    expect(await sdkKeys(prefix)).toEqual([`${prefix}/reports/x/index.html`, `${prefix}/reports/x/sub/fig.svg`]);
    expect(await sdkGet(`${prefix}/reports/x/sub/fig.svg`)).toBe('svg');
    b.destroy();
  });
});

describe('S3RunStore', () => {
  it('trains into work/<id> mirrored to the bucket, reads through read/, publishes reports', async () => {
    const { prefix, local } = fresh();
    const url = `s3://${BUCKET}/${prefix}/`;
    const s = await S3RunStore.open({ location: url, cache: path.relative(process.cwd(), local) });
    expect(s.spec).toEqual({ location: `s3://${BUCKET}/${prefix}`, cache: local });
    expect(s.workDir).toBe(path.join(local, 'work'));
    expect(s.readDir).toBe(path.join(local, 'read'));
    await s.prepare();
    await sdkPut(`${prefix}/r/run.json`, 'rec');
    await sdkPut(`${prefix}/r/state.safetensors`, 'state');
    await s.checkout('r');
    expect(tree(path.join(local, 'work', 'r'))).toEqual(['run.json', 'state.safetensors']);
    const m = s.mirror('r') as RunMirror;
    fs.writeFileSync(path.join(local, 'work', 'r', 'metrics.jsonl'), 'row0\n');
    m.written('metrics.jsonl');
    await m.flush();
    expect(await sdkGet(`${prefix}/r/metrics.jsonl`)).toBe('row0\n');
    expect(await s.refresh('records')).toBe(path.join(local, 'read'));
    expect(tree(path.join(local, 'read'))).toEqual(['.s3-etags.json', 'r/run.json']);
    await s.refresh();
    expect(tree(path.join(local, 'read'))).toEqual(['.s3-etags.json', 'r/metrics.jsonl', 'r/run.json']);
    fs.mkdirSync(path.join(local, 'read', 'reports', 'z'), { recursive: true });
    fs.writeFileSync(path.join(local, 'read', 'reports', 'z', 'a.html'), 'a');
    await s.publish(path.join(local, 'read'), 'reports/z');
    expect(await sdkGet(`${prefix}/reports/z/a.html`)).toBe('a');
    s.close();
  });

  it('open without a cache uses the default cache directory; prepare fails in one line on a missing bucket', async () => {
    try {
      process.env.XDG_CACHE_HOME = path.join(root, 'xdg');
      const s = await S3RunStore.open({ location: 's3://no-such-bucket/p' });
      expect(s.spec.cache).toBe(defaultCacheDir('s3://no-such-bucket/p'));
      expect(s.workDir).toBe(path.join(defaultCacheDir('s3://no-such-bucket/p'), 'work'));
      await expect(s.prepare()).rejects.toThrow(/NoSuchBucket: .*; bucket 'no-such-bucket' does not exist at/);
      s.close();
    } finally {
      delete process.env.XDG_CACHE_HOME;
    }
  });
});

/** The real bucket, with the keys of its puts noted in order (failed ones too). */
function notePuts(b: Bucket): string[] {
  const order: string[] = [];
  const put = b.put.bind(b);
  (b as unknown as { put: Bucket['put'] }).put = async (rel, body) => {
    order.push(rel);
    await put(rel, body);
  };
  return order;
}

describe('RunMirror against s3rver', () => {
  it('flush uploads everything written so far; busy while uploads run; a file gone before its upload is skipped', async () => {
    const { prefix, local, b } = await freshBucket();
    fs.mkdirSync(local, { recursive: true });
    const m = new RunMirror(b, local, 'r');
    expect(m.busy).toBe(false);
    fs.writeFileSync(path.join(local, 'first.txt'), 'first'); // read and sent at once
    m.written('first.txt');
    expect(m.busy).toBe(true);
    fs.writeFileSync(path.join(local, 'gone.txt'), 'x'); // queued behind it, removed before its turn
    m.written('gone.txt');
    fs.rmSync(path.join(local, 'gone.txt'));
    for (const [f, v] of [['metrics.jsonl', 'row0\n'], ['run.json', 'rec']]) {
      fs.writeFileSync(path.join(local, f), v);
      m.written(f);
    }
    await m.flush();
    expect(m.busy).toBe(false);
    expect(await sdkKeys(prefix)).toEqual([`${prefix}/r/first.txt`, `${prefix}/r/metrics.jsonl`, `${prefix}/r/run.json`]);
    expect(await sdkGet(`${prefix}/r/run.json`)).toBe('rec');
    await m.flush(); // nothing pending: returns at once
    // one file, its upload under way and nothing queued behind it: flush still waits for it
    fs.writeFileSync(path.join(local, 'late.txt'), 'late');
    m.written('late.txt');
    await m.flush();
    expect(await sdkGet(`${prefix}/r/late.txt`)).toBe('late');
    b.destroy();
  });

  it('only run.json and the resume states move to the back when written again, by their exact names', async () => {
    const { prefix, local, b } = await freshBucket();
    fs.mkdirSync(local, { recursive: true });
    const order = notePuts(b);
    const m = new RunMirror(b, local, 'r');
    const w = (f: string) => {
      fs.writeFileSync(path.join(local, f), f);
      m.written(f);
    };
    w('first'); // its upload starts at once; the rest queue behind it
    for (const f of ['my-run.json', 'run.json.bak', 'xstate.safetensors', 'state.prev.safetensors', 'state.safetensors', 'run.json', 'mid'])
      w(f);
    for (const f of ['my-run.json', 'run.json.bak', 'xstate.safetensors', 'state.prev.safetensors', 'state.safetensors', 'run.json']) w(f);
    await m.flush();
    expect(order).toEqual(['first', 'my-run.json', 'run.json.bak', 'xstate.safetensors', 'mid', 'state.prev.safetensors', 'state.safetensors', 'run.json'].map((f) => `r/${f}`));
    b.destroy();
  });

  it('an upload that fails is retried in place until it goes through (the bucket created meanwhile)', async () => {
    const { local } = fresh();
    fs.mkdirSync(local, { recursive: true });
    const name = `late-${counter}`;
    const b = await connect(`s3://${name}/p`);
    const order = notePuts(b);
    const m = new RunMirror(b, local, 'r');
    // x's upload starts (and fails); y is queued, then x written again goes behind it: the failed x is not put back in front
    for (const f of ['x', 'y', 'x']) {
      fs.writeFileSync(path.join(local, f), f);
      m.written(f);
    }
    await new Promise((r) => setTimeout(r, 300));
    await client.send(new CreateBucketCommand({ Bucket: name }));
    await m.flush();
    expect(order).toEqual(['r/x', 'r/y', 'r/x']);
    const r = await client.send(new ListObjectsV2Command({ Bucket: name }));
    expect((r.Contents ?? []).map((o) => o.Key).sort()).toEqual(['p/r/x', 'p/r/y']);
    b.destroy();
  });

  it('flush gives up after five failed rounds in one line: the error, where the run is complete, how many files are left', async () => {
    const { local } = fresh();
    fs.mkdirSync(local, { recursive: true });
    const b = await connect('s3://never-made/p');
    const order = notePuts(b);
    const m = new RunMirror(b, local, 'r');
    for (const f of ['a', 'b', 'c']) {
      fs.writeFileSync(path.join(local, f), f);
      m.written(f);
    }
    const t0 = Date.now();
    await expect(m.flush()).rejects.toThrow(
      new RegExp(`^cannot write s3://never-made/p/r/a: NoSuchBucket: .*; bucket 'never-made' does not exist at [^ ]+ \\(the run is complete in ${local}; 3 file\\(s\\) not uploaded\\)$`),
    );
    // five tries of the first file, with four waits of a second between them
    expect(order).toEqual(['r/a', 'r/a', 'r/a', 'r/a', 'r/a']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3900);
    b.destroy();
  }, 20_000);
});
