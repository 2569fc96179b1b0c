/**
 * The store's record types: one output file, the run record of a finished cell (its presence
 * means the cell's outputs are all in the store), what reading one found, and a bad object.
 * src/store/store.ts re-exports them; schemas.ts validates them when read.
 */
import { treeDigestOf } from './schemas.ts';

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
  return treeDigestOf(outputs);
}

/** A problem with a stored object. */
export interface CorruptObject {
  readonly digest: string;
  readonly reason: 'missing' | 'corrupt';
  /** What is wrong, in words (corrupt only): "hashes to …", "a directory, not a file". */
  readonly detail?: string;
  /** Where the bad object was moved (corrupt only; never by a read-only store). */
  readonly quarantined?: string;
}

/** What reading a record found: the record, nothing, or why the file is not a valid record. */
export interface RecordLookup {
  readonly record?: RunRecord;
  /** Why the file at runs/<key>.json was not accepted (it was set aside unless read-only). */
  readonly problem?: string;
}
