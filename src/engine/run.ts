/**
 * The scheduler: walks the cells in dependency order, serves what the store holds, hands stale
 * cells to an executor as their inputs become ready (up to its capacity), and, with keep-going,
 * lets independent cells go on after a failure. Also computes a static status for `status` and
 * `--dry-run`.
 */
import type { Cell } from '../pipeline/expand.ts';
import type { Executor } from './executor.ts';
import type { RunRecord } from '../store/store.ts';
import type { EventSink, RunSummary } from './events.ts';
import type { CellState, Planner } from './plan.ts';
import { writeSpec } from './run-cell.ts';
import type { Store } from '../store/store.ts';

/** Options of one run. */
export interface RunOptions {
  readonly keepGoing: boolean;
  /** Set to stop starting new cells (Ctrl-C). */
  readonly signal?: AbortSignal;
  /**
   * Cells this run leaves out on purpose (`--without`): they do not run; a cell that needs one
   * through an optional dep (`stage?`) runs without it, any other cell that needs one is left out
   * too (reported, not counted as skipped: nothing failed).
   */
  readonly leftOut?: ReadonlySet<string>;
}

/** What a run produced. */
export interface RunResult {
  readonly summary: RunSummary;
  /** The record of every cell that is done (ran, reused or cached), by cell name. */
  readonly done: ReadonlyMap<string, RunRecord>;
  /** The cells that came from the cache in this run. */
  readonly cached: ReadonlySet<string>;
}

/** Runs every cell; resolves with the summary (also emitted as `finish`) and the records. */
export async function runCells(cells: readonly Cell[], planner: Planner, store: Store, executor: Executor, emit: EventSink, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const byName = new Map(cells.map((c) => [c.name, c]));
  const done = new Map<string, { record: RunRecord; cell: Cell }>();
  const failed = new Map<string, { cell: string; message: string; log?: string }>();
  const skipped = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const retriedUpstream = new Set<string>();
  let cached = 0;
  const cachedCells = new Set<string>();
  let fromShared = 0;
  let ran = 0;
  let reused = 0;
  let stop = false;
  let stopped = 0;
  const left = leftOutClosure(cells, opts.leftOut);
  // One code snapshot for the whole run, saved before any cell starts (the cells' check against it
  // then only stats each file: code-identity.ts' per-file cache).
  planner.snapshotCode(new Set(cells.filter((c) => !left.has(c.name)).map((c) => c.module)));
  planner.save();
  emit({ type: 'plan', total: cells.length - left.size });

  const pending = new Set(cells.map((c) => c.name).filter((n) => !left.has(n)));
  const isGone = (u: string): boolean => failed.has(u) || skipped.has(u) || left.has(u);
  const blockedBy = (c: Cell): string | undefined => c.deps.filter((d) => !d.optional).flatMap((d) => d.cells).find(isGone);
  const ready = (c: Cell): boolean => c.deps.every((d) => d.cells.every((u) => done.has(u) || !byName.has(u) || (d.optional === true && isGone(u))));
  const gone = { has: isGone } as ReadonlySet<string>;

  for (;;) {
    let progressed = false;
    for (const name of [...pending]) {
      if (stop || opts.signal?.aborted) break;
      const cell = byName.get(name)!;
      const bad = blockedBy(cell);
      if (bad) {
        pending.delete(name);
        skipped.add(name);
        emit({ type: 'skipped', cell: name, because: bad });
        progressed = true;
        continue;
      }
      if (!ready(cell)) continue;
      if (running.size >= executor.capacity) break;
      const state: CellState = await planner.state(cell, done, gone);
      pending.delete(name);
      progressed = true;
      if (state.kind === 'cached') {
        done.set(name, { record: state.record, cell });
        cached++;
        cachedCells.add(name);
        if (state.shared) fromShared++;
        emit({ type: 'cached', cell: name, key: state.key, ...(state.shared ? { shared: true } : {}) });
        continue;
      }
      if (state.kind === 'blocked') throw new Error(`internal: ${name} planned before its inputs`);
      for (const r of state.reasons) if (r.startsWith('output object') || r.startsWith('shared cache') || r.startsWith('runs/')) emit({ type: 'corrupt', cell: name, message: r });
      writeSpec(store, state.spec);
      emit({ type: 'start', cell: name, key: state.key, reasons: state.reasons });
      const job = executor
        .run({ key: state.key, cell: name, onProgress: (d, t) => emit({ type: 'progress', cell: name, done: d, total: t }), onWait: (line) => emit({ type: 'waiting', cell: name, message: line }), ...(cell.timeoutMs !== undefined ? { timeoutMs: cell.timeoutMs } : {}) })
        .then((result) => {
          running.delete(name);
          if (result.ok) {
            done.set(name, { record: result.value.record, cell });
            if (result.value.reused) reused++;
            else ran++;
            emit({ type: 'done', cell: name, key: state.key, durationMs: result.value.record.durationMs, reused: result.value.reused, ...(result.value.dropped ? { dropped: result.value.dropped } : {}) });
            return;
          }
          const f = result.error;
          if (opts.signal?.aborted) {
            stopped++;
            return;
          }
          if (f.reason === 'bad-input' && !retriedUpstream.has(f.upstream) && byName.has(f.upstream)) {
            // An input object went bad after it was planned: rebuild that upstream, then this cell.
            retriedUpstream.add(f.upstream);
            emit({ type: 'corrupt', cell: f.upstream, message: f.message });
            done.delete(f.upstream);
            pending.add(f.upstream);
            pending.add(name);
            return;
          }
          const log = f.reason === 'stage-error' || f.reason === 'missing-output' ? store.logPath(state.key) : f.reason === 'timeout' ? f.log : undefined;
          failed.set(name, { cell: name, message: f.message, ...(log ? { log } : {}) });
          emit({ type: 'failed', cell: name, key: state.key, message: f.message, ...(log ? { log } : {}) });
          if (!opts.keepGoing) stop = true;
        });
      running.set(name, job);
    }
    if (running.size === 0 && (!progressed || stop || opts.signal?.aborted)) break;
    if (running.size > 0 && (!progressed || running.size >= executor.capacity)) await Promise.race(running.values());
  }
  planner.save();
  const aborted = opts.signal?.aborted === true;
  const summary: RunSummary = {
    total: cells.length - left.size,
    cached,
    shared: fromShared,
    ran,
    reused,
    failed: [...failed.values()],
    skipped: skipped.size + (aborted ? 0 : pending.size),
    ...(left.size ? { leftOut: left.size } : {}),
    ...(aborted ? { interrupted: { stopped, notStarted: pending.size } } : {}),
    wallMs: Date.now() - started,
  };
  emit({ type: 'finish', summary });
  return { summary, done: new Map([...done].map(([k, v]) => [k, v.record])), cached: cachedCells };
}

/**
 * The cells a run leaves out: those named (`--without`) and, transitively, every cell that needs
 * one of them through a required dep (it cannot run, and nothing failed). Optional deps do not
 * propagate: their cells run without the left-out input.
 */
export function leftOutClosure(cells: readonly Cell[], named: ReadonlySet<string> | undefined): Set<string> {
  const left = new Set(cells.filter((c) => named?.has(c.name)).map((c) => c.name));
  if (left.size === 0) return left;
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of cells) {
      if (left.has(c.name)) continue;
      if (c.deps.some((d) => !d.optional && d.cells.some((u) => left.has(u)))) {
        left.add(c.name);
        changed = true;
      }
    }
  }
  return left;
}

/** One line of `status` / `--dry-run`. */
export interface StatusEntry {
  readonly cell: string;
  readonly stage: string;
  readonly state: 'cached' | 'stale' | 'blocked';
  readonly key?: string;
  readonly reasons: readonly string[];
}

/**
 * What would run and why, without running anything. `leftOut`: cells a run leaves out
 * (`--without`), planned as `runCells` plans them: optional dependents without them, required
 * dependents left out too (and absent from the result).
 */
export async function statusOf(cells: readonly Cell[], planner: Planner, leftOut: ReadonlySet<string> = new Set()): Promise<StatusEntry[]> {
  const done = new Map<string, { record: RunRecord; cell: Cell }>();
  const out: StatusEntry[] = [];
  const states = new Map<string, CellState>();
  const left = leftOutClosure(cells, leftOut);
  // Cells arrive in pipeline order; upstream stages may be declared later, so iterate to a fixpoint.
  const names = new Set(cells.map((c) => c.name));
  let remaining = cells.filter((c) => !left.has(c.name));
  while (remaining.length) {
    const next: Cell[] = [];
    for (const cell of remaining) {
      const upstream = cell.deps.flatMap((d) => d.cells).filter((u) => !left.has(u));
      if (upstream.some((u) => !states.has(u) && names.has(u))) {
        next.push(cell);
        continue;
      }
      const s = await planner.state(cell, done, left);
      states.set(cell.name, s);
      if (s.kind === 'cached') done.set(cell.name, { record: s.record, cell });
      out.push({ cell: cell.name, stage: cell.stage, state: s.kind, ...(s.kind !== 'blocked' ? { key: s.key } : {}), reasons: s.kind === 'cached' ? [] : s.reasons });
    }
    if (next.length === remaining.length) throw new Error('internal: dependency cycle among cells');
    remaining = next;
  }
  planner.save();
  const order = new Map(cells.map((c, i) => [c.name, i]));
  return out.sort((a, b) => order.get(a.cell)! - order.get(b.cell)!);
}
