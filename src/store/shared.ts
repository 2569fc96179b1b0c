/**
 * A shared cache: a second store (on a filesystem a lab shares) read before running a cell and
 * written after it succeeds. Nothing read from it is trusted: a record is used only when it is a
 * valid record (schema), is the record of the key asked for, its key is the SHA-256 of its
 * fingerprint and its tree the digest of its outputs; each object is verified while it is copied
 * in. A bad entry is reported and ignored, never copied into the local store, and is replaced
 * when this project runs the cell and publishes its result.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { sha256File } from '../util/hash.ts';
import { tempSibling } from '../util/fs-atomic.ts';
import type { RunRecord, Store } from './store.ts';

/** What a pull found. */
export type PullResult =
  | { readonly kind: 'hit'; readonly record: RunRecord }
  | { readonly kind: 'miss' }
  /** The shared store has an entry for the key, but its record or one of its objects is not valid. */
  | { readonly kind: 'corrupt'; readonly message: string };

/** The digests a record names (outputs and log). */
function digestsOf(record: RunRecord): string[] {
  return [...new Set([...record.outputs.map((o) => o.digest), ...(record.log ? [record.log] : [])])];
}

/**
 * Copies the record for `key` and its objects from `shared` into `local`, checking the record
 * and each object. A read-only `local` (status, --dry-run) checks the same things and copies
 * nothing: a hit then says the shared cache would serve the cell.
 */
export async function pullFromShared(local: Store, shared: Store, key: string): Promise<PullResult> {
  const where = `shared cache ${shared.dir}`;
  const found = shared.inspectRecord(key);
  if (found.problem) return { kind: 'corrupt', message: `${where}: ${found.problem}; ignored` };
  const record = found.record;
  if (!record) return { kind: 'miss' };
  for (const digest of digestsOf(record)) {
    // A local copy is used only if it is itself good (a bad one is quarantined and fetched again).
    if (existsSync(local.objectPath(digest)) && !(await local.verifyObject(digest))) continue;
    const source = shared.objectPath(digest);
    if (!existsSync(source)) return { kind: 'corrupt', message: `${where}: object ${digest.slice(0, 12)} of ${record.cell} is missing; ignored` };
    let actual: string;
    try {
      actual = (await sha256File(source)).digest;
    } catch (e) {
      return { kind: 'corrupt', message: `${where}: object ${digest.slice(0, 12)} of ${record.cell} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ignored` };
    }
    if (actual !== digest) return { kind: 'corrupt', message: `${where}: object ${digest.slice(0, 12)} of ${record.cell} is corrupt (hashes to ${actual.slice(0, 12)}); ignored` };
    if (local.readOnly) continue;
    const stored = await local.putFile(source);
    // The file could change between the check and the copy: the copy's own digest decides.
    if (stored.digest !== digest) return { kind: 'corrupt', message: `${where}: object ${digest.slice(0, 12)} of ${record.cell} changed while being read; ignored` };
  }
  if (!local.readOnly) local.writeRecord(record);
  return { kind: 'hit', record };
}

/**
 * Publishes a finished record and its objects to the shared store (objects first, record last).
 * A shared record or object that is not valid (what a pull reported) is replaced.
 */
export async function pushToShared(local: Store, shared: Store, record: RunRecord): Promise<void> {
  // Only a cell this project just ran is pushed, i.e. one the shared cache could not serve: so
  // every object is checked (a corrupt one is replaced) and the record is (re)written.
  mkdirSync(shared.dir, { recursive: true });
  for (const digest of digestsOf(record)) await putShared(shared, digest, local.objectPath(digest));
  if (shared.inspectRecord(record.key).record?.tree !== record.tree) shared.writeRecord(record);
}

/**
 * Puts one object into the shared store. An object already there is re-hashed (it may be the
 * corrupt object a pull reported) and replaced, by an atomic rename, when it does not match.
 */
async function putShared(shared: Store, digest: string, source: string): Promise<void> {
  const target = shared.objectPath(digest);
  if (!existsSync(target)) {
    await shared.putFile(source);
    return;
  }
  let good = false;
  try {
    good = (await sha256File(target)).digest === digest;
  } catch {
    good = false;
  }
  if (good) return;
  const tmp = tempSibling(target);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, tmp);
  if ((await sha256File(tmp)).digest !== digest) {
    rmSync(tmp, { force: true });
    return; // our own copy is not good either; leave the shared one for `hebb fsck`
  }
  chmodSync(tmp, 0o444);
  rmSync(target, { recursive: true, force: true }); // a directory in its place cannot be renamed over
  renameSync(tmp, target);
}
