/**
 * The executor registry (src/exec/index.ts): each executor's settings are declared once, and the
 * CLI flags, their checks and pipeline.yaml's `executors.<name>` all come from that declaration.
 */
import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXECUTORS, executorFlags, executorFlagValues, openExecutor } from '../src/exec/index.ts';
import { resolveSettings, setting, settingWithDefault } from '../src/exec/settings.ts';
import type { LoadedPipeline } from '../src/pipeline/load.ts';
import { Rig } from './rig.ts';

const pipeline = (executors: Record<string, Record<string, unknown>>): LoadedPipeline =>
  ({ file: 'pipeline.yaml', root: '/p', raw: { executors }, locate: (path: readonly (string | number)[]) => ({ file: 'pipeline.yaml', line: 20 + path.length, column: 5 }) }) as unknown as LoadedPipeline;

describe('executor registry', () => {
  it('lists local (the default) and slurm, and generates one flag per setting that has one', () => {
    expect(EXECUTORS.map((e) => e.name)).toEqual(['local', 'slurm']);
    const flags = executorFlags().map((f) => f.flags.split(' ')[0]);
    expect(flags).toEqual(['--partition', '--time', '--cpus-per-task', '--mem', '--gres', '--sbatch-arg', '--max-array', '--throttle', '--retries', '--poll-ms']);
    expect(new Set(flags).size).toBe(flags.length);
  });

  it("names each flag's value as commander stores it", () => {
    for (const f of executorFlags()) expect(f.attribute, f.flags).toBe(new Option(f.flags).attributeName());
    expect(executorFlagValues({ cpusPerTask: '4', jobs: '2', sbatchArg: [] })).toEqual({ cpusPerTask: '4', sbatchArg: [] });
  });

  it('a new setting is one table entry: its YAML key, flag, check and default come from it', () => {
    const table = { account: setting(z.string().min(1), '<name>', 'account to charge'), max_jobs: settingWithDefault(z.coerce.number().int().min(1), '<n>', 'jobs at once', 4) };
    expect(resolveSettings('k8s', table, pipeline({ k8s: { account: 'lab' } }), { maxJobs: '8' })).toEqual({ ok: true, value: { account: 'lab', max_jobs: 8 } });
    expect(resolveSettings('k8s', table, undefined, {})).toEqual({ ok: true, value: { max_jobs: 4 } });
    const bad = resolveSettings('k8s', table, pipeline({ k8s: { acount: 'lab' } }), { maxJobs: '0' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.map((d) => `${d.file}:${d.line}: ${d.message}`)).toEqual([
        expect.stringMatching(/^pipeline\.yaml:22: executors\.k8s: .*\(unknown: acount; known: account, max_jobs\)$/),
        expect.stringMatching(/^--max-jobs:0: expected .*, got '0'$/),
      ]);
    }
  });

  it('an unknown executor, or settings for local (it has none), are diagnostics, not exceptions', async () => {
    const ctx = { artifacts: '/tmp/x', workdir: '/tmp', jobs: 1, isolate: false, say: () => {} };
    const none = await openExecutor('ray', undefined, {}, ctx);
    expect(!none.ok && none.error[0]!.message).toBe("no executor 'ray' (known: local, slurm)");
    const local = await openExecutor('local', pipeline({ local: { jobs: 3 } }), {}, ctx);
    expect(!local.ok && local.error[0]!.message).toMatch(/executors\.local: .*unknown: jobs/);
  });

  it('hebb repro --help shows every generated flag, with its executor named', async () => {
    const rig = Rig.create();
    try {
      const r = await rig.hebb(['repro', '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/--executor <name>\s+where cells run \(choices: "local", "slurm"/);
      for (const f of executorFlags()) expect(r.stdout).toContain(f.flags);
      expect(r.stdout).toMatch(/--cpus-per-task <n>\s+slurm: CPUs per cell/);
    } finally {
      rig.dispose();
    }
  });
});
