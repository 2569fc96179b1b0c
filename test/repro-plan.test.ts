/**
 * `hebb repro` prints its plan first: cells to run and cached, the CPU and wall-time estimate
 * (from run records of the same cell or stage, else per-stage defaults), and asks before a long
 * run only on a terminal. Unit tests of the estimate, then the real CLI off a terminal.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cell } from '../src/pipeline/expand.ts';
import type { StatusEntry } from '../src/engine/run.ts';
import { CONFIRM_ABOVE_MS, DEFAULT_MS_PER_STEP, DEFAULT_SECONDS, describePlan, estimateCell, FALLBACK_SECONDS, fmtDuration, listSchedule, planRepro, shouldConfirm, stepMs, stepsOf, type RunHistory } from '../src/cli/repro-plan.ts';
import { Rig } from './rig.ts';

const cell = (name: string, module: string, deps: string[] = []): Cell => ({
  name,
  stage: name.split('@')[0]!,
  module,
  matrix: {},
  params: {},
  deps: deps.length ? [{ name: 'in', cells: deps } as unknown as Cell['deps'][number]] : [],
  outs: [],
  env: [],
});
const history = (cells: Record<string, number>, stages: Record<string, number[]>): RunHistory => ({ lastOfCell: (c) => cells[c], ofStage: (s) => stages[s] ?? [] });

describe('the estimate', () => {
  it('prefers the last run of the cell, then the median run of its stage, then the per-stage default, then the fallback', () => {
    const h = history({ 'train@a': 1234 }, { train: [100, 300, 200] });
    expect(estimateCell(cell('train@a', 'stages/train-sre.ts'), 'smoke', h)).toEqual({ ms: 1234, source: 'cell' });
    expect(estimateCell(cell('train@b', 'stages/train-sre.ts'), 'smoke', h)).toEqual({ ms: 200, source: 'stage' });
    const none = history({}, {});
    expect(estimateCell(cell('train@b', 'stages/train-sre.ts'), 'smoke', none)).toEqual({ ms: 1000 * DEFAULT_SECONDS['stages/train-sre.ts']!.smoke, source: 'default' });
    expect(estimateCell(cell('train@b', 'stages/train-sre.ts'), 'paper', none)).toEqual({ ms: 1000 * DEFAULT_SECONDS['stages/train-sre.ts']!.paper, source: 'default' });
    expect(estimateCell(cell('x', 'stages/unknown.ts'), 'paper', none)).toEqual({ ms: 1000 * FALLBACK_SECONDS, source: 'fallback' });
    // A training cell whose params give its steps: steps × the benchmarked cost per step (scaled by batch) + start-up.
    const sre = DEFAULT_MS_PER_STEP['stages/train-sre.ts']!;
    expect(estimateCell({ ...cell('t@a', 'stages/train-sre.ts'), params: { steps: 8000 } }, 'paper', none)).toEqual({ ms: sre.startupMs + 8000 * sre.ms, source: 'default' });
    expect(estimateCell({ ...cell('t@a', 'stages/train-sre.ts'), params: { epochs: 50, n_train: 20000, batch: 256 } }, 'paper', none).ms).toBe(sre.startupMs + 50 * 79 * sre.ms);
    // An SCE cell on the Fashion-MNIST stand-in: its own cost per step and its own training set size (60,000).
    const sce = DEFAULT_MS_PER_STEP['stages/train-sce.ts']!;
    const fm = sce.byDataset!['fashion-mnist']!;
    expect(fm.ms).toBeLessThan(sce.ms);
    expect(estimateCell({ ...cell('s@a', 'stages/train-sce.ts'), params: { epochs: 50, batch: 256, dataset: 'fashion-mnist' } }, 'paper', none).ms).toBe(sce.startupMs + 50 * 235 * fm.ms);
    expect(estimateCell({ ...cell('s@a', 'stages/train-sce.ts'), params: { epochs: 50, batch: 256, dataset: 'cifar10' } }, 'paper', none).ms).toBe(sce.startupMs + 50 * 196 * sce.ms);
    // At batch 32 only the batch-dependent part of a step shrinks 8×: 93,750 steps of the stand-in.
    expect(fm.fixedMs).toBeGreaterThan(0);
    expect(estimateCell({ ...cell('s@a', 'stages/train-sce.ts'), params: { epochs: 50, batch: 32, dataset: 'fashion-mnist' } }, 'paper', none).ms).toBeCloseTo(sce.startupMs + 50 * 1875 * (fm.fixedMs! + (fm.ms - fm.fixedMs!) / 8), 6);
    expect(stepMs({ ms: 8, fixedMs: 2, nTrain: 1 }, 64)).toBe(2 + 6 / 4);
    expect(stepMs({ ms: 8, nTrain: 1 }, 64)).toBe(2);
    // A rule with its own cost (the transformer's RandomNN runs no backward pass).
    const tr = DEFAULT_MS_PER_STEP['stages/train-transformer.ts']!;
    const rnn = tr.byRule!.randomnn!;
    expect(rnn.ms).toBeLessThan(tr.ms / 5);
    expect(estimateCell({ ...cell('x@a', 'stages/train-transformer.ts'), params: { steps: 3950, rule: 'randomnn' } }, 'paper', none).ms).toBe(tr.startupMs + 3950 * rnn.ms);
    expect(estimateCell({ ...cell('x@a', 'stages/train-transformer.ts'), params: { steps: 3950, rule: 'sgd' } }, 'paper', none).ms).toBe(tr.startupMs + 3950 * tr.ms);
    expect(stepsOf({ epochs: 2, batch: 64 }, 1000)).toBe(32);
    expect(stepsOf({ lr: 1 }, 1000)).toBeUndefined();
  });

  it('counts cached cells as free and schedules the rest on N workers after their upstream', () => {
    const cells = [cell('gen@1', 'g.ts'), cell('gen@2', 'g.ts'), cell('gen@3', 'g.ts'), cell('gen@4', 'g.ts'), cell('sum', 's.ts', ['gen@1', 'gen@2', 'gen@3', 'gen@4'])];
    const entries: StatusEntry[] = cells.map((c, i) => ({ cell: c.name, stage: c.stage, state: i === 0 ? 'cached' : c.name === 'sum' ? 'blocked' : 'stale', reasons: [] }));
    const h = history({ 'gen@2': 60_000, 'gen@3': 60_000, 'gen@4': 60_000, sum: 10_000 }, {});
    const plan = planRepro(cells, entries, 'full', 2, h);
    expect(plan).toMatchObject({ total: 5, toRun: 4, cached: 1, cpuMs: 190_000, sources: { cell: 4, stage: 0, default: 0, fallback: 0 } });
    // two workers: gen@2 ∥ gen@3 (60 s), then gen@4 (60 s), then sum (10 s)
    expect(plan.wallMs).toBe(130_000);
    expect(listSchedule(cells, new Map([['gen@2', 60_000], ['gen@3', 60_000], ['gen@4', 60_000], ['sum', 10_000]]), 4)).toBe(70_000);
    const lines = describePlan(plan, { ...plan, profile: 'smoke', toRun: 3, cached: 2, cpuMs: 540_000, wallMs: 300_000 });
    expect(lines[0]).toBe("hebb: plan for profile 'full': 5 cells, 4 to run, 1 cached");
    expect(lines[1]).toBe('hebb: estimated 3 min of CPU time, about 2 min of wall time at -j 2; estimates: 4 from their last run');
    expect(lines.at(-1)).toBe('hebb: a quick look instead: `hebb repro --profile smoke` runs 3 cells (2 cached), about 9 min of CPU, 5 min at -j 2');
  });

  it('formats durations from milliseconds to days', () => {
    expect([850, 42_000, 12 * 60_000, 3.4 * 3_600_000, 2.1 * 86_400_000].map(fmtDuration)).toEqual(['850 ms', '42 s', '12 min', '3.4 h', '2.1 days']);
  });

  it('asks only on a terminal, outside CI, without --yes, and for a run over an hour', () => {
    const tty = { stdinTTY: true, stdoutTTY: true, yes: false, env: {} };
    const long = CONFIRM_ABOVE_MS + 1;
    expect(shouldConfirm({ ...tty, wallMs: long })).toBe(true);
    expect(shouldConfirm({ ...tty, wallMs: CONFIRM_ABOVE_MS })).toBe(false);
    expect(shouldConfirm({ ...tty, wallMs: long, yes: true })).toBe(false);
    expect(shouldConfirm({ ...tty, wallMs: long, env: { HEBB_YES: '1' } })).toBe(false);
    expect(shouldConfirm({ ...tty, wallMs: long, env: { CI: 'true' } })).toBe(false);
    expect(shouldConfirm({ ...tty, wallMs: long, stdinTTY: false })).toBe(false);
    expect(shouldConfirm({ ...tty, wallMs: long, stdoutTTY: false })).toBe(false);
  });
});

describe('hebb repro off a terminal', () => {
  const rig = Rig.create();
  afterAll(() => rig.dispose());

  it('prints the plan first, then runs; a long estimate from earlier runs asks nothing and runs', async () => {
    const first = await rig.hebb(['repro', '-j', '2', '--plain'], { CI: '' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain("hebb: plan for profile 'full': 7 cells, 7 to run, 0 cached");
    expect(first.stderr.indexOf('hebb: estimated')).toBeLessThan(first.stderr.indexOf('done'));
    expect(rig.runs()).toHaveLength(7);
    // Pretend each earlier run took two hours: the estimate, read from those records, is long.
    const runs = rig.path('artifacts', 'runs');
    for (const f of readdirSync(runs)) {
      const r = JSON.parse(readFileSync(join(runs, f), 'utf8')) as { durationMs: number };
      writeFileSync(join(runs, f), JSON.stringify({ ...r, durationMs: 7_200_000 }));
    }
    rig.clearRuns();
    const again = await rig.hebb(['repro', '-j', '2', '--plain', '--set', 'gen.delay_ms=1'], { CI: '' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain("hebb: plan for profile 'full': 7 cells, 7 to run, 0 cached");
    expect(again.stderr).toContain('hebb: estimated 14.0 h of CPU time, about 8.0 h of wall time at -j 2; estimates: 7 from their last run');
    expect(again.stderr).not.toMatch(/\[y\/N\]|not started/);
    expect(rig.runs()).toHaveLength(7);
    // Nothing to run: the plan says so in one line.
    const noop = await rig.hebb(['repro', '--plain', '--set', 'gen.delay_ms=1'], { CI: '' });
    expect(noop.stderr).toContain("hebb: plan for profile 'full': 7 cells, 0 to run, 7 cached");
    expect(noop.stderr).not.toContain('hebb: estimated');
  }, 600_000); // three CLI runs; minutes on a loaded 2-core machine, seconds on a quiet one
});
