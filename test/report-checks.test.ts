import { XMLParser } from 'fast-xml-parser';
import type { CellRecord } from '../src/report/aggregate/cells.ts';
import { describe, expect, it } from 'vitest';
import { formatCheckReport, checksJUnit } from '../src/report/checks/check-output.ts';
import { checkListSchema } from '../src/report/checks/check-schema.ts';
import { evaluateChecks } from '../src/report/checks/checks.ts';
import { aggregateNoiseGrid } from '../src/report/aggregate/noise-grid.ts';
import { logspace, syntheticCell, syntheticNoiseGrid } from './synthetic.ts';
import { aggregateTable1 } from '../src/report/aggregate/table1.ts';

const gammas = [0, 5e-5, 5e-4, 5e-3];
const decls = checkListSchema.parse([
  { name: 'monotone', kind: 'gamma-monotone', tolerance: { sd_multiple: 1, abs: 0.01, min_positive: 0.05 } },
  { name: 'adam-collapses', kind: 'collapses', params: { rule: 'adam', gamma: 5e-3 } },
  { name: 'noise-trend', kind: 'noise-monotone', params: { grid: 'sgd' } },
  { name: 'boundary', kind: 'boundary-exponent', params: { grid: 'sgd' } },
  { name: 'loss', kind: 'loss-near-boundary', params: { grid: 'sgd' } },
]);

function table(sgd: number[], adamTop: 'collapsed' | 'ok', seeds = 2) {
  const cs: CellRecord[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    gammas.forEach((g, i) => {
      cs.push(syntheticCell({ rule: 'sgd', gamma: g, seed, alignment: sgd[i]! + 0.005 * seed }));
      cs.push(syntheticCell({ rule: 'adam', gamma: g, seed, alignment: [0, 0.1, 0.6, 0.2][i]!, status: i === 3 ? adamTop : 'ok' }));
    });
  }
  return aggregateTable1(cs, { expect: { models: ['mlp'], rules: ['sgd', 'adam'], gammas, seeds } });
}

const sigmas = [0, ...logspace(3.2e-4, 1e-2, 8)];
const grid = (b: number) =>
  aggregateNoiseGrid(syntheticNoiseGrid({ sigmas, gammas: logspace(1e-6, 1e-1, 12), seeds: 1, gamma0: 1e-5, c: b === 2 ? 50 : 0.3, b }), {
    name: 'sgd',
    sigmas,
    gammas: logspace(1e-6, 1e-1, 12),
  });

describe('evaluateChecks', () => {
  it('passes on data that follows the paper', () => {
    const r = evaluateChecks(decls, { table1: table([-0.1, -0.05, 0.2, 0.6], 'collapsed'), noise: { schema: 1, grids: [grid(2)] } });
    expect(r.results.map((x) => [x.name, x.status])).toEqual([
      ['monotone', 'PASS'], ['adam-collapses', 'PASS'], ['noise-trend', 'PASS'], ['boundary', 'PASS'], ['loss', 'PASS'],
    ]);
    expect(formatCheckReport(r).exitCode).toBe(0);
    expect(formatCheckReport(r, { requireAll: true }).exitCode).toBe(0);
  });

  it('fails a falling row, a non-collapsing Adam and a wrong exponent, with measured values', () => {
    const r = evaluateChecks(decls, { table1: table([-0.1, 0.3, 0.1, 0.6], 'ok'), noise: { schema: 1, grids: [grid(1)] } });
    const by = Object.fromEntries(r.results.map((x) => [x.name, x]));
    expect(by.monotone!.status).toBe('FAIL');
    expect(by.monotone!.why).toMatch(/falls from 0\.3/);
    expect(by['adam-collapses']!.status).toBe('FAIL');
    expect(by.boundary!.status).toBe('FAIL');
    expect(by.boundary!.why).toMatch(/b = 1\.0/);
    const out = formatCheckReport(JSON.stringify(r));
    expect(out.exitCode).toBe(1);
    expect(out.text).toMatch(/^FAIL {4}monotone/m);
  });

  it('skips, never passes, checks whose cells are missing; requireAll turns that into exit 1', () => {
    const r = evaluateChecks(decls, { table1: null, noise: { schema: 1, grids: [] } });
    expect(r.results.filter((x) => x.gate).every((x) => x.status === 'SKIPPED')).toBe(true);
    expect(formatCheckReport(r).exitCode).toBe(0);
    expect(formatCheckReport(r, { requireAll: true }).exitCode).toBe(1);
  });

  it('skips a passing row when some of its γ are missing', () => {
    const t = table([-0.1, -0.05, 0.2, 0.6], 'collapsed');
    const partial = { ...t, entries: t.entries.map((e) => (e.rule === 'sgd' && e.gamma === 5e-5 ? { ...e, state: 'missing' as const, n: 0, mean: null, sd: null } : e)) };
    const r = evaluateChecks(decls.slice(0, 1), { table1: partial });
    expect(r.results[0]!.status).toBe('SKIPPED');
    expect(r.results[0]!.why).toMatch(/missing at γ = 5e-5/);
  });

  it('report-only checks never change the exit code', () => {
    const r = evaluateChecks(checkListSchema.parse([{ name: 'loss', kind: 'loss-near-boundary', params: { grid: 'sgd' }, tolerance: { max_abs_alignment: 0 } }]), {
      noise: { schema: 1, grids: [grid(2)] },
    });
    expect(r.results[0]!.status).toBe('FAIL');
    expect(r.results[0]!.gate).toBe(false);
    expect(formatCheckReport(r).exitCode).toBe(0);
  });

  it('rejects unknown kinds and tolerances at load time', () => {
    expect(() => checkListSchema.parse([{ name: 'x', kind: 'nope' }])).toThrow();
    expect(() => checkListSchema.parse([{ name: 'x', kind: 'boundary-exponent', params: { grid: 'g' }, tolerance: { bmin: 1 } }])).toThrow();
    expect(formatCheckReport('not json').exitCode).toBe(2);
  });

  it('writes JUnit XML with one testcase per check', () => {
    const r = evaluateChecks(decls, { table1: table([-0.1, 0.3, 0.1, 0.6], 'ok'), noise: null });
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(checksJUnit(r));
    const suite = xml.testsuites.testsuite;
    expect(Number(suite.tests)).toBe(5);
    expect(Number(suite.failures)).toBe(2);
    const cases = suite.testcase as { name: string; failure?: unknown; skipped?: unknown }[];
    expect(cases.find((c) => c.name === 'monotone')!.failure).toBeDefined();
    expect(cases.find((c) => c.name === 'boundary')!.skipped).toBeDefined();
  });

  it('fails a flat row: the net rise from γ = 0 must exceed the seeds\' SD (and min_rise), and says which γ it left out', () => {
    // SGD flat at 0.3 everywhere: non-decreasing and positive, but no rise.
    const flat = evaluateChecks(decls.slice(0, 1), { table1: table([0.3, 0.3, 0.3, 0.3], 'collapsed') });
    const sgd = flat.results[0]!.items.find((i) => i.label.startsWith('mlp/sgd'))!;
    expect(sgd.status).toBe('FAIL');
    expect(sgd.why).toMatch(/net rise 0 from γ = 0 to 5e-3 is not above 0\.05/);
    // Adam's collapsed γ = 5e-3 is left out, and the reason says so.
    const adam = flat.results[0]!.items.find((i) => i.label.startsWith('mlp/adam'))!;
    expect(adam.status).toBe('PASS');
    expect(adam.why).toMatch(/left out: γ = 5e-3 collapsed \(2\/2\)/);
    expect(adam.measured.leftOut).toEqual(['γ = 5e-3 collapsed (2/2)']);
    // A rise that does not clear 2 × SD fails too.
    const noisy: CellRecord[] = [];
    for (let seed = 0; seed < 4; seed++) {
      noisy.push(syntheticCell({ rule: 'sgd', gamma: 0, seed, alignment: seed % 2 ? 0.4 : 0 }));
      noisy.push(syntheticCell({ rule: 'sgd', gamma: 5e-3, seed, alignment: seed % 2 ? 0.6 : 0.2 }));
    }
    const r = evaluateChecks(decls.slice(0, 1), { table1: aggregateTable1(noisy) });
    expect(r.results[0]!.status).toBe('FAIL');
    expect(r.results[0]!.why).toMatch(/net rise 0\.2 .* not above 0\.462/);
  });

  it('does-not-collapse fails per (model, rule) when a rule the paper has a value for collapses', () => {
    const d = checkListSchema.parse([{ name: 'keeps', kind: 'does-not-collapse', params: { rules: ['sgd', 'adam'], gamma: 5e-3 } }]);
    const r = evaluateChecks(d, { table1: table([-0.1, -0.05, 0.2, 0.6], 'collapsed') });
    const by = Object.fromEntries(r.results[0]!.items.map((i) => [i.label, i.status]));
    expect(by).toEqual({ 'mlp/sgd at γ = 5e-3 (default)': 'PASS', 'mlp/adam at γ = 5e-3 (default)': 'FAIL' });
    expect(r.results[0]!.gate).toBe(true);
    const ok = evaluateChecks(d, { table1: table([-0.1, -0.05, 0.2, 0.6], 'ok') });
    expect(ok.results[0]!.status).toBe('PASS');
  });

  it('paper agreement is per (model, rule) row, with the tolerance max(0.1, 2 × the paper\'s SD)', () => {
    const paper = { gammas, rows: [
      { model: 'mlp', rule: 'sgd', mean: [0, 0.1, 0.2, 0.6], sd: [0.01, 0.01, 0.1, 0.01] },
      { model: 'mlp', rule: 'adam', mean: [0, 0.1, 0.6, null], sd: [0, 0, 0, null] },
    ] };
    const cs: CellRecord[] = [];
    gammas.forEach((g, i) => {
      cs.push(syntheticCell({ rule: 'sgd', gamma: g, seed: 0, alignment: [0.05, 0.5, 0.38, 0.95][i]! }));
      cs.push(syntheticCell({ rule: 'adam', gamma: g, seed: 0, alignment: [0, 0.1, 0.6, 0.1][i]!, status: i === 3 ? 'collapsed' : 'ok' }));
    });
    const t = aggregateTable1(cs, { paper });
    const d = checkListSchema.parse([{ name: 'agree', kind: 'paper-agreement', tolerance: { max_abs_diff: 0.1, sd_multiple: 2, min_fraction: 0.5 } }]);
    const r = evaluateChecks(d, { table1: t });
    const by = Object.fromEntries(r.results[0]!.items.map((i) => [i.label, i]));
    // SGD: 0.05 (ok), 0.5 (off), 0.38 vs 0.2 ± 0.1 → tolerance 0.2 (ok), 0.95 (off): 2/4.
    expect(by['mlp/sgd (default)']!.measured.agree).toBe(2);
    expect(by['mlp/sgd (default)']!.status).toBe('PASS');
    expect(by['mlp/sgd (default)']!.why).toMatch(/off: γ = 5e-5: 0\.5 vs 0\.1, γ = 5e-3: 0\.95 vs 0\.6/);
    // Adam: every entry agrees, the collapse included.
    expect(by['mlp/adam (default)']!.measured.agree).toBe(4);
    const strict = evaluateChecks(checkListSchema.parse([{ name: 'agree', kind: 'paper-agreement', tolerance: { min_fraction: 0.75 } }]), { table1: t });
    expect(strict.results[0]!.status).toBe('FAIL');
    expect(strict.results[0]!.why).toMatch(/^mlp\/sgd/);
  });
});
