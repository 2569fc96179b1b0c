/**
 * The Slurm executor against a fake cluster: the command runner is replaced by an in-memory Slurm
 * that answers sbatch/squeue/scontrol/scancel like slurm-wlm 22.05 and "runs" a task by writing
 * (or not) its run record into a real temporary store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmExecutor, type SlurmEvent } from '../src/exec/slurm.ts';
import { expandTasks, parseSbatch, parseScontrol, parseSqueue, phaseOf, sbatchArgs, taskScript } from '../src/exec/slurm-commands.ts';
import { slurmSettings, type SlurmSettings } from '../src/exec/slurm-options.ts';
import type { CommandOutput } from '../src/exec/slurm-commands.ts';
import { Store, treeDigest, type RunRecord } from '../src/store/store.ts';
import type { LoadedPipeline } from '../src/pipeline/load.ts';
import { canonicalJson, sha256 } from '../src/util/hash.ts';

/**
 * Tests name cells by short names ('k1', 'flaky'); the store only takes a record whose key is the
 * SHA-256 of its fingerprint, so each name's key is that of the fingerprint { test: name }, and the
 * fake cluster maps keys back to names.
 */
const names = new Map<string, string>();
const fingerprintOf = (name: string): Record<string, unknown> => ({ test: name });
const K = (name: string): string => {
  const key = sha256(canonicalJson(fingerprintOf(name)));
  names.set(key, name);
  return key;
};
const nameOf = (key: string): string => names.get(key) ?? key;

/** What a fake task does when it runs: succeed (write a record) or fail with a log. */
type Outcome = { ok: true } | { ok: false; state?: string; log: string };

interface FakeJob {
  id: string;
  keys: string[];
  args: string[];
  /** Per task: polls left before it ends; -1 once ended. */
  ticks: number[];
  states: string[];
}

/** An in-memory Slurm. Each squeue call advances every live task by one tick. */
class FakeSlurm {
  readonly calls: { cmd: string; args: readonly string[] }[] = [];
  readonly jobs = new Map<string, FakeJob>();
  private next = 100;
  /** Decides each task's fate when it ends; `attempt` counts submissions of that key. */
  outcome: (key: string, attempt: number) => Outcome = () => ({ ok: true });
  /** Ticks a task stays pending/running. */
  ticks = 2;
  /** When set, squeue fails this many times first. */
  squeueFailures = 0;
  private readonly attempts = new Map<string, number>();

  constructor(private readonly store: Store) {}

  readonly runner = async (cmd: string, args: readonly string[]): Promise<CommandOutput> => {
    this.calls.push({ cmd, args });
    if (cmd === 'sbatch') return this.sbatch(args);
    if (cmd === 'squeue') return this.squeue(args);
    if (cmd === 'scontrol') return this.scontrol(args);
    if (cmd === 'scancel') return this.scancel(args);
    return { code: 127, stdout: '', stderr: `${cmd}: not found` };
  };

  private sbatch(args: readonly string[]): CommandOutput {
    const script = args[args.length - 1]!;
    const keys = readFileSync(script.replace(/\.sh$/, '.keys'), 'utf8').split('\n').filter(Boolean).map(nameOf);
    const id = String(this.next++);
    this.jobs.set(id, { id, keys, args: [...args], ticks: keys.map(() => this.ticks), states: keys.map(() => 'PENDING') });
    return { code: 0, stdout: `${id}\n`, stderr: '' };
  }

  private squeue(args: readonly string[]): CommandOutput {
    if (this.squeueFailures > 0) {
      this.squeueFailures--;
      return { code: 1, stdout: '', stderr: 'squeue: error: Socket timed out on send/recv operation' };
    }
    const ids = args.find((a) => a.startsWith('--jobs='))!.slice(7).split(',');
    const lines: string[] = [];
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job) continue;
      job.keys.forEach((key, i) => {
        if (job.ticks[i]! > 0 && --job.ticks[i]! === 0) this.end(job, i, key);
        else if (job.ticks[i]! > 0 && job.ticks[i]! < this.ticks) job.states[i] = 'RUNNING';
      });
      // Like squeue: pending tasks of one array may come as one unsplit range.
      const pending = job.states.map((s, i) => (s === 'PENDING' ? i : -1)).filter((i) => i >= 0);
      if (pending.length > 1) lines.push(`${id}_[${pending[0]}-${pending[pending.length - 1]}]|PENDING|Resources`);
      job.states.forEach((s, i) => {
        if (s !== 'PENDING' || pending.length === 1) lines.push(`${id}_${i}|${s}|None`);
      });
    }
    if (lines.length === 0) return { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified' };
    return { code: 0, stdout: lines.join('\n') + '\n', stderr: '' };
  }

  private scontrol(args: readonly string[]): CommandOutput {
    const job = this.jobs.get(args[3]!);
    if (!job) return { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified' };
    const lines = job.states.map((s, i) => `JobId=${Number(job.id) + i} ArrayJobId=${job.id} ArrayTaskId=${i} JobName=hebb JobState=${s} Reason=None ExitCode=${s === 'COMPLETED' ? '0:0' : s === 'FAILED' ? '1:0' : '0:15'} RunTime=00:00:01`);
    return { code: 0, stdout: lines.join('\n') + '\n', stderr: '' };
  }

  private scancel(args: readonly string[]): CommandOutput {
    for (const id of args) {
      const job = this.jobs.get(id);
      if (!job) continue;
      job.states.forEach((s, i) => {
        if (phaseOf(s) !== 'finished') {
          job.states[i] = 'CANCELLED';
          job.ticks[i] = -1;
        }
      });
    }
    return { code: 0, stdout: '', stderr: '' };
  }

  private end(job: FakeJob, i: number, key: string): void {
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const o = this.outcome(key, attempt);
    const log = join(this.store.dir, 'logs', `slurm-${job.id}_${i}.log`);
    if (o.ok) {
      this.store.writeRecord(fakeRecord(key));
      writeFileSync(log, `done ${key}\n`);
      job.states[i] = 'COMPLETED';
    } else {
      writeFileSync(log, o.log);
      job.states[i] = o.state ?? 'FAILED';
    }
    job.ticks[i] = -1;
  }

  sbatchCalls(): FakeJob[] {
    return [...this.jobs.values()];
  }
}

function fakeRecord(key: string): RunRecord {
  const now = new Date().toISOString();
  return { schema: 1, key: K(key), cell: `c-${key}`, stage: 'gen', profile: 'p', fingerprint: fingerprintOf(key), outputs: [], tree: treeDigest([]), startedAt: now, finishedAt: now, durationMs: 1, host: 'node1', pid: 1 };
}

const SETTINGS: SlurmSettings = { sbatchArgs: [], maxArray: 1000, retries: 0, pollMs: 5, batchWindowMs: 30 };

describe('SlurmExecutor with a fake cluster', () => {
  let dir: string;
  let store: Store;
  let fake: FakeSlurm;
  let events: SlurmEvent[];
  const make = (settings: Partial<SlurmSettings> = {}): SlurmExecutor =>
    new SlurmExecutor({ artifacts: dir, workdir: '/project', settings: { ...SETTINGS, ...settings }, runner: fake.runner, onEvent: (e) => events.push(e), cancelWaitMs: 2000 });
  const job = (key: string, cell = `gen@${key}`) => ({ key: K(key), cell });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hebb-slurm-fake-'));
    mkdirSync(join(dir, 'logs'), { recursive: true });
    store = new Store(dir);
    fake = new FakeSlurm(store);
    events = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('batches cells handed over together into one array job that runs hebb run-cell per task', async () => {
    const ex = make({ partition: 'gpu', time: '01:00:00', cpusPerTask: 4, mem: '8G', gres: 'gpu:1', sbatchArgs: ['--account=lab'], throttle: 2 });
    const results = await Promise.all(['k1', 'k2', 'k3'].map((k) => ex.run(job(k))));
    await ex.close();
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(results.map((r) => (r.ok ? nameOf(r.value.record.key) : ''))).toEqual(['k1', 'k2', 'k3']);
    const jobs = fake.sbatchCalls();
    expect(jobs).toHaveLength(1);
    const args = jobs[0]!.args;
    expect(args).toEqual(
      expect.arrayContaining(['--parsable', '--job-name=hebb-gen', '--array=0-2%2', `--output=${join(dir, 'logs', 'slurm-%A_%a.log')}`, '--chdir=/project', '--partition=gpu', '--time=01:00:00', '--cpus-per-task=4', '--mem=8G', '--gres=gpu:1', '--account=lab']),
    );
    const script = readFileSync(args[args.length - 1]!, 'utf8');
    expect(script).toContain('SLURM_ARRAY_TASK_ID + 1');
    expect(script).toMatch(/bin\/hebb\.js' --artifacts '.*' run-cell "\$key"/);
    expect(jobs[0]!.keys).toEqual(['k1', 'k2', 'k3']);
    expect(events[0]).toEqual({ type: 'submitted', jobId: '100', cells: ['gen@k1', 'gen@k2', 'gen@k3'] });
    // Watching used squeue, never sacct nor sbatch --wait.
    expect(fake.calls.some((c) => c.cmd === 'sacct' || c.args.includes('--wait'))).toBe(false);
  });

  it('splits a batch larger than max_array, and cells arriving later go out as a new array', async () => {
    const ex = make({ maxArray: 2 });
    const first = Promise.all(['a', 'b', 'c'].map((k) => ex.run(job(k))));
    await new Promise((r) => setTimeout(r, 80));
    const late = ex.run(job('d', 'sum'));
    await Promise.all([first, late]);
    await ex.close();
    expect(fake.sbatchCalls().map((j) => j.keys)).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(fake.sbatchCalls()[2]!.args).toContain('--job-name=hebb-sum');
  });

  it('reads the result from the store, not the exit code', async () => {
    // A task that Slurm calls FAILED but whose record exists (e.g. it died after writing it) is done;
    fake.outcome = (key) => (key === 'x' ? { ok: true } : { ok: false, state: 'COMPLETED', log: 'exit 0 but no record\n' });
    const ex = make();
    const [x, y] = await Promise.all([ex.run(job('x')), ex.run(job('y'))]);
    await ex.close();
    expect(x.ok).toBe(true);
    // ... and a task Slurm calls COMPLETED without a record failed.
    expect(y.ok).toBe(false);
    if (!y.ok) expect(y.error.message).toMatch(/ended COMPLETED without a run record/);
  });

  it('reports a failed task with the run-cell reason and the tail of its log', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    fake.outcome = () => ({ ok: false, log: `${lines}\n# FAILED: Error: boom\nhebb run-cell: stage-error: boom\n` });
    const ex = make();
    const r = await ex.run(job('k'));
    await ex.close();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('stage-error');
    expect(r.error.message).toMatch(/^boom \(Slurm task 100_0 ended FAILED \(exit 1:0\) without a run record\)/);
    expect(r.error.message).toContain(`log: ${join(dir, 'logs', 'slurm-100_0.log')}`);
    expect(r.error.message).toContain('  | hebb run-cell: stage-error: boom');
    expect(r.error.message).toContain('  | line 29');
    expect(r.error.message).not.toContain('line 10\n');
  });

  it('maps run-cell reasons: bad-input names the upstream cell, no-spec is not retried', async () => {
    fake.outcome = (key) => ({
      ok: false,
      log: key === 'b' ? 'hebb run-cell: bad-input: input values: no record for gen@a-s0 (key 0123abcd)\n' : `hebb run-cell: no-spec: no spec for key ${key}\n`,
    });
    const ex = make({ retries: 2 });
    const [b, n] = await Promise.all([ex.run(job('b')), ex.run(job('n'))]);
    await ex.close();
    expect(!b.ok && b.error).toMatchObject({ reason: 'bad-input', upstream: 'gen@a-s0' });
    expect(!n.ok && n.error.reason).toBe('no-spec');
    const submissions = fake.sbatchCalls().flatMap((j) => j.keys);
    expect(submissions.filter((k) => k === 'n')).toHaveLength(1);
    expect(submissions.filter((k) => k === 'b')).toHaveLength(3);
  });

  it('retries a failed cell up to N times, then succeeds or reports the last failure', async () => {
    fake.outcome = (key, attempt) => (key === 'flaky' && attempt < 3 ? { ok: false, state: 'NODE_FAIL', log: 'node went away\n' } : key === 'bad' ? { ok: false, log: 'hebb run-cell: stage-error: always\n' } : { ok: true });
    const ex = make({ retries: 2 });
    const [flaky, bad, good] = await Promise.all([ex.run(job('flaky')), ex.run(job('bad')), ex.run(job('good'))]);
    await ex.close();
    expect(flaky.ok).toBe(true);
    expect(good.ok).toBe(true);
    expect(bad.ok).toBe(false);
    const retries = events.filter((e) => e.type === 'retry');
    expect(retries.filter((e) => e.cell === 'gen@flaky').map((e) => e.type === 'retry' && e.attempt)).toEqual([1, 2]);
    expect(retries.filter((e) => e.cell === 'gen@bad')).toHaveLength(2);
    expect(retries[0]).toMatchObject({ retries: 2 });
    expect(fake.sbatchCalls().map((j) => j.keys)).toEqual([['flaky', 'bad', 'good'], ['flaky', 'bad'], ['flaky', 'bad']]);
  });

  it('keeps polling through squeue errors', async () => {
    fake.squeueFailures = 3;
    const ex = make();
    const r = await ex.run(job('k'));
    await ex.close();
    expect(r.ok).toBe(true);
    expect(events.filter((e) => e.type === 'poll-error')).toHaveLength(3);
  });

  it('settles a task that squeue and scontrol no longer know from the store', async () => {
    fake.ticks = 1000; // never ends by itself
    const ex = make();
    const p = ex.run(job('gone'));
    await new Promise((r) => setTimeout(r, 80));
    // The controller purged the job (MinJobAge) after it wrote its record.
    store.writeRecord(fakeRecord('gone'));
    fake.jobs.clear();
    const r = await p;
    await ex.close();
    expect(r.ok).toBe(true);
  });

  it('close() scancels what it submitted, settles every cell, and keeps cells that finished', async () => {
    fake.ticks = 1000;
    const ex = make();
    const running = ['a', 'b', 'c'].map((k) => ex.run(job(k)));
    await new Promise((r) => setTimeout(r, 80));
    store.writeRecord(fakeRecord('b')); // b finished just before the cancel
    const queuedLate = ex.run(job('d')); // still in the batch window: never submitted
    await ex.close();
    const results = await Promise.all([...running, queuedLate]);
    expect(results.map((r) => r.ok)).toEqual([false, true, false, false]);
    expect(fake.calls.filter((c) => c.cmd === 'scancel').map((c) => c.args)).toEqual([['100']]);
    expect(fake.sbatchCalls()).toHaveLength(1);
    expect(events).toContainEqual({ type: 'cancelled', jobIds: ['100'] });
    const a = results[0]!;
    if (!a.ok) expect(a.error.message).toMatch(/cancelled.*ended CANCELLED/);
    // After close, nothing new is accepted, and close is idempotent.
    expect((await ex.run(job('e'))).ok).toBe(false);
    await ex.close();
  });

  it('fails a malformed key at once instead of watching forever for a record the store cannot hold', async () => {
    const ex = make();
    const r = await ex.run({ key: 'k1', cell: 'gen@k1' });
    await ex.close();
    expect(!r.ok && r.error.message).toMatch(/not a cell key/);
    expect(fake.sbatchCalls()).toHaveLength(0);
  });

  it('reports sbatch errors as cell failures', async () => {
    const ex = new SlurmExecutor({ artifacts: dir, workdir: '/p', settings: SETTINGS, runner: async () => ({ code: 1, stdout: '', stderr: 'sbatch: error: invalid partition specified: nope\n' }) });
    const r = await ex.run(job('k'));
    await ex.close();
    expect(!r.ok && r.error.message).toBe('sbatch failed: sbatch: error: invalid partition specified: nope');
  });
});

describe('Slurm output parsing', () => {
  it('parses sbatch --parsable with and without a cluster name', () => {
    expect(parseSbatch('1234\n')).toBe('1234');
    expect(parseSbatch('1234;cluster\n')).toBe('1234');
    expect(parseSbatch('sbatch: error\n')).toBeUndefined();
  });

  it('parses squeue lines, expanding pending ranges and skipping plain jobs', () => {
    const s = parseSqueue('7_[2-4,9%2]|PENDING|Resources\n7_0|RUNNING|None\n7_1|CANCELLED|None\n8|RUNNING|None\n\n');
    expect(s.map((t) => `${t.jobId}_${t.task}:${t.state}`)).toEqual(['7_2:PENDING', '7_3:PENDING', '7_4:PENDING', '7_9:PENDING', '7_0:RUNNING', '7_1:CANCELLED']);
    expect(s[0]!.reason).toBe('Resources');
    expect(s[4]!.reason).toBeUndefined();
    expect(expandTasks('[0-6:3]')).toEqual([0, 3, 6]);
  });

  it('parses scontrol -o show job, one line per task', () => {
    const out =
      'JobId=12 ArrayJobId=11 ArrayTaskId=1 JobName=hebb-gen UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=1:0 RunTime=00:00:01\n' +
      'JobId=11 ArrayJobId=11 ArrayTaskId=0 JobName=hebb-gen JobState=COMPLETED Reason=None ExitCode=0:0\n' +
      'JobId=11 ArrayJobId=11 ArrayTaskId=2-5 JobState=PENDING Reason=Priority\n';
    expect(parseScontrol(out)).toEqual([
      { jobId: '11', task: 1, state: 'FAILED', exitCode: '1:0', reason: 'NonZeroExitCode' },
      { jobId: '11', task: 0, state: 'COMPLETED', exitCode: '0:0' },
    ]);
  });

  it('classifies states', () => {
    expect(['PENDING', 'REQUEUED', 'RUNNING', 'COMPLETING', 'COMPLETED', 'CANCELLED+', 'CANCELLED by 0', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL'].map(phaseOf)).toEqual([
      'waiting', 'waiting', 'running', 'running', 'finished', 'finished', 'finished', 'finished', 'finished', 'finished',
    ]);
  });

  it('builds sbatch arguments with extra args last, and a script that quotes paths', () => {
    const args = sbatchArgs({ jobName: 'hebb', tasks: 5, output: '/a/logs/slurm-%A_%a.log', chdir: '/p', script: '/a/s.sh' }, { sbatchArgs: ['--qos=short'] });
    expect(args).toEqual(['--parsable', '--job-name=hebb', '--array=0-4', '--output=/a/logs/slurm-%A_%a.log', '--chdir=/p', '--no-requeue', '--qos=short', '/a/s.sh']);
    expect(taskScript({ node: '/usr/bin/node', hebb: "/it's/hebb.js", artifacts: '/a', keysFile: '/a/k' })).toContain(`'/it'\\''s/hebb.js'`);
  });
});

describe('Slurm settings', () => {
  const pipeline = (slurm: Record<string, unknown>): LoadedPipeline =>
    ({ file: 'pipeline.yaml', root: '/p', raw: { executors: { slurm } }, locate: (path: readonly (string | number)[]) => ({ file: 'pipeline.yaml', line: 10 + path.length, column: 3 }) }) as unknown as LoadedPipeline;

  it('merges pipeline.yaml executors.slurm with CLI flags (flags win, sbatch args add up)', () => {
    const r = slurmSettings(pipeline({ partition: 'cpu', time: '02:00:00', cpus_per_task: 2, sbatch_args: ['--account=lab'], retries: 1 }), { partition: 'gpu', gres: 'gpu:1', sbatchArg: ['--qos=short'], maxArray: '50' });
    expect(r).toEqual({
      ok: true,
      value: { partition: 'gpu', time: '02:00:00', cpusPerTask: 2, gres: 'gpu:1', sbatchArgs: ['--account=lab', '--qos=short'], maxArray: 50, retries: 1, pollMs: 2000, batchWindowMs: 200 },
    });
    expect(slurmSettings(undefined)).toEqual({ ok: true, value: { sbatchArgs: [], maxArray: 1000, retries: 0, pollMs: 2000, batchWindowMs: 200 } });
  });

  it('points at the YAML place or names the flag when a setting is wrong', () => {
    const r = slurmSettings(pipeline({ cpus_per_task: 0, mem: 'lots', partiton: 'x' }), { retries: 'many' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.error.map((d) => `${d.file}:${d.line}: ${d.message}`).join('\n');
    expect(text).toMatch(/pipeline\.yaml:13: executors\.slurm\.cpus_per_task/);
    expect(text).toMatch(/executors\.slurm\.mem: a size such as 4000, 8G or 512M/);
    expect(text).toMatch(/unknown: partiton/);
    expect(slurmSettings(undefined, { retries: 'many' })).toMatchObject({ ok: false, error: [{ file: '--retries', line: 0 }] });
  });
});
