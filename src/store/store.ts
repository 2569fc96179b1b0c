/**
 * The artifacts store: content-addressed objects, one run record per cell key, and read-only
 * views of a cell's outputs for the cells that read them.
 *
 *   artifacts/cas/ab/cdef…         objects, by SHA-256 (read-only files)
 *   artifacts/runs/<key>.json      run records, written last (a record means the cell is done)
 *   artifacts/specs/<key>.json     what `hebb run-cell <key>` needs to run a cell on its own
 *   artifacts/index/<profile>/…    the last key seen for each cell (what `status` diffs against)
 *   artifacts/views/<tree>/        a cell's outputs as a directory (hard links into cas/)
 *   artifacts/locks/, tmp/, logs/, quarantine/, .state/
 *
 * Every write is a temp file + rename inside the artifacts directory, so a crash at any moment
 * leaves either nothing or a whole entry.
 */
import { chmodSync, existsSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { sha256File } from '../util/hash.ts';
import { mkdirp, tempSibling, writeFileAtomic } from '../util/fs-atomic.ts';
import { acquireLock, pidAlive, type HeldLock, type LockOptions } from './lock.ts';
import { hostname } from 'node:os';
import { indexEntrySchema, isCellName, isHex64, isProfileName, parseStoreJson, recordIntegrityProblem, runRecordSchema, verifiedStateSchema } from './schemas.ts';
import { dropViewsLinking, ensureView, viewProblem } from './views.ts';
import { walkFiles } from './walk.ts';
import { type CorruptObject, type OutputEntry, type RecordLookup, type RunRecord } from './records.ts';

/** How a store may be used. */
export interface StoreOptions {
  /**
   * Read commands (`status`, `show`, `check`, `--dry-run`, `bundle export`, `fsck` without
   * `--repair`) open the store read-only: bad files are reported and treated as missing, but
   * nothing is moved, written or cached.
   */
  readonly readOnly?: boolean;
}

/** The stamp of a file's state: any write, chmod, link or utimes changes its ctime. */
export function fileStamp(st: Stats): string {
  return `${st.ino}:${st.mtimeMs}:${st.ctimeMs}:${st.size}`;
}

function assertHex(s: string, what: string): string {
  if (!isHex64(s)) throw new Error(`internal: ${JSON.stringify(s).slice(0, 80)} is not a ${what} (64 lower-case hex digits); no path is built from it`);
  return s;
}

/** The artifacts directory. */
export class Store {
  private verified: Record<string, string> | undefined;
  private verifiedDirty = false;
  /** Files this command set aside (or, read-only, would have): one line each, for the user. */
  readonly setAsideLog: string[] = [];

  /** `dir`: the artifacts directory (created on demand). */
  constructor(readonly dir: string, readonly opts: StoreOptions = {}) {}

  /** Whether this store writes nothing (see StoreOptions). */
  get readOnly(): boolean {
    return this.opts.readOnly === true;
  }

  objectPath(digest: string): string {
    assertHex(digest, 'object digest');
    return join(this.dir, 'cas', digest.slice(0, 2), digest.slice(2));
  }
  recordPath(key: string): string {
    return join(this.dir, 'runs', `${assertHex(key, 'cell key')}.json`);
  }
  specPath(key: string): string {
    return join(this.dir, 'specs', `${assertHex(key, 'cell key')}.json`);
  }
  logPath(key: string): string {
    return join(this.dir, 'logs', `${assertHex(key, 'cell key')}.log`);
  }
  viewPath(tree: string): string {
    return join(this.dir, 'views', assertHex(tree, 'tree digest'));
  }
  indexPath(profile: string, cell: string): string {
    if (!isProfileName(profile)) throw new Error(`internal: ${JSON.stringify(profile)} is not a profile name; no index path is built from it`);
    if (!isCellName(cell)) throw new Error(`internal: ${JSON.stringify(cell)} is not a cell name; no index path is built from it`);
    return join(this.dir, 'index', encodeURIComponent(profile), `${encodeURIComponent(cell)}.json`);
  }

  /** A fresh private directory under tmp/ (same filesystem as cas/, so renames are atomic). */
  makeTempDir(label: string): string {
    const dir = tempSibling(join(this.dir, 'tmp', label.replace(/[^\w.-]/g, '_')));
    mkdirp(dir); // a read-only or forbidden store is reported as EROFS/EACCES, not ENOENT
    return dir;
  }

  /**
   * Moves (or copies) a file into cas/; returns its digest and size. A copy is hashed after it
   * is made, so the digest is always that of the stored bytes, even if the source changes.
   */
  async putFile(path: string, opts: { move?: boolean } = {}): Promise<{ digest: string; size: number }> {
    const staging = join(this.dir, 'tmp');
    mkdirSync(staging, { recursive: true });
    const tmp = tempSibling(join(staging, 'object'));
    if (opts.move) renameSync(path, tmp);
    else copyFileSync(path, tmp);
    try {
      const { digest, size } = await sha256File(tmp);
      const target = this.objectPath(digest);
      if (existsSync(target)) {
        rmSync(tmp, { force: true });
        return { digest, size };
      }
      mkdirSync(dirname(target), { recursive: true });
      chmodSync(tmp, 0o444);
      renameSync(tmp, target);
      return { digest, size };
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  /** Stores every file under `dir` (recursively); returns the sorted outputs list. */
  async putTree(dir: string): Promise<OutputEntry[]> {
    const out: OutputEntry[] = [];
    for (const file of walkFiles(dir)) {
      const { digest, size } = await this.putFile(file, { move: true });
      out.push({ path: relative(dir, file).split(sep).join('/'), digest, size });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /**
   * Checks an object's content against its digest. Re-hashed unless the file's stamp (inode,
   * mtime, ctime, size) is the one last verified, so any change to the file, even one that keeps
   * its mtime, is caught; `force` re-hashes anyway. A bad object is moved to quarantine/.
   */
  async verifyObject(digest: string, opts: { force?: boolean } = {}): Promise<CorruptObject | undefined> {
    if (!isHex64(digest)) return { digest, reason: 'missing' };
    const path = this.objectPath(digest);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return { digest, reason: 'missing' };
    }
    const verified = this.loadVerified();
    if (!st.isFile()) return this.quarantineObject(digest, path, st.isDirectory() ? 'a directory, not a file' : 'not a regular file');
    const stamp = fileStamp(st);
    if (!opts.force && verified[digest] === stamp) return undefined;
    let actual;
    try {
      actual = await sha256File(path);
    } catch (e) {
      return this.quarantineObject(digest, path, `unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (actual.digest !== digest) return this.quarantineObject(digest, path, `hashes to ${actual.digest.slice(0, 12)}`);
    verified[digest] = stamp;
    this.verifiedDirty = true;
    return undefined;
  }

  /** Verifies every object of a record; the first problem found, if any. */
  async verifyRecord(record: RunRecord): Promise<CorruptObject | undefined> {
    for (const o of record.outputs) {
      const bad = await this.verifyObject(o.digest);
      if (bad) return bad;
    }
    return undefined;
  }

  /** Persists the verification cache (call at the end of a command); a read-only store writes nothing. */
  saveState(): void {
    if (!this.readOnly && this.verified && this.verifiedDirty) writeFileAtomic(join(this.dir, '.state', 'verified.json'), JSON.stringify(this.verified));
    this.verifiedDirty = false;
  }

  /** The record for `key`, or undefined if absent or not a valid record (see inspectRecord). */
  readRecord(key: string): RunRecord | undefined {
    return this.inspectRecord(key).record;
  }

  /**
   * Reads runs/<key>.json and checks it: its shape (schema), that it is the record of `key`,
   * that `key` is the SHA-256 of its fingerprint and its tree the digest of its outputs. A file
   * that fails is treated as missing and set aside in quarantine/ (unless read-only). The checks
   * are cached by the file's stamp, like objects.
   */
  inspectRecord(key: string): RecordLookup {
    if (!isHex64(key)) return { problem: `${JSON.stringify(key).slice(0, 80)} is not a key (64 lower-case hex digits)` };
    const path = this.recordPath(key);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return {};
    }
    const verified = this.loadVerified();
    const stamp = fileStamp(st);
    let problem: string;
    if (!st.isFile()) problem = 'not a regular file';
    else {
      let text: string | undefined;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        return { problem: `runs/${key}.json cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
      }
      if (verified[`r:${key}`] === stamp) {
        try {
          return { record: JSON.parse(text) as RunRecord };
        } catch {
          /* fall through to the full check */
        }
      }
      const parsed = parseStoreJson(text, runRecordSchema);
      const integrity = parsed.ok ? recordIntegrityProblem(parsed.value, key) : undefined;
      if (parsed.ok && integrity === undefined) {
        verified[`r:${key}`] = stamp;
        this.verifiedDirty = true;
        return { record: parsed.value as RunRecord };
      }
      problem = parsed.ok ? integrity! : parsed.problem;
    }
    delete verified[`r:${key}`];
    const moved = this.setAside(path, 'record');
    return { problem: `runs/${key.slice(0, 12)}….json is not a valid run record (${problem})${moved ? `; moved to ${relative(this.dir, moved)}` : ''}` };
  }

  /** Writes a record (last step of a cell) and points the index at it (unless `index: false`). */
  writeRecord(record: RunRecord, opts: { index?: boolean } = {}): void {
    writeFileAtomic(this.recordPath(record.key), JSON.stringify(record, null, 1));
    if (opts.index !== false) this.writeIndex(record.profile, record.cell, record.key);
  }

  /** Forgets a record whose objects are bad, so the cell runs again (a read-only store keeps it). */
  dropRecord(key: string): void {
    if (!this.readOnly) rmSync(this.recordPath(key), { force: true });
  }

  /** The last key recorded for a cell in a profile (undefined if none, or the entry is not valid). */
  readIndex(profile: string, cell: string): string | undefined {
    if (!isProfileName(profile) || !isCellName(cell)) return undefined;
    let text;
    try {
      text = readFileSync(this.indexPath(profile, cell), 'utf8');
    } catch {
      return undefined;
    }
    const parsed = parseStoreJson(text, indexEntrySchema);
    return parsed.ok ? parsed.value.key : undefined;
  }

  /** Points index/<profile>/<cell> at `key` (a read-only store does nothing). */
  writeIndex(profile: string, cell: string, key: string): void {
    if (this.readOnly) return;
    if (this.readIndex(profile, cell) !== key) writeFileAtomic(this.indexPath(profile, cell), JSON.stringify({ key: assertHex(key, 'cell key'), at: new Date().toISOString() }));
  }

  /**
   * A read-only directory with a record's outputs under their declared names, checked before it
   * is handed out (see views.ts): the caller verifies the record's objects first.
   */
  materialize(record: RunRecord): string {
    if (this.readOnly) throw new Error('internal: a read-only store cannot build views (use viewIfValid or outputPath)');
    const view = ensureView(join(this.dir, 'views'), { tree: assertHex(record.tree, 'tree digest'), outputs: record.outputs }, (d) => this.objectPath(d), (l) => this.makeTempDir(l));
    if (view.rebuilt) this.setAsideLog.push(`views/${record.tree.slice(0, 12)}…: ${view.rebuilt}; rebuilt`);
    return view.path;
  }

  /** The record's view if one exists and serves exactly its objects (writes nothing). */
  viewIfValid(record: RunRecord): string | undefined {
    const view = this.viewPath(record.tree);
    return existsSync(view) && viewProblem(view, record, (d) => this.objectPath(d)) === undefined ? view : undefined;
  }

  /** The stored object holding one output of a record (for readers that need no view). */
  outputPath(record: RunRecord, path: string): string | undefined {
    const o = record.outputs.find((x) => x.path === path);
    return o ? this.objectPath(o.digest) : undefined;
  }

  /** The per-key lock (see lock.ts). */
  lock(key: string, opts?: LockOptions): Promise<HeldLock> {
    mkdirSync(join(this.dir, 'locks'), { recursive: true });
    return acquireLock(join(this.dir, 'locks', `${assertHex(key, 'cell key')}.lock`), opts);
  }

  /**
   * Marks this process as using the store (artifacts/active/<host>-<pid>) until `release()`, so
   * `gc` can refuse to run under a live `repro`.
   */
  markActive(): { release(): void } {
    const file = join(this.dir, 'active', `${hostname()}-${process.pid}`);
    writeFileAtomic(file, new Date().toISOString());
    return { release: () => rmSync(file, { force: true }) };
  }

  /** Processes on this host that marked the store active and are still alive (PIDs). */
  activeUsers(): number[] {
    const dir = join(this.dir, 'active');
    if (!existsSync(dir)) return [];
    const prefix = `${hostname()}-`;
    return readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .map((f) => Number(f.slice(prefix.length)))
      .filter((pid) => Number.isInteger(pid) && pid !== process.pid && pidAlive(pid));
  }

  /** Every record key in the store (files named <64 hex>.json; anything else in runs/ is not a record). */
  listRecords(): string[] {
    const dir = join(this.dir, 'runs');
    return existsSync(dir) ? readdirSync(dir).filter((f) => /^[0-9a-f]{64}\.json$/.test(f)).map((f) => f.slice(0, -5)) : [];
  }

  /**
   * Moves a bad store file (a record, a spec) into quarantine/ so it is treated as missing and
   * kept for inspection; returns where it went (undefined when read-only or already gone).
   */
  setAside(path: string, kind: string, name = basename(path)): string | undefined {
    if (this.readOnly) return undefined;
    const target = join(this.dir, 'quarantine', `${kind}-${name}.${Date.now()}`);
    try {
      mkdirSync(dirname(target), { recursive: true });
      renameSync(path, target);
    } catch {
      return undefined;
    }
    this.setAsideLog.push(`${relative(this.dir, path)} set aside to ${relative(this.dir, target)}`);
    return target;
  }

  private quarantineObject(digest: string, path: string, detail: string): CorruptObject {
    const verified = this.loadVerified();
    if (digest in verified) {
      delete verified[digest];
      this.verifiedDirty = true;
    }
    let ino: number | undefined;
    try {
      ino = lstatSync(path).ino;
    } catch {
      ino = undefined;
    }
    const quarantined = this.setAside(path, 'object', digest);
    if (quarantined && ino !== undefined) {
      for (const tree of dropViewsLinking(join(this.dir, 'views'), ino, (l) => this.makeTempDir(l))) this.setAsideLog.push(`views/${tree.slice(0, 12)}… linked quarantined object ${digest.slice(0, 12)}; removed`);
    }
    return { digest, reason: 'corrupt', detail, ...(quarantined ? { quarantined } : {}) };
  }

  private loadVerified(): Record<string, string> {
    if (!this.verified) {
      let text: string | undefined;
      try {
        text = readFileSync(join(this.dir, '.state', 'verified.json'), 'utf8');
      } catch {
        text = undefined;
      }
      const parsed = text === undefined ? undefined : parseStoreJson(text, verifiedStateSchema);
      // A malformed cache is dropped (it is rewritten at the end of the command): it only saves hashing.
      this.verified = parsed?.ok ? parsed.value : {};
      if (parsed && !parsed.ok) this.verifiedDirty = true;
    }
    return this.verified;
  }
}

/** Every regular file under `dir`, recursively, in sorted order (re-exported from walk.ts). */
export { walkFiles } from './walk.ts';
export { treeDigest, type CorruptObject, type OutputEntry, type RecordLookup, type RunRecord } from './records.ts';
