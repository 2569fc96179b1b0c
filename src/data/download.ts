/**
 * Fetches one file (an http/https URL, a `file:` URL or a local path) to a destination path:
 * streamed into a temporary sibling, retried with exponential back-off on transient failures
 * (connection reset, timeouts, 5xx, a body shorter than its Content-Length), resumed with a
 * Range request where the server allows it, MD5-verified, SHA-256 recorded, then renamed into
 * place. Nothing half-written is ever left at the destination; the temp file is deleted on failure.
 * Expected failures are returned as values; this module emits events and never prints.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { tempSibling } from '../util/fs-atomic.ts';
import { err, ok, unreachable, type Result } from '../util/result.ts';

/** Why a fetch failed; every case names the source it tried. */
export type DownloadFailure =
  /** The connection failed, was reset or timed out on every attempt (`code` is Node's, e.g. ECONNREFUSED). */
  | { readonly reason: 'network'; readonly source: string; readonly message: string; readonly code: string | null; readonly attempts: number }
  /** The server answered with an error status (retried only for 408, 429 and 5xx). */
  | { readonly reason: 'http-status'; readonly source: string; readonly status: number; readonly statusText: string; readonly attempts: number }
  /** The body ended before the length the server announced (on the last attempt). */
  | { readonly reason: 'truncated'; readonly source: string; readonly expectedBytes: number; readonly gotBytes: number; readonly attempts: number }
  /** The whole file arrived but its MD5 is not the expected one (not retried: the source holds other bytes). */
  | { readonly reason: 'checksum'; readonly source: string; readonly expected: string; readonly got: string; readonly sha256: string; readonly bytes: number }
  /** A local source path does not exist or cannot be read. */
  | { readonly reason: 'local-file'; readonly source: string; readonly path: string; readonly message: string }
  /** The source is neither a path nor an http/https/file URL, or redirects loop. */
  | { readonly reason: 'bad-source'; readonly source: string; readonly message: string }
  /** The destination (or its temp sibling) could not be written or renamed. */
  | { readonly reason: 'write'; readonly dest: string; readonly message: string };

/** What a fetch reports while it runs, for progress bars and logs. */
export type DownloadEvent =
  /** An attempt starts (`attempt` counts from 1; `resumeFrom` > 0 when resuming a partial file). */
  | { readonly kind: 'attempt'; readonly attempt: number; readonly of: number; readonly source: string; readonly resumeFrom: number }
  /** `bytes` of `total` (null when the server sent no length) are in the temp file. */
  | { readonly kind: 'progress'; readonly bytes: number; readonly total: number | null }
  /** An attempt failed transiently; the next starts after `delayMs`. */
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number; readonly failure: DownloadFailure }
  /** The file is complete and hashed (before the checksum is compared). */
  | { readonly kind: 'hashed'; readonly bytes: number; readonly md5: string; readonly sha256: string };

/** How to fetch: the source, where to put it, what it must hash to, how hard to try. */
export interface FetchOptions {
  /** An http(s) URL, a `file:` URL, or a local path (relative to `cwd`). */
  readonly source: string;
  /** The final path; written only once the file is complete and verified. */
  readonly dest: string;
  /** The expected MD5 (hex, any case); null skips the comparison (the digests are still recorded). */
  readonly md5: string | null;
  /** Extra attempts after the first for transient failures (default 3). */
  readonly retries?: number;
  /** Delay before the first retry; doubles each retry, capped at `maxDelayMs` (defaults 1000, 30000). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A socket that sends nothing for this long is a transient failure (default 30000). */
  readonly timeoutMs?: number;
  /** Ask for the rest of a partial file with a Range header on retry (default true). */
  readonly resume?: boolean;
  /** Base directory for a relative local path (default `process.cwd()`). */
  readonly cwd?: string;
  /** Receives progress and retry events. */
  readonly onEvent?: (event: DownloadEvent) => void;
}

/** A verified file at `path`. */
export interface Downloaded {
  readonly path: string;
  readonly source: string;
  readonly bytes: number;
  readonly md5: string;
  readonly sha256: string;
  readonly attempts: number;
}

type Where = { readonly kind: 'http'; readonly url: URL } | { readonly kind: 'file'; readonly path: string };

/** One attempt's failure, with whether another attempt may help. */
interface AttemptFailure {
  readonly failure: DownloadFailure;
  readonly transient: boolean;
  /** The partial temp file cannot be resumed (a server that ignored or mangled Range). */
  readonly discardPartial?: boolean;
}

/** Fetches `opts.source` to `opts.dest` (see the module comment); the temp file never outlives the call. */
export async function fetchToFile(opts: FetchOptions): Promise<Result<Downloaded, DownloadFailure>> {
  const where = locate(opts.source, opts.cwd ?? process.cwd());
  if (!where.ok) return where;
  const tmp = tempSibling(opts.dest);
  try {
    const got = await fetchWithRetries(where.value, tmp, opts);
    if (!got.ok) return got;
    const digests = await hashFile(tmp);
    opts.onEvent?.({ kind: 'hashed', ...digests });
    if (opts.md5 !== null && digests.md5 !== opts.md5.toLowerCase()) {
      return err({ reason: 'checksum', source: opts.source, expected: opts.md5.toLowerCase(), got: digests.md5, sha256: digests.sha256, bytes: digests.bytes });
    }
    try {
      await rename(tmp, opts.dest);
    } catch (e) {
      return err({ reason: 'write', dest: opts.dest, message: messageOf(e) });
    }
    return ok({ path: opts.dest, source: opts.source, ...digests, attempts: got.value });
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Runs attempts until one succeeds or a failure is permanent; the value is the attempt count. */
async function fetchWithRetries(where: Where, tmp: string, opts: FetchOptions): Promise<Result<number, DownloadFailure>> {
  const retries = opts.retries ?? 3;
  const base = opts.baseDelayMs ?? 1000;
  const cap = opts.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    const resumeFrom = attempt > 1 && opts.resume !== false && where.kind === 'http' ? await sizeOf(tmp) : 0;
    opts.onEvent?.({ kind: 'attempt', attempt, of: retries + 1, source: opts.source, resumeFrom });
    const outcome = where.kind === 'http'
      ? await attemptHttp(where.url, tmp, resumeFrom, opts)
      : await copyLocal(where.path, tmp, opts);
    if (outcome === null) return ok(attempt);
    const failure = withAttempts(outcome.failure, attempt);
    if (!outcome.transient || attempt > retries) return err(failure);
    if (outcome.discardPartial) await truncate(tmp, 0).catch(() => undefined);
    const delayMs = Math.min(cap, base * 2 ** (attempt - 1));
    opts.onEvent?.({ kind: 'retry', attempt, delayMs, failure });
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** Status codes worth another try. */
function transientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** One HTTP GET (following redirects) streamed into `tmp` from byte `resumeFrom`; null on success. */
async function attemptHttp(url: URL, tmp: string, resumeFrom: number, opts: FetchOptions): Promise<AttemptFailure | null> {
  const source = opts.source;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let res: http.IncomingMessage;
  try {
    res = await get(url, resumeFrom, timeoutMs);
  } catch (e) {
    if (e instanceof RedirectError) return { failure: { reason: 'bad-source', source, message: e.message }, transient: false };
    return { failure: networkFailure(source, e), transient: true };
  }
  const status = res.statusCode ?? 0;
  if (status !== 200 && status !== 206) {
    res.resume();
    return {
      failure: { reason: 'http-status', source, status, statusText: res.statusMessage ?? '', attempts: 0 },
      transient: transientStatus(status) || (status === 416 && resumeFrom > 0),
      discardPartial: status === 416,
    };
  }
  let start = 0;
  if (status === 206) {
    start = Number(/^bytes (\d+)-/.exec(res.headers['content-range'] ?? '')?.[1] ?? NaN);
    if (start !== resumeFrom) {
      res.destroy();
      const message = `server answered a Range request for byte ${resumeFrom} with '${res.headers['content-range'] ?? ''}'`;
      return { failure: { reason: 'network', source, message, code: null, attempts: 0 }, transient: true, discardPartial: true };
    }
  }
  const length = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
  const total = length === null ? null : start + length;
  let got = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      got += chunk.length;
      opts.onEvent?.({ kind: 'progress', bytes: start + got, total });
      done(null, chunk);
    },
  });
  try {
    // Flag 'w' when the server sent the whole file (200), even if we asked for a range.
    await pipeline(res, counter, createWriteStream(tmp, { flags: start > 0 ? 'a' : 'w' }));
  } catch (e) {
    if (length !== null && got < length) return { failure: truncated(source, total!, start + got), transient: true };
    return { failure: networkFailure(source, e), transient: true };
  }
  if (length !== null && got !== length) return { failure: truncated(source, total!, start + got), transient: true, discardPartial: got > length };
  return null;
}

/** Thrown (and caught in attemptHttp) when redirects loop or leave http(s). */
class RedirectError extends Error {}

/** Issues the GET, following up to 5 redirects; resolves with the final response. */
async function get(url: URL, resumeFrom: number, timeoutMs: number): Promise<http.IncomingMessage> {
  let current = url;
  for (let hop = 0; hop <= 5; hop++) {
    const res = await new Promise<http.IncomingMessage>((resolveRes, reject) => {
      const client = current.protocol === 'https:' ? https : http;
      const headers: Record<string, string> = { 'user-agent': 'hebb-repro' };
      if (resumeFrom > 0) headers['range'] = `bytes=${resumeFrom}-`;
      // agent: false — one connection per request, so a dropped one is never reused.
      const req = client.get(current, { headers, agent: false }, resolveRes);
      req.setTimeout(timeoutMs, () => {
        req.destroy(Object.assign(new Error(`no data for ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      });
      req.on('error', reject);
    });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return res;
    res.resume();
    current = new URL(location, current);
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new RedirectError(`redirected to unsupported URL ${current.href}`);
    }
  }
  throw new RedirectError(`more than 5 redirects from ${url.href}`);
}

/** Copies a local file into `tmp`, reporting progress; null on success. */
async function copyLocal(path: string, tmp: string, opts: FetchOptions): Promise<AttemptFailure | null> {
  let total: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    total = s.size;
  } catch (e) {
    return { failure: { reason: 'local-file', source: opts.source, path, message: messageOf(e) }, transient: false };
  }
  let got = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      got += chunk.length;
      opts.onEvent?.({ kind: 'progress', bytes: got, total });
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), counter, createWriteStream(tmp));
  } catch (e) {
    return { failure: { reason: 'local-file', source: opts.source, path, message: messageOf(e) }, transient: false };
  }
  return null;
}

/** Classifies the source string: an http(s) URL, a file URL, or a local path. */
function locate(source: string, cwd: string): Result<Where, DownloadFailure> {
  if (/^https?:\/\//i.test(source)) {
    try {
      return ok({ kind: 'http', url: new URL(source) });
    } catch (e) {
      return err({ reason: 'bad-source', source, message: messageOf(e) });
    }
  }
  if (/^file:/i.test(source)) {
    try {
      return ok({ kind: 'file', path: fileURLToPath(source) });
    } catch (e) {
      return err({ reason: 'bad-source', source, message: messageOf(e) });
    }
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(source)) {
    return err({ reason: 'bad-source', source, message: 'only http://, https://, file: URLs and local paths are supported' });
  }
  return ok({ kind: 'file', path: resolve(cwd, source) });
}

/** MD5, SHA-256 and size of a file in one streamed pass. */
async function hashFile(path: string): Promise<{ bytes: number; md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    md5.update(chunk as Buffer);
    sha.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

function truncated(source: string, expectedBytes: number, gotBytes: number): DownloadFailure {
  return { reason: 'truncated', source, expectedBytes, gotBytes, attempts: 0 };
}

function networkFailure(source: string, e: unknown): DownloadFailure {
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : null;
  return { reason: 'network', source, message: messageOf(e), code, attempts: 0 };
}

function withAttempts(f: DownloadFailure, attempts: number): DownloadFailure {
  return 'attempts' in f ? { ...f, attempts } : f;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A one-line, human-readable account of a failure (what was tried, what went wrong). */
export function describeDownloadFailure(f: DownloadFailure): string {
  switch (f.reason) {
    case 'network':
      return `could not fetch ${f.source}: ${f.message}${f.code ? ` (${f.code})` : ''}, after ${f.attempts} attempt(s)`;
    case 'http-status':
      return `${f.source} answered HTTP ${f.status} ${f.statusText}`.trimEnd() + `, after ${f.attempts} attempt(s)`;
    case 'truncated':
      return `download of ${f.source} was truncated: expected ${f.expectedBytes} bytes, got ${f.gotBytes}, after ${f.attempts} attempt(s)`;
    case 'checksum':
      return `checksum mismatch for ${f.source}: expected MD5 ${f.expected}, got ${f.got} (${f.bytes} bytes, SHA-256 ${f.sha256})`;
    case 'local-file':
      return `cannot read local file ${f.path} (from source '${f.source}'): ${f.message}`;
    case 'bad-source':
      return `bad source '${f.source}': ${f.message}`;
    case 'write':
      return `cannot write ${f.dest}: ${f.message}`;
    default:
      return unreachable(f);
  }
}
