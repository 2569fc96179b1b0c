import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkListSchema } from '../src/report/checks/check-schema.ts';
import { evaluateChecks } from '../src/report/checks/checks.ts';
import { compareReports, formatComparison, type ReportData } from '../src/report/document/compare.ts';
import { aggregateNoiseGrid } from '../src/report/aggregate/noise-grid.ts';
import { logspace, syntheticCell, syntheticNoiseGrid } from './synthetic.ts';
import { aggregateTable1 } from '../src/report/aggregate/table1.ts';
import { Rig } from './rig.ts';

const gammas = [0, 5e-5, 5e-4, 5e-3];
const sigmas = [0, ...logspace(3.2e-4, 1e-2, 8)];

/** A report's data from SGD alignments per γ and a boundary exponent. */
function report(sgd: number[], b = 2, seeds = 2): ReportData {
  const cells = gammas.flatMap((gamma, i) => Array.from({ length: seeds }, (_, seed) => syntheticCell({ rule: 'sgd', gamma, seed, alignment: sgd[i]! })));
  const table1 = aggregateTable1(cells);
  const grid = aggregateNoiseGrid(syntheticNoiseGrid({ sigmas, gammas: logspace(1e-6, 1e-1, 12), seeds: 1, gamma0: 1e-5, c: b === 2 ? 50 : 0.3, b }), { name: 'sgd' });
  const noise = { schema: 1 as const, grids: [grid] };
  const checks = evaluateChecks(checkListSchema.parse([{ name: 'rise', kind: 'gamma-monotone' }, { name: 'boundary', kind: 'boundary-exponent', params: { grid: 'sgd' } }]), { table1, noise });
  return { profile: 'full', table1, noise, checks };
}

describe('compareReports', () => {
  it('finds nothing between a report and itself', () => {
    const r = report([-0.1, 0, 0.3, 0.6]);
    const c = compareReports(r, r, { mean: 0.01, fit: 0.01 });
    expect(c.differences).toEqual([]);
    expect(c.compared).toEqual({ table1: 4, checks: 2, fits: 1 });
  });

  it('lists a moved Table 1 entry, a changed verdict and a moved fit, and ignores changes within the tolerance', () => {
    const ref = report([-0.1, 0, 0.3, 0.6]);
    const cur = report([-0.1, 0.005, 0.2, 0.6], 1);
    const c = compareReports(ref, cur, { mean: 0.01, fit: 0.01 });
    expect(c.differences.filter((d) => d.kind === 'table1').map((d) => d.what)).toEqual(['default mlp/sgd γ = 5e-4']);
    expect(c.differences.find((d) => d.kind === 'check')).toMatchObject({ what: 'boundary', reference: expect.stringMatching(/^PASS/), current: expect.stringMatching(/^FAIL/) });
    expect(c.differences.find((d) => d.kind === 'fit')!.current).toMatch(/b = 1(\.0+\d*)?,/);
    const text = formatComparison(c, { reference: 'a', current: 'b' });
    expect(text).toMatch(/^compared 4 Table 1 entries, 2 checks, 1 boundary fits: 3 differ/);
    expect(text).toMatch(/default mlp\/sgd γ = 5e-4\n {4}reference 0\.30 ± 0\.00 \(n = 2\)\n {4}current {3}0\.20 ± 0\.00 \(n = 2\)/);
  });

  it('shows entries that appear or vanish and seed counts that change', () => {
    const c = compareReports(report([0, 0.1, 0.3, 0.6], 2, 3), report([0, 0.1, 0.3, 0.6], 2, 2), { mean: 0.01, fit: 0.01 });
    expect(c.differences.filter((d) => d.kind === 'table1')).toHaveLength(4); // n = 3 → 2 everywhere
    const gone = compareReports(report([0, 0.1, 0.3, 0.6]), { profile: 'full' }, { mean: 0.01, fit: 0.01 });
    expect(gone.differences.filter((d) => d.kind === 'table1').every((d) => d.current === 'absent')).toBe(true);
  });
});

describe('hebb compare (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hebb-compare-'));
  const put = (name: string, data: unknown): string => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'report-inputs.json'), typeof data === 'string' ? data : JSON.stringify(data));
    return join(dir, name);
  };

  it('exits 0 when nothing moved, 1 with the list when something did, 2 on a bad report', async () => {
    const rig = Rig.create();
    const a = put('a', report([-0.1, 0, 0.3, 0.6]));
    const b = put('b', report([-0.1, 0, 0.2, 0.6]));
    const same = await rig.hebb(['compare', a, a]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/0 differ/);
    const moved = await rig.hebb(['compare', a, b]);
    expect(moved.code).toBe(1);
    expect(moved.stdout).toMatch(/Table 1 entries that moved:\n {2}default mlp\/sgd γ = 5e-4/);
    expect((await rig.hebb(['compare', a, b, '--tol', '0.2'])).code).toBe(0);
    const bad = await rig.hebb(['compare', put('bad', '{"truncated'), a]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\/report-inputs\.json: .*fix: re-publish/);
    const none = await rig.hebb(['compare', join(dir, 'absent')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/not found/);
  });
});
