/**
 * Imports a bundle into a store. Every check of bundle-read.ts passes (objects are extracted to
 * a private directory under artifacts/tmp) before anything enters cas/ or runs/. Then:
 *
 *   1. every object already in the store is checked to hold the same bytes (else: refuse, and
 *      change nothing);
 *   2. objects go in by hard link (fails if the name exists, so nothing is ever overwritten);
 *   3. records go in last, each under its key's lock; a record the store already holds is kept;
 *      index/<profile>/ is pointed at a record only where the cell has no current local record.
 *
 * A kill at any point leaves objects that hash to their names and records whose objects exist;
 * importing again finishes the job. Two importers at once both succeed.
 */
import { chmodSync, existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256File } from '../util/hash.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { RunRecord, Store } from './store.ts';
import type { BundleProblem } from './bundle-format.ts';
import { readBundle, type CheckedBundle } from './bundle-read.ts';
import type { BundleLimits } from './bundle-limits.ts';
import { ioFailure } from '../util/io-error.ts';

/** What an import did. */
export interface ImportSummary {
  readonly bundle: CheckedBundle;
  readonly objectsAdded: number;
  readonly bytesAdded: number;
  readonly objectsPresent: number;
  readonly recordsAdded: number;
  readonly recordsPresent: number;
}

/** Test seam: milliseconds to pause after each object and record (lets a test kill an import midway). */
const STEP_MS = Number(process.env.HEBB_BUNDLE_IMPORT_STEP_MS ?? 0);

/** Imports the bundle at `file` into `store`; the first problem found, if any (the store is then unchanged). */
export async function importBundle(store: Store, file: string, limits?: BundleLimits): Promise<Result<ImportSummary, BundleProblem>> {
  const work = store.makeTempDir('bundle-import');
  try {
    const read = await readBundle(file, { extractTo: work, storeDir: store.dir, ...(limits ? { limits } : {}) });
    if (!read.ok) return read;
    const bundle = read.value;
    for (const o of bundle.objects) {
      const target = store.objectPath(o.digest);
      if (existsSync(target) && (await sha256File(target)).digest !== o.digest) {
        return err({ reason: 'store-conflict', entry: target, message: `the store already holds object ${o.digest.slice(0, 12)} with other content; nothing was imported` });
      }
    }
    let objectsAdded = 0;
    let bytesAdded = 0;
    for (const o of bundle.objects) {
      if (putObject(store, o.digest, o.file!)) {
        objectsAdded++;
        bytesAdded += o.size;
      }
      await pause();
    }
    let recordsAdded = 0;
    for (const record of bundle.records) {
      const lock = await store.lock(record.key);
      try {
        const existing = store.readRecord(record.key);
        if (existing && !(await store.verifyRecord(existing))) {
          // Same key, same computation: the store's own record stands (it may differ in timings).
          pointIndexIfFree(store, existing);
        } else {
          store.writeRecord(record, { index: false });
          pointIndexIfFree(store, record);
          recordsAdded++;
        }
      } finally {
        lock.release();
      }
      await pause();
    }
    store.saveState();
    return ok({
      bundle,
      objectsAdded,
      bytesAdded,
      objectsPresent: bundle.objects.length - objectsAdded,
      recordsAdded,
      recordsPresent: bundle.records.length - recordsAdded,
    });
  } catch (e) {
    // Disk full, read-only store, permissions: a value with the path, not an uncaught exception.
    const io = ioFailure(e);
    if (!io) throw e;
    return err({ reason: 'io-error', entry: io.path ?? store.dir, message: `${io.code} (${io.meaning}) part-way through the import; the store is consistent (objects go in whole, each record after its objects), and some objects or records may already be in it` });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Points index/<profile>/<cell> at an imported record only when the cell has no current local
 * record (no entry, or one naming a key with no valid record): an import never moves the index
 * away from the user's own results, so `hebb gc` cannot drop them. Which imported records are
 * current for this checkout is for the planner to say (the CLI re-plans after an import).
 */
function pointIndexIfFree(store: Store, record: RunRecord): void {
  const current = store.readIndex(record.profile, record.cell);
  if (current === undefined || current === record.key || !store.readRecord(current)) store.writeIndex(record.profile, record.cell, record.key);
}

/** Moves a checked object into cas/ unless its name is taken; whether it was added. */
function putObject(store: Store, digest: string, file: string): boolean {
  const target = store.objectPath(digest);
  mkdirSync(dirname(target), { recursive: true });
  chmodSync(file, 0o444);
  try {
    // link(2) refuses an existing name: a racing importer's object (same bytes) is never replaced.
    linkSync(file, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw e;
  }
  // A filesystem without hard links: check, then rename (a racer could only write the same bytes).
  if (existsSync(target)) return false;
  renameSync(file, target);
  return true;
}

function pause(): Promise<void> {
  return STEP_MS > 0 ? new Promise((r) => setTimeout(r, STEP_MS)) : Promise.resolve();
}
