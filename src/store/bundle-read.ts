/**
 * Reads a bundle and checks everything about it before anyone trusts a byte: member kinds and
 * paths, membership in the manifest, sizes (from the header, before the bytes are read), SHA-256
 * digests, object names, records (key = hash of the fingerprint, tree = hash of the outputs, every
 * object present) and published report files. With `extractTo`, objects are written there under
 * private numbered names (never under a name taken from the archive) for the importer to move.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { sha256 } from '../util/hash.ts';
import { err, ok, type Result } from '../util/result.ts';
import { ioFailure } from '../util/io-error.ts';
import { DEFAULT_MAX_BUNDLE_BYTES, MAX_MANIFEST_BYTES, MAX_RATIO, manifestProblem, type BundleLimits } from './bundle-limits.ts';
import type { RunRecord } from './store.ts';
import { recordIntegrityProblem, runRecordSchema } from './schemas.ts';
import {
  LOCK, MANIFEST, MAX_JSON_BYTES, isProblem, parseLock, parseManifest, roleOf, typeProblem, unsafePath,
  type BundleLock, type BundleManifest, type BundleProblem, type ManifestFile,
} from './bundle-format.ts';

/** An object the bundle carries (and, when extracted, where its checked bytes are). */
export interface BundleObject {
  readonly digest: string;
  readonly size: number;
  /** The extracted file (only with `extractTo`). */
  readonly file?: string;
}

/** A bundle whose every check passed. */
export interface CheckedBundle {
  readonly manifest: BundleManifest;
  readonly lock: BundleLock;
  /** Sorted by key. */
  readonly records: readonly RunRecord[];
  /** Sorted by digest. */
  readonly objects: readonly BundleObject[];
  readonly reports: readonly ManifestFile[];
  /** Size of the bundle file, and of its members uncompressed. */
  readonly archiveBytes: number;
  readonly contentBytes: number;
}

/** Reads and checks the bundle at `file`; the first problem found, if any. */
export async function readBundle(file: string, opts: { extractTo?: string; limits?: BundleLimits; storeDir?: string } = {}): Promise<Result<CheckedBundle, BundleProblem>> {
  let archiveBytes: number;
  try {
    archiveBytes = statSync(file).size;
  } catch (e) {
    return err({ reason: 'bad-archive', entry: file, message: `cannot read the bundle: ${(e as Error).message}` });
  }
  // The manifest's figures are checked before any other member is read (bundle-limits.ts).
  const limits = opts.limits ?? { maxBytes: DEFAULT_MAX_BUNDLE_BYTES };
  const members = await scan(file, opts.extractTo, (m) => manifestProblem(m, archiveBytes, limits, opts.storeDir));
  if (!members.ok) return members;
  const checked = checkContents(members.value);
  if (!checked.ok) return checked;
  return ok({ ...checked.value, archiveBytes });
}

interface Scanned {
  readonly manifest: BundleManifest;
  /** JSON members (lock, records) by path. */
  readonly json: ReadonlyMap<string, Buffer>;
  readonly objects: readonly BundleObject[];
}

/** Streams the archive once, vetting each member against the manifest as it goes by. */
function scan(file: string, extractTo: string | undefined, vetManifest: (m: BundleManifest) => BundleProblem | undefined): Promise<Result<Scanned, BundleProblem>> {
  return new Promise((resolve) => {
    let manifest: BundleManifest | undefined;
    let listed = new Map<string, ManifestFile>();
    const seen = new Set<string>();
    const json = new Map<string, Buffer>();
    const objects: BundleObject[] = [];
    let first = true;
    let failure: BundleProblem | undefined;
    let settled = false;
    let openFd: number | undefined;
    const input = createReadStream(file);
    // The same ratio limit as export (bundle-limits.ts), not tar's 1000:1, which refused hebb's own exports.
    const parser = new Parser({ strict: true, maxDecompressionRatio: MAX_RATIO });
    const settle = (): void => {
      if (settled) return;
      settled = true;
      if (openFd !== undefined) closeSync(openFd);
      openFd = undefined;
      if (failure) return resolve(err(failure));
      if (!manifest) return resolve(err({ reason: 'bad-archive', entry: file, message: 'the archive is empty (no manifest.json)' }));
      const missing = [...listed.keys()].find((p) => !seen.has(p));
      if (missing) return resolve(err({ reason: 'missing-entry', entry: missing, message: 'listed in the manifest but not in the archive' }));
      resolve(ok({ manifest, json, objects }));
    };
    const fail = (p: BundleProblem): void => {
      if (failure) return;
      failure = p;
      input.unpipe(parser);
      input.destroy();
      settle();
    };
    const onEntry = (entry: ReadEntry): void => {
      if (failure) return void entry.resume();
      const path = entry.path;
      const problem = unsafePath(entry.type === 'Directory' ? path.replace(/\/$/, '') : path) ?? (entry.type === 'Directory' ? undefined : typeProblem(path, String(entry.type)));
      if (problem) return fail(problem);
      if (entry.type === 'Directory') return void entry.resume(); // harmless; files carry their own paths
      if (seen.has(path)) return fail({ reason: 'duplicate-entry', entry: path, message: 'the archive holds this path twice' });
      seen.add(path);
      if (first) {
        first = false;
        if (path !== MANIFEST) return fail({ reason: 'manifest-not-first', entry: path, message: `the first member is ${path}, not ${MANIFEST}` });
        if (entry.size > MAX_MANIFEST_BYTES) return fail({ reason: 'too-large', entry: path, message: `${entry.size} bytes is too large for a manifest (the limit is ${MAX_MANIFEST_BYTES})` });
        return readAll(entry, (buf) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(buf.toString('utf8'));
          } catch (e) {
            return fail({ reason: 'bad-manifest', entry: path, message: `not JSON: ${(e as Error).message}` });
          }
          const m = parseManifest(parsed);
          if (isProblem(m)) return fail(m);
          manifest = m;
          listed = new Map(m.files.map((f) => [f.path, f]));
          const over = vetManifest(m);
          if (over) return fail(over);
        });
      }
      const want = listed.get(path);
      if (!want) return fail({ reason: 'not-in-manifest', entry: path, message: 'this member is not listed in manifest.json' });
      if (entry.size !== want.size) return fail({ reason: 'size-mismatch', entry: path, message: `the archive holds ${entry.size} bytes, the manifest says ${want.size}` });
      const role = roleOf(path);
      if (isProblem(role)) return fail(role);
      const isJson = role.kind === 'lock' || role.kind === 'record';
      if (isJson && entry.size > MAX_JSON_BYTES) return fail({ reason: 'bad-record', entry: path, message: `${entry.size} bytes is too large for a JSON member` });
      const check = (digest: string, size: number): boolean => {
        if (size !== want.size) return fail({ reason: 'size-mismatch', entry: path, message: `read ${size} bytes, the manifest says ${want.size}` }), false;
        if (digest !== want.sha256) return fail({ reason: 'digest-mismatch', entry: path, message: `its SHA-256 is ${digest}, the manifest says ${want.sha256}` }), false;
        return true;
      };
      if (isJson) return readAll(entry, (buf) => void (check(sha256(buf), buf.length) && json.set(path, buf)));
      const target = role.kind === 'object' && extractTo ? join(extractTo, `m${String(objects.length).padStart(6, '0')}`) : undefined;
      const hash = createHash('sha256');
      let size = 0;
      // A refused write (disk full, read-only) fails the read with its path and code, never an uncaught throw.
      const ioFail = (e: unknown, at: string): void => {
        const io = ioFailure(e);
        fail({ reason: 'io-error', entry: at, message: io ? `${io.code} (${io.meaning}) while extracting ${path}; nothing was imported, the store is unchanged` : `cannot extract ${path}: ${(e as Error).message}` });
      };
      if (target) {
        try {
          openFd = openSync(target, 'wx', 0o600);
        } catch (e) {
          return ioFail(e, target);
        }
      }
      entry.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
        if (openFd === undefined) return;
        try {
          writeSync(openFd, chunk);
        } catch (e) {
          ioFail(e, target!);
        }
      });
      entry.on('end', () => {
        if (openFd !== undefined) closeSync(openFd);
        openFd = undefined;
        if (failure || !check(hash.digest('hex'), size)) return;
        if (role.kind === 'object') objects.push({ digest: role.digest, size, ...(target ? { file: target } : {}) });
      });
    };
    const readAll = (entry: ReadEntry, done: (buf: Buffer) => void): void => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => {
        if (!failure) done(Buffer.concat(chunks));
      });
    };
    parser.on('entry', onEntry);
    // Members of unknown type are skipped by the parser, not emitted: refuse them too.
    parser.on('ignoredEntry', (entry: ReadEntry) => {
      if (!entry.meta) onEntry(entry);
    });
    parser.on('error', (e: unknown) => fail({ reason: 'bad-archive', entry: file, message: `not a readable .tar.gz: ${e instanceof Error ? e.message : String(e)}` }));
    parser.on('end', settle);
    input.on('error', (e) => fail({ reason: 'bad-archive', entry: file, message: e.message }));
    input.pipe(parser);
  });
}

/** Checks what the members say: the lock against the manifest, records against their objects, reports against records. */
function checkContents(s: Scanned): Result<Omit<CheckedBundle, 'archiveBytes'>, BundleProblem> {
  const lockJson = parseJson(s.json.get(LOCK)!, LOCK);
  if (!lockJson.ok) return lockJson;
  const lock = parseLock(lockJson.value, s.manifest);
  if (isProblem(lock)) return err(lock);
  const objects = new Map(s.objects.map((o) => [o.digest, o]));
  const records: RunRecord[] = [];
  for (const [path, buf] of [...s.json].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const role = roleOf(path);
    if (isProblem(role) || role.kind !== 'record') continue;
    const parsed = parseJson(buf, path);
    if (!parsed.ok) return parsed;
    const record = checkRecord(parsed.value, role.key, path, s.manifest.profile);
    if (!record.ok) return record;
    for (const d of [...record.value.outputs.map((o) => ({ digest: o.digest, size: o.size as number | undefined, what: `output ${o.path}` })), ...(record.value.log ? [{ digest: record.value.log, size: undefined, what: 'log' }] : [])]) {
      const o = objects.get(d.digest);
      if (!o) return err({ reason: 'record-missing-object', entry: path, message: `its ${d.what} (object ${d.digest.slice(0, 12)}) is not in the bundle` });
      if (d.size !== undefined && d.size !== o.size) return err({ reason: 'bad-record', entry: path, message: `its ${d.what} is recorded as ${d.size} bytes, the object has ${o.size}` });
    }
    records.push(record.value);
  }
  const byKey = new Map(records.map((r) => [r.key, r]));
  for (const c of lock.cells) {
    const r = byKey.get(c.key);
    if (!r) return err({ reason: 'missing-entry', entry: `runs/${c.key}.json`, message: `the record of ${c.cell} is not in the bundle` });
    if (r.cell !== c.cell) return err({ reason: 'bad-manifest', entry: LOCK, message: `key ${c.key.slice(0, 12)} is the record of ${r.cell}, not ${c.cell}` });
  }
  const reports = s.manifest.files.filter((f) => {
    const role = roleOf(f.path);
    return !isProblem(role) && role.kind === 'report';
  });
  for (const f of reports) {
    const cell = lock.cells.find((c) => c.publish !== undefined && f.path.startsWith(`${c.publish}/`));
    const out = cell && byKey.get(cell.key)!.outputs.find((o) => `${cell.publish}/${o.path}` === f.path);
    if (!cell || !out || out.digest !== f.sha256) {
      return err({ reason: 'report-mismatch', entry: f.path, message: cell ? `not the output ${f.path.slice(cell.publish!.length + 1)} of ${cell.cell} (key ${cell.key.slice(0, 12)})` : 'no cell in the bundle publishes here' });
    }
  }
  const contentBytes = s.manifest.files.reduce((a, f) => a + f.size, 0);
  return ok({ manifest: s.manifest, lock, records, objects: [...s.objects].sort((a, b) => (a.digest < b.digest ? -1 : 1)), reports, contentBytes });
}

/** A record's shape (the store's own schema), and that its key and tree are the hashes they claim to be. */
function checkRecord(v: unknown, key: string, path: string, profile: string): Result<RunRecord, BundleProblem> {
  const bad = (message: string): Result<RunRecord, BundleProblem> => err({ reason: 'bad-record', entry: path, message });
  const parsed = runRecordSchema.safeParse(v);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return bad(`not a valid run record (${issue.path.length ? `at ${issue.path.join('.')}: ` : ''}${issue.message})`);
  }
  const r = parsed.data;
  if (r.key !== key) return bad(`its key ${r.key} differs from its file name`);
  if (r.profile !== profile) return bad(`its profile ${r.profile} differs from the bundle's ${profile}`);
  if (r.outputs.some((o) => unsafePath(o.path))) return bad('an output path is absolute, or contains `..` or empty segments');
  const integrity = recordIntegrityProblem(r, key);
  if (integrity) return bad(`${integrity} (the record was altered)`);
  return ok(r as RunRecord);
}

function parseJson(buf: Buffer, path: string): Result<unknown, BundleProblem> {
  try {
    return ok(JSON.parse(buf.toString('utf8')));
  } catch (e) {
    return err({ reason: path === LOCK ? 'bad-manifest' : 'bad-record', entry: path, message: `not JSON: ${(e as Error).message}` });
  }
}
