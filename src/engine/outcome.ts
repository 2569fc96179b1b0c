/**
 * The outcome record, `results/<key>.json`: how the last attempt at a cell ended, as data. run-cell
 * writes it after every attempt (after the run record, when there is one): done (reused or not)
 * or failed with its `CellFailure`. An executor whose cells run out of its sight (a Slurm task,
 * one day a Kubernetes pod or a Ray task) reads it instead of parsing the task's log.
 *
 * It is a report, not a result: the run record stays the only proof that a cell is done, and
 * nothing is cached from an outcome. A missing or damaged outcome is a clear failure of that
 * attempt (`readOutcome` says which), never a crash; `hebb fsck` checks these files and `hebb gc`
 * drops those of cells no profile points at.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { cellFailureSchema, isHex64, outcomeRecordSchema, parseStoreJson } from '../store/schemas.ts';
import type { Store } from '../store/store.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { formatIoFailure, ioFailure } from '../util/io-error.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { CellFailure, CellResult } from './executor.ts';

/** The schema's failure type is exactly the contract's (a compile-time check that they agree). */
const failureAgrees: z.ZodType<CellFailure> = cellFailureSchema;
void failureAgrees;

/** A cell's outcome record (the shape `outcomeRecordSchema` checks). */
export type OutcomeRecord = z.infer<typeof outcomeRecordSchema>;

/** Where the outcome record of `key` lives; undefined for a string that is not a key. */
export function outcomePath(store: Store, key: string): string | undefined {
  return isHex64(key) ? join(store.dir, 'results', `${key}.json`) : undefined;
}

/** Who made an attempt: the cell's name (when known) and the executor's name for the attempt. */
export interface AttemptInfo {
  readonly cell?: string;
  readonly attempt?: string;
}

/** The outcome record of one attempt's result. */
export function outcomeOf(key: string, result: CellResult, info: AttemptInfo = {}): OutcomeRecord {
  return {
    schema: 1,
    key,
    ...(info.cell !== undefined ? { cell: info.cell } : {}),
    ...(info.attempt !== undefined ? { attempt: info.attempt } : {}),
    at: new Date().toISOString(),
    host: hostname(),
    pid: process.pid,
    outcome: result.ok ? { status: 'done', reused: result.value.reused } : { status: 'failed', failure: result.error },
  };
}

/** Writes an outcome record atomically; a refusal of the filesystem is a message, not a throw. */
export function writeOutcome(store: Store, record: OutcomeRecord): Result<void, string> {
  const path = outcomePath(store, record.key);
  if (!path) return err(`not a cell key: ${JSON.stringify(record.key).slice(0, 80)}`);
  try {
    writeFileAtomic(path, JSON.stringify(record, null, 1));
    return ok(undefined);
  } catch (e) {
    const io = ioFailure(e);
    return err(io ? formatIoFailure(io, 'cannot write', path) : e instanceof Error ? e.message : String(e));
  }
}

/**
 * Reads and checks results/<key>.json: the record (it is the outcome of `key`), undefined when
 * there is none, or a one-line problem when it cannot be read or is not a valid outcome record.
 */
export function readOutcome(store: Store, key: string): Result<OutcomeRecord | undefined, string> {
  const path = outcomePath(store, key);
  if (!path) return err(`${JSON.stringify(key).slice(0, 80)} is not a cell key`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ok(undefined);
    return err(`results/${key.slice(0, 12)}….json cannot be read (${code ?? (e as Error).message})`);
  }
  const parsed = parseStoreJson(text, outcomeRecordSchema);
  if (!parsed.ok) return err(`results/${key.slice(0, 12)}….json is not a valid outcome record (${parsed.problem})`);
  if (parsed.value.key !== key) return err(`results/${key.slice(0, 12)}….json is the outcome of key ${parsed.value.key.slice(0, 12)}`);
  return ok(parsed.value);
}
