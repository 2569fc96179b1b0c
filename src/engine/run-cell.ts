/**
 * Runs one cell from what is in the artifacts directory: `hebb run-cell <key>`. This is the seam
 * every executor uses (local worker processes, Slurm tasks): the spec written by the planner
 * says what to run; the result is a run record, or nothing. Either way the outcome record
 * (results/<key>.json, outcome.ts) says how the attempt ended, for executors that read it.
 *
 * Order of work: lock the key → (already done? reuse) → private temp dir → verify and link
 * inputs → run the stage → check declared outputs → move them into cas/ → write the record
 * last → release → write the outcome. A crash at any point leaves no record (and no new
 * outcome), so the cell simply runs again.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { importStage } from '../pipeline/stage-modules.ts';
import type { CellInput } from '../stage-api.ts';
import { Store, treeDigest, type RunRecord } from '../store/store.ts';
import { pullFromShared, pushToShared } from '../store/shared.ts';
import { err, ok } from '../util/result.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import type { CellResult, CellSpec } from './executor.ts';
import { outcomeOf, writeOutcome } from './outcome.ts';
import { describeWait, type LockWait } from '../store/lock.ts';
import { droppedWarning, dropUndeclared } from './outputs.ts';
import { formatIoFailure, ioFailure } from '../util/io-error.ts';
import { inputsChanged, snapshotInputs, type GivenInput } from './input-guard.ts';
import { CodeIdentityResolver, type CodeIdentity } from './code-identity.ts';
import { cellSpecSchema, isHex64, parseStoreJson } from '../store/schemas.ts';
import { canonicalJson, sha256 } from '../util/hash.ts';

/** Hooks for a caller that wants progress while the stage runs. */
export interface RunCellHooks {
  progress?(done: number, total: number): void;
  /** Called when the cell's lock is held by another live process (a line saying who, and since when). */
  waiting?(line: string): void;
  /** Whether to echo stage log lines (e.g. to stderr for a cluster task's log). */
  echo?(line: string): void;
}

/**
 * Writes a spec where run-cell will find it, replacing any other: an invalid one, or a valid spec
 * of the same key written by another run, whose `root` may be another checkout of the project (a
 * store shared by two working trees, or a run resumed from a frozen worktree): run-cell imports the
 * stage from the spec's root, so a stale one would run that checkout's code, whatever it holds now.
 */
export function writeSpec(store: Store, spec: CellSpec): void {
  const text = JSON.stringify(spec, null, 1);
  const path = store.specPath(spec.key);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) return;
  if (current !== undefined) inspectSpec(store, spec.key); // an invalid one is set aside in quarantine/ for inspection
  writeFileAtomic(path, text);
}

/** Reads a spec; undefined when absent or not valid (see inspectSpec). */
export function readSpec(store: Store, key: string): CellSpec | undefined {
  return inspectSpec(store, key).spec;
}

/**
 * Reads specs/<key>.json and checks its shape (schema) and that it is the spec of `key` (the key
 * is the SHA-256 of its fingerprint). A bad file is set aside in quarantine/ (unless the store
 * is read-only) and treated as missing, so the planner writes it again.
 */
export function inspectSpec(store: Store, key: string): { spec?: CellSpec; problem?: string } {
  if (!isHex64(key)) return { problem: `${JSON.stringify(key).slice(0, 80)} is not a cell key (64 lower-case hex digits)` };
  const path = store.specPath(key);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code !== 'EISDIR') return { problem: `specs/${key}.json cannot be read (${code ?? (e as Error).message})` };
    text = '';
  }
  const parsed = parseStoreJson(text, cellSpecSchema);
  const problem = !parsed.ok ? parsed.problem : parsed.value.key !== key ? `it is the spec of key ${parsed.value.key.slice(0, 12)}` : sha256(canonicalJson(parsed.value.fingerprint)) !== key ? 'its key is not the SHA-256 of its fingerprint' : undefined;
  if (problem === undefined && parsed.ok) return { spec: parsed.value as unknown as CellSpec };
  const moved = store.setAside(path, 'spec');
  return { problem: `specs/${key.slice(0, 12)}….json is not a valid spec (${problem})${moved ? '; set aside' : ''}` };
}

/** What `runCell` needs besides the key. */
export interface RunCellOptions {
  readonly hooks?: RunCellHooks;
  /** A shared cache: read before running, written after (see below). */
  readonly shared?: Store;
  /** The executor's name for this attempt (e.g. a Slurm task id), kept in the outcome record. */
  readonly attempt?: string;
}

/**
 * Runs the cell with this key (see the module comment), then writes how it ended to
 * results/<key>.json (engine/outcome.ts), where an executor that cannot see this process reads
 * it. With a shared cache, the key is locked there too, so projects sharing it run each cell
 * once; a result found there is copied in, and a new result is published there.
 */
export async function runCell(store: Store, key: string, opts: RunCellOptions = {}): Promise<CellResult> {
  const hooks = opts.hooks ?? {};
  const found = inspectSpec(store, key);
  const spec = found.spec;
  const result: CellResult = spec
    ? await runSpec(store, spec, hooks, opts.shared)
    : err({ reason: 'no-spec', message: `${found.problem ?? `no spec for key ${key}`} in ${store.dir}/specs (run 'hebb repro' to plan it again)` });
  if (isHex64(key)) {
    const info = { ...(spec ? { cell: spec.cell.name } : {}), ...(opts.attempt !== undefined ? { attempt: opts.attempt } : {}) };
    const written = writeOutcome(store, outcomeOf(key, result, info));
    if (!written.ok) hooks.echo?.(`# warning: no outcome record: ${written.error}`);
  }
  return result;
}

async function runSpec(store: Store, spec: CellSpec, hooks: RunCellHooks, shared: Store | undefined): Promise<CellResult> {
  const key = spec.key;
  const existing = store.readRecord(key);
  if (existing && !(await store.verifyRecord(existing))) return ok({ record: existing, reused: true });

  // Another process runs this key: say so (what, who, since when) instead of waiting silently.
  const onWait = (where: string) => (w: LockWait): void => {
    const line = describeWait(`${spec.cell.name} (${where})`, w);
    hooks.waiting?.(line);
    hooks.echo?.(`# ${line}`);
  };
  const lock = await store.lock(key, { onWait: onWait('this store') });
  const sharedLock = shared ? await shared.lock(key, { onWait: onWait('the shared cache') }) : undefined;
  try {
    const done = store.readRecord(key);
    if (done && !(await store.verifyRecord(done))) return ok({ record: done, reused: true });
    if (shared) {
      const pulled = await pullFromShared(store, shared, key);
      if (pulled.kind === 'hit') return ok({ record: pulled.record, reused: true });
      if (pulled.kind === 'corrupt') hooks.echo?.(`# ${pulled.message}`);
    }
    const result = await runLocked(store, spec, hooks);
    if (result.ok && shared) await pushToShared(store, shared, result.value.record);
    return result;
  } finally {
    sharedLock?.release();
    lock.release();
    store.saveState();
  }
}

async function runLocked(store: Store, spec: CellSpec, hooks: RunCellHooks): Promise<CellResult> {
  const startedAt = new Date();
  const work = store.makeTempDir(spec.key.slice(0, 16));
  const outDir = join(work, 'out');
  mkdirSync(outDir);
  const logFile = join(work, 'cell.log');
  const log = (line: string): void => {
    appendFileSync(logFile, `${line}\n`);
    hooks.echo?.(line);
  };
  try {
    const inputs: Record<string, CellInput[]> = {};
    const given: GivenInput[] = [];
    for (const [dep, list] of Object.entries(spec.inputs)) {
      inputs[dep] = [];
      for (const i of list) {
        const record = store.readRecord(i.key);
        if (!record) return err({ reason: 'bad-input', upstream: i.cell, message: `input ${dep}: no record for ${i.cell} (key ${i.key.slice(0, 12)})` });
        const bad = await store.verifyRecord(record);
        if (bad) {
          store.dropRecord(i.key);
          return err({ reason: 'bad-input', upstream: i.cell, message: `input ${dep}: object ${bad.digest.slice(0, 12)} of ${i.cell} is ${bad.reason}${bad.quarantined ? ` (moved to ${bad.quarantined})` : ''}; ${i.cell} will run again` });
        }
        const view = store.materialize(record);
        given.push({ dep, cell: i.cell, view, record });
        inputs[dep]!.push({ cell: i.cell, stage: i.stage, matrix: i.matrix, params: i.params, path: view });
      }
    }
    const snapshot = snapshotInputs(given);
    log(`# ${spec.cell.name} key=${spec.key} host=${hostname()} pid=${process.pid} started=${startedAt.toISOString()}`);
    try {
      const stage = await importStage(spec.root, spec.cell.module);
      const params = stage.params.parse(spec.cell.params);
      await stage.run({
        params,
        inputs,
        outDir,
        cell: spec.cell.name,
        profile: spec.profile,
        env: spec.env,
        log,
        progress: (d, t) => hooks.progress?.(d, t),
      });
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`# FAILED: ${message}`);
      keepLog(store, spec.key, logFile);
      const io = ioFailure(e);
      return err({ reason: 'stage-error', message: io ? `the stage ${formatIoFailure(io, 'cannot write', outDir)}` : e instanceof Error ? e.message : String(e) });
    }
    const tampered = (await inputsChanged(store, snapshot)) ?? codeDrift(store, spec);
    if (tampered !== undefined) {
      log(`# FAILED: ${tampered}`);
      keepLog(store, spec.key, logFile);
      return err({ reason: 'stage-error', message: `${spec.cell.name}: ${tampered}` });
    }
    for (const out of spec.cell.outs) {
      const p = join(outDir, out);
      const isDir = out.endsWith('/');
      const st = existsSync(p) ? statSync(p) : undefined;
      if (!st || (isDir ? !st.isDirectory() : !st.isFile())) {
        log(`# FAILED: declared output ${out} was not written`);
        keepLog(store, spec.key, logFile);
        return err({ reason: 'missing-output', message: `stage ${spec.cell.stage} did not write its declared output '${out}' (${isDir ? 'a directory' : 'a file'})` });
      }
    }
    const dropped = dropUndeclared(outDir, spec.cell.outs);
    if (dropped.length > 0) log(`# warning: ${droppedWarning(spec.cell.name, dropped)}`);
    const outputs = await store.putTree(outDir);
    const finishedAt = new Date();
    log(`# done in ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(2)} s`);
    const logObject = await store.putFile(logFile, { move: true });
    const record: RunRecord = {
      schema: 1,
      key: spec.key,
      cell: spec.cell.name,
      stage: spec.cell.stage,
      profile: spec.profile,
      fingerprint: spec.fingerprint as unknown as Record<string, unknown>,
      outputs,
      tree: treeDigest(outputs),
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      host: hostname(),
      pid: process.pid,
      log: logObject.digest,
    };
    store.writeRecord(record);
    rmSync(store.logPath(spec.key), { force: true });
    return ok({ record, reused: false, ...(dropped.length > 0 ? { dropped } : {}) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Per project root, a code resolver over the store's per-file cache (read, never written here). */
const codeCheckers = new Map<string, CodeIdentityResolver>();

/**
 * Why the result must not be stored when a source file of the cell's code identity changed after
 * the run took it (an edit while the run goes on: the cell may have loaded either version, and its
 * key names the old one); undefined when none did. One stat per file, a hash only for a changed one.
 */
function codeDrift(store: Store, spec: CellSpec): string | undefined {
  const files = (spec.fingerprint.code as CodeIdentity | undefined)?.files;
  if (!files) return undefined;
  let checker = codeCheckers.get(spec.root);
  if (!checker) {
    checker = new CodeIdentityResolver(spec.root, join(store.dir, '.state', 'code-cache.json'));
    codeCheckers.set(spec.root, checker);
  }
  const changed = checker.changedSince(files);
  if (changed.length === 0) return undefined;
  const list = changed.length <= 3 ? changed.join(', ') : `${changed.slice(0, 3).join(', ')} and ${changed.length - 3} more`;
  return `${list} changed while the run was going (the cell's key names the sources as the run found them at its start): its result is not stored; run 'hebb repro' again for the new code`;
}

/** Keeps a failed cell's log at logs/<key>.log for the user (no record is written). */
function keepLog(store: Store, key: string, logFile: string): void {
  try {
    writeFileAtomic(store.logPath(key), readFileSync(logFile));
  } catch {
    /* the log is a convenience */
  }
}
