import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadReporter } from '../src/data/download-progress.ts';
import { describeDownloadFailure, fetchToFile, type DownloadEvent, type FetchOptions } from '../src/data/download.ts';
import { buildSyntheticCifarArchive } from '../src/data/synthetic-cifar.ts';
import { closedPort, sendAll, sendPartial, startServer, type TestServer } from './fixtures/data-server.ts';

let archive: Buffer;
let md5: string;
let dir: string;
let server: TestServer | null = null;

beforeAll(() => {
  archive = buildSyntheticCifarArchive({ seed: 3, recordsPerBatch: 20 });
  md5 = createHash('md5').update(archive).digest('hex');
});

afterEach(async () => {
  await server?.close();
  server = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'hebb-data-dl-'));
  return dir;
}

/** Fetch with test-sized back-off and timeouts, collecting events. */
async function fetchIt(source: string, extra: Partial<FetchOptions> = {}) {
  const events: DownloadEvent[] = [];
  const dest = join(freshDir(), 'archive.tar.gz');
  const result = await fetchToFile({
    source, dest, md5, retries: 2, baseDelayMs: 5, timeoutMs: 2000, onEvent: (e) => events.push(e), ...extra,
  });
  return { result, events, dest };
}

describe('fetchToFile over http', () => {
  it('downloads, verifies MD5, records SHA-256 and reports progress', async () => {
    server = await startServer((_req, res) => sendAll(res, archive));
    const { result, events, dest } = await fetchIt(`${server.url}/cifar.tar.gz`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.md5).toBe(md5);
    expect(result.value.sha256).toBe(createHash('sha256').update(archive).digest('hex'));
    expect(result.value.attempts).toBe(1);
    expect(readFileSync(dest).equals(archive)).toBe(true);
    const last = events.filter((e) => e.kind === 'progress').at(-1);
    expect(last).toEqual({ kind: 'progress', bytes: archive.length, total: archive.length });
    expect(readdirSync(dir)).toEqual(['archive.tar.gz']); // no temp file left beside it
  });

  it('retries after the connection drops mid-file, restarting when Range is ignored', async () => {
    server = await startServer((_req, res, n) => (n === 1 ? sendPartial(res, archive, 4096, 'reset') : sendAll(res, archive)));
    const { result, events, dest } = await fetchIt(`${server.url}/a`);
    expect(result.ok).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(events.some((e) => e.kind === 'retry')).toBe(true);
    expect(readFileSync(dest).equals(archive)).toBe(true);
  });

  it('resumes with a Range request when the server honours it', async () => {
    const cut = 10_000;
    let first: import('node:http').ServerResponse | null = null;
    server = await startServer((req, res, n) => {
      if (n === 1) {
        // Send the first `cut` bytes and hold the connection; it is reset once the client has them.
        first = res;
        res.writeHead(200, { 'content-length': archive.length });
        return void res.write(archive.subarray(0, cut));
      }
      const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(206, { 'content-range': `bytes ${from}-${archive.length - 1}/${archive.length}`, 'content-length': archive.length - from });
      res.end(archive.subarray(from));
    });
    let dropped = false;
    const onEvent = (e: DownloadEvent) => {
      if (e.kind !== 'progress' || e.bytes < cut || dropped) return;
      dropped = true;
      setTimeout(() => first?.socket?.destroy(), 100); // time for the bytes to reach the temp file
    };
    const { result, dest } = await fetchIt(`${server.url}/a`, { onEvent });
    expect(result.ok).toBe(true);
    expect(server.requests[1]?.range).toBe(`bytes=${cut}-`);
    expect(readFileSync(dest).equals(archive)).toBe(true);
  });

  it('gives up when every attempt drops, leaving nothing behind', async () => {
    // Closed (FIN) rather than reset: a reset may discard unread bytes, headers included, and then
    // the failure is 'network', not 'truncated' (both are retried alike).
    server = await startServer((_req, res) => sendPartial(res, archive, 4096, 'close'));
    const { result } = await fetchIt(`${server.url}/a`, { retries: 2 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.reason).toBe('truncated');
    expect(server.requests).toHaveLength(3);
    expect('attempts' in result.error && result.error.attempts).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a corrupt file as a checksum error naming expected, got and the source', async () => {
    const corrupt = Buffer.from(archive);
    corrupt[corrupt.length >> 1] = corrupt[corrupt.length >> 1]! ^ 0xff;
    server = await startServer((_req, res) => sendAll(res, corrupt));
    const source = `${server.url}/corrupt.tar.gz`;
    const { result } = await fetchIt(source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'checksum', expected: md5, got: createHash('md5').update(corrupt).digest('hex'), source });
    const text = describeDownloadFailure(result.error);
    expect(text).toContain(md5);
    expect(text).toContain(source);
    expect(server.requests).toHaveLength(1); // a checksum mismatch is not retried
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports a body shorter than its Content-Length as truncated', async () => {
    server = await startServer((_req, res) => sendPartial(res, archive, archive.length - 100, 'close'));
    const { result } = await fetchIt(`${server.url}/a`, { retries: 0 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'truncated', expectedBytes: archive.length, attempts: 1 });
    // At most what was sent: Node may drop bytes still buffered in the response when the peer closes.
    const got = result.error.reason === 'truncated' ? result.error.gotBytes : -1;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThanOrEqual(archive.length - 100);
    expect(describeDownloadFailure(result.error)).toContain(`expected ${archive.length} bytes, got ${got}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('retries a 503 and a stalled connection, then succeeds', async () => {
    server = await startServer((_req, res, n) => {
      if (n === 1) return void res.writeHead(503).end();
      if (n === 2) return; // never answers: the client's timeout must fire
      sendAll(res, archive);
    });
    const { result } = await fetchIt(`${server.url}/a`, { timeoutMs: 200 });
    expect(result.ok && result.value.attempts).toBe(3);
  });

  it('does not retry a 404', async () => {
    server = await startServer((_req, res) => void res.writeHead(404, 'Not Found').end());
    const { result } = await fetchIt(`${server.url}/missing`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'http-status', status: 404, attempts: 1 });
    expect(server.requests).toHaveLength(1);
  });

  it('reports a refused connection as a network failure after every attempt', async () => {
    const port = await closedPort();
    const { result, events } = await fetchIt(`http://127.0.0.1:${port}/a`, { retries: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'network', code: 'ECONNREFUSED', attempts: 2 });
    expect(events.filter((e) => e.kind === 'attempt')).toHaveLength(2);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('fetchToFile from a local copy', () => {
  it('copies a relative path and a file: URL, verifying the MD5', async () => {
    const src = mkdtempSync(join(tmpdir(), 'hebb-data-src-'));
    try {
      writeFileSync(join(src, 'cifar-10-binary.tar.gz'), archive);
      const rel = await fetchIt('./cifar-10-binary.tar.gz', { cwd: src });
      expect(rel.result.ok && rel.result.value.md5).toBe(md5);
      expect(readFileSync(rel.dest).equals(archive)).toBe(true);
      const url = await fetchIt(pathToFileURL(join(src, 'cifar-10-binary.tar.gz')).href);
      expect(url.result.ok).toBe(true);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  it('names the missing path, without retrying', async () => {
    const { result, events } = await fetchIt('./nope.tar.gz', { cwd: '/nonexistent-dir' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatchObject({ reason: 'local-file', path: '/nonexistent-dir/nope.tar.gz' });
    expect(events.filter((e) => e.kind === 'attempt')).toHaveLength(1);
  });

  it('rejects an unsupported URL scheme', async () => {
    const { result } = await fetchIt('ftp://example.org/cifar.tar.gz');
    expect(!result.ok && result.error.reason).toBe('bad-source');
  });
});

describe('downloadReporter', () => {
  const run = (tty: boolean) => {
    const lines: string[] = [];
    const progress: number[] = [];
    const stream = new PassThrough();
    let drawn = '';
    stream.on('data', (c: Buffer) => (drawn += c.toString()));
    const r = downloadReporter({ log: (m) => lines.push(m), progress: (d) => progress.push(d) }, { tty, stream });
    r.onEvent({ kind: 'attempt', attempt: 1, of: 2, source: 'http://x/a', resumeFrom: 0 });
    for (let b = 0; b <= 1000; b += 50) r.onEvent({ kind: 'progress', bytes: b, total: 1000 });
    r.onEvent({ kind: 'retry', attempt: 1, delayMs: 5, failure: { reason: 'truncated', source: 'http://x/a', expectedBytes: 1000, gotBytes: 10, attempts: 1 } });
    r.stop();
    return { lines, progress, drawn };
  };

  it('logs a plain line every 10% and each retry when not on a terminal', () => {
    const { lines, progress, drawn } = run(false);
    expect(lines.filter((l) => /MB \(\d+%\)/.test(l))).toHaveLength(11);
    expect(lines.some((l) => l.includes('retrying in 5 ms') && l.includes('expected 1000 bytes, got 10'))).toBe(true);
    expect(progress.at(-1)).toBe(1000);
    expect(drawn).toBe('');
  });

  it('draws a bar instead of percentage lines on a terminal', () => {
    const { lines, drawn } = run(true);
    expect(lines.filter((l) => /MB \(\d+%\)/.test(l))).toHaveLength(0);
    expect(drawn).toContain('cifar10 [');
  });
});
