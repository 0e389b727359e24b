/**
 * One S3-compatible bucket through the AWS SDK (`@aws-sdk/client-s3`), configured the standard way so that
 * AWS, MinIO, Ceph RGW and Cloudflare R2 all work unchanged:
 *
 *   AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL   a non-AWS endpoint (then path-style addressing is used)
 *   AWS_REGION or AWS_DEFAULT_REGION           default us-east-1 (R2: auto)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, ...   the SDK's credential chain
 *
 * The SDK is loaded on first use, so nothing that stays on local disk pays for it.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash ('' for the bucket's root). */
  prefix: string;
  /** s3://bucket/prefix as given, normalised. */
  url: string;
}

export const isS3Url = (s: string): boolean => /^s3:\/\//i.test(s);

/** `s3://bucket/prefix` → its parts; one line naming the value when it is not one. */
export function parseS3Url(url: string, flag = '--runs'): S3Location {
  const m = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(url);
  if (!m) throw new Error(`${flag} ${url}: expected s3://bucket/prefix`);
  const bucket = m[1];
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`${flag} ${url}: '${bucket}' is not a valid bucket name (3-63 lower-case letters, digits, dots, hyphens)`);
  const prefix = m[2].replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((p) => p === '.' || p === '..')) throw new Error(`${flag} ${url}: the prefix may not contain . or .. segments`);
  return { bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ''}` };
}

export interface ObjectInfo {
  key: string;
  etag: string;
  size: number;
}

export function endpointFromEnv(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Promise<Sdk> | undefined;

export class Bucket {
  private constructor(
    readonly loc: S3Location,
    private readonly client: S3Client,
    private readonly s3: Sdk,
    readonly endpoint: string,
  ) {}

  static async connect(loc: S3Location): Promise<Bucket> {
    // The pinned SDK works on Node 20; its notice about later releases needing Node 22 is not for our users.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const s3 = await (sdk ??= import('@aws-sdk/client-s3'));
    const endpoint = endpointFromEnv();
    const client = new s3.S3Client({
      endpoint,
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
      // MinIO, Ceph and most self-hosted servers address buckets by path, not by host name.
      forcePathStyle: endpoint !== undefined,
      maxAttempts: 4,
    });
    return new Bucket(loc, client, s3, endpoint ?? 'AWS S3');
  }

  /** The full key of `rel` under the location's prefix. */
  key(rel: string): string {
    return this.loc.prefix ? `${this.loc.prefix}/${rel}` : rel;
  }

  /** Every object under `rel/` (or the whole prefix), keys relative to the prefix. */
  async list(rel = ''): Promise<ObjectInfo[]> {
    const base = this.loc.prefix ? `${this.loc.prefix}/` : '';
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`list ${this.loc.url}/${rel}`, () =>
        this.client.send(new this.s3.ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: base + (rel ? `${rel.replace(/\/$/, '')}/` : ''), ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(base.length), etag: (o.ETag ?? '').replace(/"/g, ''), size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async get(rel: string): Promise<Uint8Array> {
    const res = await this.call(`read ${this.loc.url}/${rel}`, () => this.client.send(new this.s3.GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel) })));
    return res.Body!.transformToByteArray();
  }

  /**
   * The object's bytes, or null when they do not match the ETag it was served with (for single-part
   * uploads the ETag is the MD5 of the body). S3 itself never serves a half-written object, but some
   * S3-compatible servers do while a PUT of the same key is in progress; the caller reads it again later.
   */
  async getWhole(rel: string): Promise<{ body: Uint8Array; etag: string } | null> {
    const res = await this.call(`read ${this.loc.url}/${rel}`, () => this.client.send(new this.s3.GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel) })));
    const body = await res.Body!.transformToByteArray();
    const etag = (res.ETag ?? '').replace(/"/g, '');
    if (/^[0-9a-f]{32}$/.test(etag) && createHash('md5').update(body).digest('hex') !== etag) return null;
    return { body, etag };
  }

  async put(rel: string, body: Uint8Array): Promise<void> {
    await this.call(`write ${this.loc.url}/${rel}`, () => this.client.send(new this.s3.PutObjectCommand({ Bucket: this.loc.bucket, Key: this.key(rel), Body: body })));
  }

  async delete(rels: string[]): Promise<void> {
    for (let i = 0; i < rels.length; i += 1000) {
      const chunk = rels.slice(i, i + 1000);
      await this.call(`delete under ${this.loc.url}`, () =>
        this.client.send(new this.s3.DeleteObjectsCommand({ Bucket: this.loc.bucket, Delete: { Objects: chunk.map((r) => ({ Key: this.key(r) })), Quiet: true } })),
      );
    }
  }

  /** Prove we may write here (a probe object, put and deleted): bad credentials or a missing bucket fail now, in one line. */
  async probe(): Promise<void> {
    const rel = `.write-probe.${process.pid}.${Date.now()}`;
    await this.put(rel, new Uint8Array());
    await this.delete([rel]);
  }

  destroy(): void {
    this.client.destroy();
  }

  /** One line that says what failed, where, and what to check. */
  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const err = e as Error & { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
      const code = err.Code ?? err.name;
      let hint = '';
      if (code === 'NoSuchBucket') hint = `; bucket '${this.loc.bucket}' does not exist at ${this.endpoint}`;
      else if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch' || code === 'AccessDenied' || code === 'CredentialsProviderError')
        hint = '; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)';
      else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|socket/i.test(err.message)) hint = `; is ${this.endpoint} reachable? (AWS_ENDPOINT_URL)`;
      throw new Error(`cannot ${what}: ${code && code !== 'Error' ? `${code}: ` : ''}${err.message.split('\n')[0]}${hint}`);
    }
  }
}
