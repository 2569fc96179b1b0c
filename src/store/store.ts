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
import { chmodSync, existsSync, linkSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { canonicalJson, sha256, sha256File } from '../util/hash.ts';
import { tempSibling, writeFileAtomic } from '../util/fs-atomic.ts';
import { acquireLock, pidAlive, type HeldLock, type LockOptions } from './lock.ts';
import { hostname } from 'node:os';

/** One output file of a cell. */
export interface OutputEntry {
  /** Path inside the cell's output directory, '/'-separated. */
  readonly path: string;
  readonly digest: string;
  readonly size: number;
}

/** The record of a finished cell. Its presence means the cell's outputs are all in the store. */
export interface RunRecord {
  readonly schema: 1;
  readonly key: string;
  readonly cell: string;
  readonly stage: string;
  readonly profile: string;
  /** The whole fingerprint the key was hashed from, for diffs. */
  readonly fingerprint: Readonly<Record<string, unknown>>;
  readonly outputs: readonly OutputEntry[];
  /** SHA-256 of the canonical outputs list: what downstream fingerprints record. */
  readonly tree: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly host: string;
  readonly pid: number;
  /** Digest of the cell's log object, if any. */
  readonly log?: string;
}

/** Digest of an outputs list. */
export function treeDigest(outputs: readonly OutputEntry[]): string {
  return sha256(canonicalJson([...outputs].sort((a, b) => (a.path < b.path ? -1 : 1))));
}

/** A problem with a stored object. */
export interface CorruptObject {
  readonly digest: string;
  readonly reason: 'missing' | 'corrupt';
  /** Where the bad object was moved (corrupt only). */
  readonly quarantined?: string;
}

/** The artifacts directory. */
export class Store {
  private verified: Record<string, string> | undefined;
  private verifiedDirty = false;

  /** `dir`: the artifacts directory (created on demand). */
  constructor(readonly dir: string) {}

  objectPath(digest: string): string {
    return join(this.dir, 'cas', digest.slice(0, 2), digest.slice(2));
  }
  recordPath(key: string): string {
    return join(this.dir, 'runs', `${key}.json`);
  }
  specPath(key: string): string {
    return join(this.dir, 'specs', `${key}.json`);
  }
  logPath(key: string): string {
    return join(this.dir, 'logs', `${key}.log`);
  }
  indexPath(profile: string, cell: string): string {
    return join(this.dir, 'index', encodeURIComponent(profile), `${encodeURIComponent(cell)}.json`);
  }

  /** A fresh private directory under tmp/ (same filesystem as cas/, so renames are atomic). */
  makeTempDir(label: string): string {
    const dir = tempSibling(join(this.dir, 'tmp', label.replace(/[^\w.-]/g, '_')));
    mkdirSync(dir, { recursive: true });
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

  /** Checks an object's content against its digest (cached by inode/mtime/size). */
  async verifyObject(digest: string): Promise<CorruptObject | undefined> {
    const path = this.objectPath(digest);
    let st;
    try {
      st = statSync(path);
    } catch {
      return { digest, reason: 'missing' };
    }
    const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    const verified = this.loadVerified();
    if (verified[digest] === stamp) return undefined;
    const actual = await sha256File(path);
    if (actual.digest !== digest) {
      const quarantined = join(this.dir, 'quarantine', `${digest}.${Date.now()}`);
      mkdirSync(dirname(quarantined), { recursive: true });
      renameSync(path, quarantined);
      delete verified[digest];
      this.verifiedDirty = true;
      return { digest, reason: 'corrupt', quarantined };
    }
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

  /** Persists the verification cache (call at the end of a command). */
  saveState(): void {
    if (this.verified && this.verifiedDirty) writeFileAtomic(join(this.dir, '.state', 'verified.json'), JSON.stringify(this.verified));
    this.verifiedDirty = false;
  }

  /** The record for `key`, or undefined if absent or unreadable (a torn record never exists: writes are atomic). */
  readRecord(key: string): RunRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.recordPath(key), 'utf8')) as RunRecord;
    } catch {
      return undefined;
    }
  }

  /** Writes a record (last step of a cell) and points the index at it. */
  writeRecord(record: RunRecord): void {
    writeFileAtomic(this.recordPath(record.key), JSON.stringify(record, null, 1));
    this.writeIndex(record.profile, record.cell, record.key);
  }

  /** Forgets a record whose objects are bad, so the cell runs again. */
  dropRecord(key: string): void {
    rmSync(this.recordPath(key), { force: true });
  }

  /** The last key recorded for a cell in a profile. */
  readIndex(profile: string, cell: string): string | undefined {
    try {
      return (JSON.parse(readFileSync(this.indexPath(profile, cell), 'utf8')) as { key: string }).key;
    } catch {
      return undefined;
    }
  }

  writeIndex(profile: string, cell: string, key: string): void {
    if (this.readIndex(profile, cell) !== key) writeFileAtomic(this.indexPath(profile, cell), JSON.stringify({ key, at: new Date().toISOString() }));
  }

  /** A read-only directory with a record's outputs under their declared names. */
  materialize(record: RunRecord): string {
    const view = join(this.dir, 'views', record.tree);
    if (existsSync(view)) return view;
    const tmp = this.makeTempDir(`view-${record.tree.slice(0, 12)}`);
    for (const o of record.outputs) {
      const target = join(tmp, ...o.path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      try {
        linkSync(this.objectPath(o.digest), target);
      } catch {
        copyFileSync(this.objectPath(o.digest), target);
        chmodSync(target, 0o444);
      }
    }
    mkdirSync(dirname(view), { recursive: true });
    try {
      renameSync(tmp, view);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(view)) throw e;
    }
    return view;
  }

  /** The per-key lock (see lock.ts). */
  lock(key: string, opts?: LockOptions): Promise<HeldLock> {
    mkdirSync(join(this.dir, 'locks'), { recursive: true });
    return acquireLock(join(this.dir, 'locks', `${key}.lock`), opts);
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

  /** Every record key in the store. */
  listRecords(): string[] {
    const dir = join(this.dir, 'runs');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
  }

  private loadVerified(): Record<string, string> {
    if (!this.verified) {
      try {
        this.verified = JSON.parse(readFileSync(join(this.dir, '.state', 'verified.json'), 'utf8')) as Record<string, string>;
      } catch {
        this.verified = {};
      }
    }
    return this.verified;
  }
}

/** Every regular file under `dir`, recursively, in sorted order. */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkFiles(p));
    else if (entry.isFile()) out.push(p);
    else throw new Error(`${p}: only regular files and directories can be outputs (found a ${entry.isSymbolicLink() ? 'symlink' : 'special file'})`);
  }
  return out;
}
