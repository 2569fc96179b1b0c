/**
 * A shared cache: a second store (on a filesystem a lab shares) read before running a cell and
 * written after it succeeds. Objects read from it are verified while they are copied in; a
 * corrupt object there is reported and ignored, never copied into the local store.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { sha256File } from '../util/hash.ts';
import type { RunRecord, Store } from './store.ts';

/** What a pull found. */
export type PullResult =
  | { readonly kind: 'hit'; readonly record: RunRecord }
  | { readonly kind: 'miss' }
  /** The shared store has the record but one of its objects is missing or does not match its digest. */
  | { readonly kind: 'corrupt'; readonly message: string };

/** Copies the record for `key` and its objects from `shared` into `local`, verifying each object. */
export async function pullFromShared(local: Store, shared: Store, key: string): Promise<PullResult> {
  const record = shared.readRecord(key);
  if (!record) return { kind: 'miss' };
  const digests = [...record.outputs.map((o) => o.digest), ...(record.log ? [record.log] : [])];
  for (const digest of digests) {
    if (existsSync(local.objectPath(digest))) continue;
    const source = shared.objectPath(digest);
    if (!existsSync(source)) return { kind: 'corrupt', message: `shared cache ${shared.dir}: object ${digest.slice(0, 12)} of ${record.cell} is missing` };
    const actual = await sha256File(source);
    if (actual.digest !== digest) return { kind: 'corrupt', message: `shared cache ${shared.dir}: object ${digest.slice(0, 12)} of ${record.cell} is corrupt (hashes to ${actual.digest.slice(0, 12)}); ignored` };
    const stored = await local.putFile(source);
    // The file could change between the check and the copy: the copy's own digest decides.
    if (stored.digest !== digest) return { kind: 'corrupt', message: `shared cache ${shared.dir}: object ${digest.slice(0, 12)} of ${record.cell} changed while being read; ignored` };
  }
  local.writeRecord(record);
  return { kind: 'hit', record };
}

/** Publishes a finished record and its objects to the shared store (objects first, record last). */
export async function pushToShared(local: Store, shared: Store, record: RunRecord): Promise<void> {
  if (shared.readRecord(record.key)) return;
  mkdirSync(shared.dir, { recursive: true });
  const digests = [...record.outputs.map((o) => o.digest), ...(record.log ? [record.log] : [])];
  for (const digest of digests) {
    if (!existsSync(shared.objectPath(digest))) await shared.putFile(local.objectPath(digest));
  }
  shared.writeRecord(record);
}
