/**
 * The local executor: a pool of worker processes (`hebb worker`), each running cells one at a
 * time via `run-cell`. A cell that crashes its process fails alone; the pool replaces the worker.
 * Workers are reused across cells (tfjs start-up is paid once per worker), unless `isolate`.
 */
import { hebbBin } from '../util/ts-loader.ts';
import { fork, type ChildProcess } from 'node:child_process';
import type { CellJob, CellResult, Executor } from '../engine/executor.ts';
import { err } from '../util/result.ts';
import { timedOut } from './timeout.ts';

/** Messages a worker sends back. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly key: string; readonly done: number; readonly total: number }
  | { readonly type: 'waiting'; readonly key: string; readonly line: string }
  | { readonly type: 'result'; readonly key: string; readonly result: CellResult };

/** Messages a worker receives. */
export interface WorkerRequest {
  readonly type: 'run';
  readonly key: string;
}

const HEBB_BIN = hebbBin(import.meta.url);

interface Worker {
  proc: ChildProcess;
  busy?: { job: CellJob; resolve: (r: CellResult) => void; timer?: NodeJS.Timeout; timedOut?: boolean };
  stderrTail: string;
}

/** Options of the local executor. */
export interface LocalOptions {
  readonly jobs: number;
  readonly artifacts: string;
  /** One fresh process per cell instead of reusing workers. */
  readonly isolate?: boolean;
  /** Extra environment for workers (e.g. HEBB_BACKEND). */
  readonly env?: NodeJS.ProcessEnv;
}

/** How long `close` lets a busy worker exit on SIGTERM before it is killed. */
const CLOSE_GRACE_MS = 2000;

/** Runs cells in up to `jobs` worker processes on this machine. */
export class LocalExecutor implements Executor {
  readonly capacity: number;
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private closed = false;

  constructor(private readonly opts: LocalOptions) {
    this.capacity = Math.max(1, opts.jobs);
  }

  run(job: CellJob): Promise<CellResult> {
    const worker = this.idle.pop() ?? this.spawn();
    return new Promise((resolve) => {
      const busy: NonNullable<Worker['busy']> = { job, resolve };
      worker.busy = busy;
      if (job.timeoutMs !== undefined) {
        // SIGKILL: a stage stuck in a synchronous loop never runs a SIGTERM handler.
        busy.timer = setTimeout(() => {
          busy.timedOut = true;
          worker.proc.kill('SIGKILL');
        }, job.timeoutMs);
      }
      worker.proc.send({ type: 'run', key: job.key } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.all].map((w) => new Promise<void>((r) => (w.proc.exitCode !== null || w.proc.signalCode !== null ? r() : w.proc.once('exit', () => r()))));
    const busy: Worker[] = [];
    for (const w of this.all) {
      if (w.busy) {
        w.proc.kill('SIGTERM');
        busy.push(w);
      } else if (w.proc.connected) w.proc.disconnect();
    }
    // A stage in a synchronous loop (every training step) never runs the worker's SIGTERM
    // handler: after a short grace, SIGKILL, so Ctrl-C stops running cells instead of orphaning them.
    const grace = setTimeout(() => {
      for (const w of busy) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    }, CLOSE_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(grace);
  }

  private spawn(): Worker {
    const proc = fork(HEBB_BIN, ['worker', '--artifacts', this.opts.artifacts], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ...this.opts.env },
    });
    const worker: Worker = { proc, stderrTail: '' };
    this.all.add(worker);
    proc.stderr?.on('data', (d: Buffer) => {
      worker.stderrTail = (worker.stderrTail + d.toString()).slice(-4000);
    });
    proc.on('message', (m: WorkerMessage) => {
      const busy = worker.busy;
      if (!busy || m.key !== busy.job.key) return;
      if (m.type === 'progress') busy.job.onProgress?.(m.done, m.total);
      else if (m.type === 'waiting') busy.job.onWait?.(m.line);
      else {
        worker.busy = undefined;
        clearTimeout(busy.timer);
        busy.resolve(m.result);
        if (this.opts.isolate || this.closed) this.retire(worker);
        else this.idle.push(worker);
      }
    });
    proc.on('exit', (code, signal) => {
      this.all.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      const busy = worker.busy;
      if (busy) {
        worker.busy = undefined;
        clearTimeout(busy.timer);
        if (busy.timedOut) {
          busy.resolve(err(timedOut(this.opts.artifacts, busy.job, proc.pid)));
          return;
        }
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const tail = worker.stderrTail.trim().split('\n').slice(-8).join('\n');
        busy.resolve(err({ reason: 'stage-error', message: `worker process died (${how}) while running this cell${tail ? `:\n${tail}` : ''}` }));
      }
    });
    return worker;
  }

  private retire(worker: Worker): void {
    if (worker.proc.connected) worker.proc.disconnect();
  }
}
