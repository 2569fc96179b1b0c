/**
 * The Slurm executor. Cells handed over within a short window go out together as one
 * `sbatch --array` job; task i runs `hebb run-cell <key i>` (keys file indexed by
 * SLURM_ARRAY_TASK_ID), so the artifacts directory must be on a filesystem every node shares.
 *
 * Watching polls `squeue` (and `scontrol` for tasks squeue no longer lists): no accounting
 * (sacct), no `sbatch --wait`. When a task ends, its result is read from the store: a run record
 * means the cell is done whatever the exit code; no record means it failed, for the reason in the
 * task's outcome record (results/<key>.json, written by run-cell; never parsed from log text),
 * reported with the tail of its Slurm log (artifacts/logs/slurm-<job>_<task>.log). `retries`
 * resubmits failed cells.
 * `close()` scancels what this executor submitted and waits for the tasks to end, so a second run
 * finds a consistent store (run-cell writes its record last) and reuses what finished.
 */
import { isHex64 } from '../store/schemas.ts';
import { hebbBin } from '../util/ts-loader.ts';
import { mkdirSync, openSync, readSync, closeSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellFailure, CellJob, CellResult, Executor } from '../engine/executor.ts';
import { Store } from '../store/store.ts';
import { err, ok } from '../util/result.ts';
import { unreachable } from '../util/unreachable.ts';
import { parseSbatch, parseScontrol, parseSqueue, phaseOf, sbatchArgs, SQUEUE_FORMAT, spawnRunner, taskScript, type CommandRunner, type TaskState } from './slurm-commands.ts';
import { sbatchResources, type SlurmSettings } from './slurm-options.ts';
import { readOutcome } from '../engine/outcome.ts';

/** What the Slurm executor reports (it never prints; the CLI decides what to show). */
export type SlurmEvent =
  /** An array job went out: task i runs cells[i]. */
  | { readonly type: 'submitted'; readonly jobId: string; readonly cells: readonly string[] }
  /** A cell failed and goes out again (`attempt` counts from 1 for the first resubmission). */
  | { readonly type: 'retry'; readonly cell: string; readonly attempt: number; readonly retries: number; readonly message: string }
  /** close(): these jobs were cancelled. */
  | { readonly type: 'cancelled'; readonly jobIds: readonly string[] }
  /** squeue/scontrol failed; polling goes on (a busy controller times out now and then). */
  | { readonly type: 'poll-error'; readonly message: string };

/** One line for the user about an event (the CLI prefixes `hebb: slurm: `). */
export function describeSlurmEvent(e: SlurmEvent): string {
  switch (e.type) {
    case 'submitted':
      return `job ${e.jobId}: ${e.cells.length} cell(s), ${e.cells[0]}${e.cells.length > 1 ? ' …' : ''}`;
    case 'retry':
      return `${e.cell} failed (${e.message}); resubmitting (${e.attempt}/${e.retries})`;
    case 'cancelled':
      return `scancel ${e.jobIds.join(' ')}`;
    case 'poll-error':
      return `${e.message} (will try again)`;
    default:
      return unreachable(e);
  }
}

/** Options of the Slurm executor. */
export interface SlurmExecutorOptions {
  /** The artifacts directory, on a filesystem the cluster's nodes share. */
  readonly artifacts: string;
  /** Working directory of the tasks (`sbatch --chdir`), normally the project root. */
  readonly workdir: string;
  readonly settings: SlurmSettings;
  /** How Slurm commands are run (tests pass a fake cluster). */
  readonly runner?: CommandRunner;
  readonly onEvent?: (e: SlurmEvent) => void;
  /** The node binary tasks run (default: this one; it must exist at the same path on the nodes). */
  readonly node?: string;
  /** How long close() waits for cancelled tasks to end (default 30 s). */
  readonly cancelWaitMs?: number;
}

type Resolve = (r: CellResult) => void;

interface Queued {
  readonly job: CellJob;
  /** 0 for the first submission. */
  readonly attempt: number;
  readonly resolve: Resolve;
}

interface Task {
  readonly queued: Queued;
  readonly jobId: string;
  readonly index: number;
  readonly log: string;
  readonly submittedAt: number;
  /** Polls in a row that did not list the task. */
  missing: number;
}

const HEBB_BIN = hebbBin(import.meta.url);
const CANCELLED: CellFailure = { reason: 'stage-error', message: 'cancelled (the run was interrupted)' };

/** Runs cells as Slurm array tasks (see the module comment). */
export class SlurmExecutor implements Executor {
  /** Slurm queues for us: hand over every ready cell. */
  readonly capacity = 100_000;
  private readonly store: Store;
  private readonly runner: CommandRunner;
  private readonly runTag = `${Date.now().toString(36)}-${process.pid}`;
  private seq = 0;
  private batch: Queued[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly submits = new Set<Promise<void>>();
  private readonly tasks = new Map<string, Task>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SlurmExecutorOptions) {
    this.store = new Store(opts.artifacts);
    this.runner = opts.runner ?? spawnRunner;
  }

  run(job: CellJob): Promise<CellResult> {
    if (this.closing) return Promise.resolve(err(CANCELLED));
    // The store never holds a record under a malformed key: watching for one would never end.
    if (!isHex64(job.key)) return Promise.resolve(err({ reason: 'stage-error', message: `not a cell key (64 lower-case hex digits): ${JSON.stringify(job.key).slice(0, 80)}` }));
    return new Promise((resolve) => this.enqueue({ job, attempt: 0, resolve }));
  }

  /** Cancels this executor's jobs, waits for their tasks to end, settles every pending cell. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private enqueue(q: Queued): void {
    this.batch.push(q);
    this.batchTimer ??= setTimeout(() => this.flush(), this.opts.settings.batch_window_ms);
  }

  private flush(): void {
    this.batchTimer = undefined;
    const all = this.batch;
    this.batch = [];
    for (let i = 0; i < all.length; i += this.opts.settings.max_array) {
      const p = this.submit(all.slice(i, i + this.opts.settings.max_array));
      this.submits.add(p);
      void p.finally(() => this.submits.delete(p));
    }
  }

  private async submit(chunk: readonly Queued[]): Promise<void> {
    const dir = join(this.opts.artifacts, 'slurm');
    const base = join(dir, `${this.runTag}-${this.seq++}`);
    const logs = join(this.opts.artifacts, 'logs');
    let out;
    try {
      mkdirSync(dir, { recursive: true });
      mkdirSync(logs, { recursive: true });
      writeFileSync(`${base}.keys`, chunk.map((q) => `${q.job.key}\n`).join(''));
      writeFileSync(`${base}.sh`, taskScript({ node: this.opts.node ?? process.execPath, hebb: HEBB_BIN, artifacts: this.opts.artifacts, keysFile: `${base}.keys` }));
      const stages = new Set(chunk.map((q) => q.job.cell.split('@')[0]));
      const jobName = stages.size === 1 ? `hebb-${[...stages][0]}` : 'hebb';
      const { settings } = this.opts;
      const args = sbatchArgs({ jobName, tasks: chunk.length, output: join(logs, 'slurm-%A_%a.log'), chdir: this.opts.workdir, script: `${base}.sh`, ...(settings.throttle ? { throttle: settings.throttle } : {}) }, [...sbatchResources(settings), ...settings.sbatch_args]);
      out = await this.runner('sbatch', args);
    } catch (e) {
      out = { code: -1, stdout: '', stderr: e instanceof Error ? e.message : String(e) };
    }
    const jobId = out.code === 0 ? parseSbatch(out.stdout) : undefined;
    if (!jobId) {
      const why = (out.stderr || out.stdout).trim() || `exit code ${out.code}`;
      for (const q of chunk) q.resolve(err({ reason: 'stage-error', message: `sbatch failed: ${why}` }));
      return;
    }
    this.emit({ type: 'submitted', jobId, cells: chunk.map((q) => q.job.cell) });
    const now = Date.now();
    chunk.forEach((queued, index) => this.tasks.set(`${jobId}_${index}`, { queued, jobId, index, log: join(logs, `slurm-${jobId}_${index}.log`), submittedAt: now, missing: 0 }));
    if (this.closing) await this.scancel([jobId]);
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.pollTimer || this.polling || this.tasks.size === 0) return;
    const ms = this.closing ? Math.min(this.opts.settings.poll_ms, 250) : this.opts.settings.poll_ms;
    this.pollTimer = setTimeout(() => void this.pollOnce(), ms);
  }

  private async pollOnce(): Promise<void> {
    this.pollTimer = undefined;
    this.polling = true;
    try {
      await this.poll();
    } catch (e) {
      this.emit({ type: 'poll-error', message: e instanceof Error ? e.message : String(e) });
    } finally {
      this.polling = false;
      if (this.tasks.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      this.schedulePoll();
    }
  }

  /** One round: ask squeue about every job with open tasks; settle the tasks that ended. */
  private async poll(): Promise<void> {
    const jobIds = [...new Set([...this.tasks.values()].map((t) => t.jobId))];
    if (jobIds.length === 0) return;
    const q = await this.runner('squeue', ['--noheader', '--array', '--states=all', `--jobs=${jobIds.join(',')}`, `--format=${SQUEUE_FORMAT}`]);
    // squeue refuses a list made only of ids the controller has purged (MinJobAge): none listed.
    if (q.code !== 0 && !/invalid job id/i.test(q.stderr)) {
      this.emit({ type: 'poll-error', message: `squeue: ${q.stderr.trim() || `exit code ${q.code}`}` });
      return;
    }
    const listed = new Map(parseSqueue(q.code === 0 ? q.stdout : '').map((s) => [`${s.jobId}_${s.task}`, s]));
    const ended: [Task, TaskState][] = [];
    const unlisted: Task[] = [];
    for (const [id, task] of this.tasks) {
      const s = listed.get(id);
      if (!s) unlisted.push(task);
      else if (phaseOf(s.state) === 'finished') ended.push([task, s]);
    }
    // A task squeue does not list (purged, or squeue lagging): scontrol has the last word.
    for (const jobId of new Set(unlisted.map((t) => t.jobId))) {
      const c = await this.runner('scontrol', ['-o', 'show', 'job', jobId]);
      const known = new Map(parseScontrol(c.code === 0 ? c.stdout : '').map((s) => [`${s.jobId}_${s.task}`, s]));
      for (const task of unlisted.filter((t) => t.jobId === jobId)) {
        const s = known.get(`${task.jobId}_${task.index}`);
        if (s && phaseOf(s.state) !== 'finished') task.missing = 0;
        else if (s) ended.push([task, s]);
        else if (++task.missing >= 3) ended.push([task, { jobId, task: task.index, state: 'UNKNOWN (no longer listed by squeue or scontrol)' }]);
      }
    }
    const needExit = ended.filter(([, s]) => !s.exitCode && !s.state.startsWith('COMPLETED')).map(([t]) => t.jobId);
    const exits = new Map<string, TaskState>();
    for (const jobId of new Set(needExit)) {
      const c = await this.runner('scontrol', ['-o', 'show', 'job', jobId]);
      for (const s of parseScontrol(c.code === 0 ? c.stdout : '')) exits.set(`${s.jobId}_${s.task}`, s);
    }
    for (const [task, s] of ended) this.settle(task, exits.get(`${task.jobId}_${task.index}`) ?? s);
  }

  /**
   * A task ended: the store says how. A run record means the cell is done, whatever the exit
   * code; otherwise this task's outcome record (results/<key>.json, naming its attempt) says why
   * it failed. No outcome of this attempt (the task was killed, its node died) or a damaged one is
   * a failure that says so; either way the failure carries the tail of the task's Slurm log.
   */
  private settle(task: Task, s: TaskState): void {
    this.tasks.delete(`${task.jobId}_${task.index}`);
    const { job, attempt, resolve } = task.queued;
    const read = readOutcome(this.store, job.key);
    const outcome = read.ok && read.value?.attempt === `${task.jobId}_${task.index}` ? read.value.outcome : undefined;
    const record = this.store.readRecord(job.key);
    if (record) {
      resolve(ok({ record, reused: outcome?.status === 'done' ? outcome.reused : Date.parse(record.startedAt) < task.submittedAt }));
      return;
    }
    const why = outcome?.status === 'failed' ? outcome.failure : undefined;
    let missing: string | undefined;
    if (!read.ok) missing = read.error;
    else if (outcome?.status === 'done') missing = 'its outcome record says done, but its run record is missing or not valid';
    else if (!outcome) missing = read.value ? `its outcome record is that of attempt ${read.value.attempt ?? '(unnamed)'}, not of this task` : `it left no outcome record (results/${job.key.slice(0, 12)}….json)`;
    const failure = failureOf(task, s, why, missing, logTail(task.log, 15));
    const retries = this.opts.settings.retries;
    if (!this.closing && failure.reason !== 'no-spec' && attempt < retries) {
      this.emit({ type: 'retry', cell: job.cell, attempt: attempt + 1, retries, message: failure.message.split('\n')[0]! });
      this.enqueue({ job, attempt: attempt + 1, resolve });
      return;
    }
    resolve(err(this.closing ? { ...CANCELLED, message: `${CANCELLED.message}; Slurm task ${task.jobId}_${task.index} ended ${s.state}` } : failure));
  }

  private async shutdown(): Promise<void> {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    for (const q of this.batch.splice(0)) q.resolve(err(CANCELLED));
    await Promise.all([...this.submits]);
    const jobIds = [...new Set([...this.tasks.values()].map((t) => t.jobId))];
    if (jobIds.length === 0) return;
    await this.scancel(jobIds);
    this.emit({ type: 'cancelled', jobIds });
    if (this.pollTimer) {
      clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
    this.schedulePoll();
    const idle = new Promise<void>((r) => this.idleWaiters.push(r));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, this.opts.cancelWaitMs ?? 30_000)));
    await Promise.race([idle, timeout]);
    clearTimeout(timer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    // Tasks Slurm did not report as ended in time: settle them from the store as they stand.
    for (const task of [...this.tasks.values()]) this.settle(task, { jobId: task.jobId, task: task.index, state: 'CANCELLED (still ending when hebb stopped waiting)' });
  }

  private async scancel(jobIds: readonly string[]): Promise<void> {
    const r = await this.runner('scancel', [...jobIds]);
    if (r.code !== 0) this.emit({ type: 'poll-error', message: `scancel ${jobIds.join(' ')}: ${r.stderr.trim() || `exit code ${r.code}`}` });
  }

  private emit(e: SlurmEvent): void {
    this.opts.onEvent?.(e);
  }
}

/**
 * The failure of a task that left no run record: run-cell's own failure from the outcome record
 * (`why`), or, when there is none, what is missing; with the Slurm state, the log path and its tail.
 */
function failureOf(task: Task, s: TaskState, why: CellFailure | undefined, missing: string | undefined, tail: string): CellFailure {
  const how = `Slurm task ${task.jobId}_${task.index} ended ${s.state}${s.exitCode ? ` (exit ${s.exitCode})` : ''}${s.reason ? ` [${s.reason}]` : ''} without a run record${missing ? `; ${missing}` : ''}`;
  const first = why?.message.split('\n')[0];
  const message = `${first !== undefined ? `${first} (${how})` : how}\n  log: ${task.log}${tail ? `\n${tail.replace(/^/gm, '  | ')}` : ''}`;
  return why ? { ...why, message } : { reason: 'stage-error', message };
}

/** The last `lines` lines of a log (reads at most 16 KiB); '' when there is none (yet). */
export function logTail(path: string, lines: number): string {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    const len = Math.min(size, 16_384);
    const buf = Buffer.alloc(len);
    fd = openSync(path, 'r');
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
