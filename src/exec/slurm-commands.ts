/**
 * What the Slurm executor says to Slurm and how it reads the answers: the command runner (a seam
 * tests replace with a fake cluster), the `sbatch` argument list, and parsers for `sbatch
 * --parsable`, `squeue` and `scontrol -o show job` output. Pure functions except `spawnRunner`.
 */
import { spawn } from 'node:child_process';

/** What a command printed and how it exited. */
export interface CommandOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one Slurm client command (`sbatch`, `squeue`, `scontrol`, `scancel`); never throws. */
export type CommandRunner = (cmd: string, args: readonly string[]) => Promise<CommandOutput>;

/** The real runner: spawns the command with this process's environment (SLURM_CONF included). */
export const spawnRunner: CommandRunner = (cmd, args) =>
  new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: `${stderr}${cmd}: ${e.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });

/** Where a task is in its life, as far as the executor cares. */
export type TaskPhase = 'waiting' | 'running' | 'finished';

/** One array task's state as Slurm reports it. */
export interface TaskState {
  readonly jobId: string;
  readonly task: number;
  /** Slurm's state name, e.g. PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT. */
  readonly state: string;
  /** `exit:signal` from scontrol, when known. */
  readonly exitCode?: string;
  /** Slurm's reason field (why pending, or why it ended), when not "None". */
  readonly reason?: string;
}

// Every state after which a job never runs again without a requeue (squeue(1) "JOB STATE CODES").
const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT', 'REVOKED']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'CONFIGURING', 'STAGE_OUT', 'SIGNALING', 'RESIZING', 'STOPPED', 'SUSPENDED']);

/** Classifies a Slurm state name (tolerates suffixes like "CANCELLED+" and "CANCELLED by 0"). */
export function phaseOf(state: string): TaskPhase {
  const s = state.replace(/[^A-Z_].*$/, '');
  if (FINAL.has(s)) return 'finished';
  if (RUNNING.has(s)) return 'running';
  return 'waiting'; // PENDING, REQUEUED, REQUEUE_HOLD, RESV_DEL_HOLD, ...
}

/** `sbatch --parsable` prints `jobid` or `jobid;cluster`. */
export function parseSbatch(stdout: string): string | undefined {
  const m = /^(\d+)(?:;\S+)?\s*$/m.exec(stdout.trim());
  return m?.[1];
}

/** The `squeue` format the parser below reads: one array task per line with `--array`. */
export const SQUEUE_FORMAT = '%i|%T|%r';

/**
 * Parses `squeue --noheader --array --states=all --format='%i|%T|%r'`. Lines look like
 * `123_4|RUNNING|None`; a still-unsplit pending range (`123_[5-9%2]|PENDING|...`) is expanded.
 * Plain jobs (no `_`) are skipped: this executor only submits arrays.
 */
export function parseSqueue(stdout: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of stdout.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (!id || !state) continue;
    const m = /^(\d+)_(\d+|\[[^\]]*\])$/.exec(id);
    if (!m) continue;
    const extra = reason && reason !== 'None' && reason !== '(null)' ? { reason } : {};
    for (const task of expandTasks(m[2]!)) out.push({ jobId: m[1]!, task, state, ...extra });
  }
  return out;
}

/** `4` → [4]; `[0-3,7%2]` → [0, 1, 2, 3, 7]. */
export function expandTasks(spec: string): number[] {
  const body = spec.replace(/^\[|\]$/g, '').replace(/%\d+$/, '');
  const out: number[] = [];
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    for (let i = a; i <= b; i += step) out.push(i);
  }
  return out;
}

/**
 * Parses `scontrol -o show job <id>` (one line per array task, `Key=Value` pairs). Used for the
 * exit code of a finished task, and for tasks squeue no longer lists.
 */
export function parseScontrol(stdout: string): TaskState[] {
  const out: TaskState[] = [];
  for (const line of stdout.split('\n')) {
    const field = (k: string): string | undefined => new RegExp(`(?:^|\\s)${k}=(\\S+)`).exec(line)?.[1];
    const jobId = field('ArrayJobId');
    const task = field('ArrayTaskId');
    const state = field('JobState');
    if (!jobId || !task || !state || !/^\d+$/.test(task)) continue;
    const exitCode = field('ExitCode');
    const reason = field('Reason');
    out.push({ jobId, task: Number(task), state, ...(exitCode ? { exitCode } : {}), ...(reason && reason !== 'None' ? { reason } : {}) });
  }
  return out;
}

/** What goes into one `sbatch` call (besides the per-run settings). */
export interface SbatchRequest {
  readonly jobName: string;
  readonly tasks: number;
  /** At most this many tasks of the array run at once (`%N`); undefined: no limit. */
  readonly throttle?: number;
  /** Slurm log pattern, e.g. `<artifacts>/logs/slurm-%A_%a.log`. */
  readonly output: string;
  readonly chdir: string;
  readonly script: string;
}

/**
 * The argument list of `sbatch` for one array job. `options`: the resource options and then the
 * user's verbatim sbatch arguments (after ours, so they can override them).
 */
export function sbatchArgs(req: SbatchRequest, options: readonly string[]): string[] {
  const args = ['--parsable', `--job-name=${req.jobName}`, `--array=0-${req.tasks - 1}${req.throttle ? `%${req.throttle}` : ''}`, `--output=${req.output}`, `--chdir=${req.chdir}`];
  // --requeue would rerun a preempted task behind our back; retries are the executor's business.
  args.push('--no-requeue');
  args.push(...options, req.script);
  return args;
}

/** Quotes a string for a POSIX shell script. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The batch script every task of an array runs: pick its key by index, then `hebb run-cell` (naming its attempt). */
export function taskScript(o: { node: string; hebb: string; artifacts: string; keysFile: string }): string {
  return [
    '#!/bin/sh',
    '# Written by the hebb Slurm executor: task i runs the cell whose key is on line i+1.',
    `key=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${shellQuote(o.keysFile)})`,
    'if [ -z "$key" ]; then echo "hebb: no key for task $SLURM_ARRAY_TASK_ID" >&2; exit 2; fi',
    // The attempt (<job>_<task>) goes into the outcome record, so the executor knows it is this task's.
    `exec ${shellQuote(o.node)} ${shellQuote(o.hebb)} --artifacts ${shellQuote(o.artifacts)} run-cell "$key" --attempt "\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID}"`,
    '',
  ].join('\n');
}
