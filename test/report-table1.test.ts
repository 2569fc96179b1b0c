import { describe, expect, it } from 'vitest';
import type { CellRecord } from '../src/report/aggregate/cells.ts';
import { syntheticCell } from './synthetic.ts';
import { aggregateTable1, type PaperTable } from '../src/report/aggregate/table1.ts';
import { table1Csv, table1Markdown } from '../src/report/document/table1-render.ts';

const paper: PaperTable = {
  gammas: [0, 5e-5, 5e-4, 5e-3],
  rows: [
    { model: 'mlp', rule: 'adam', mean: [-0.02, 0.1, 0.66, null], sd: [0, 0, 0.01, null] },
    { model: 'mlp', rule: 'sgd', mean: [-0.1, -0.06, 0.17, 0.59], sd: [0.01, 0.01, 0.01, 0.01] },
  ],
};

function cells(): CellRecord[] {
  const out: CellRecord[] = [];
  const sgd = [-0.1, -0.05, 0.2, 0.6];
  paper.gammas.forEach((gamma, i) => {
    for (let seed = 0; seed < 3; seed++) out.push(syntheticCell({ rule: 'sgd', gamma, seed, alignment: sgd[i]! + 0.01 * seed, stationary: seed !== 2 }, { grid: 'table1' }));
  });
  // Adam: 5e-3 collapsed in all seeds; 5e-4 with one collapsed seed; 5e-5 missing entirely.
  for (let seed = 0; seed < 3; seed++) {
    out.push(syntheticCell({ rule: 'adam', gamma: 0, seed, alignment: -0.02 }, { grid: 'table1' }));
    out.push(syntheticCell({ rule: 'adam', gamma: 5e-4, seed, alignment: 0.6, status: seed === 0 ? 'collapsed' : 'ok' }, { grid: 'table1' }));
    out.push(syntheticCell({ rule: 'adam', gamma: 5e-3, seed, alignment: 0.1, status: 'collapsed' }, { grid: 'table1' }));
  }
  out.push(syntheticCell({ rule: 'sgd', gamma: 5e-4, seed: 9, alignment: 0.5 }, { grid: 'noise' })); // another group: ignored
  out.push({ cell: 'train-sre@broken', params: { grid: 'table1', rule: 'sgd', gamma: 0, seed: 5, model: 'mlp' }, metrics: null, error: 'ENOENT' });
  return out;
}

describe('aggregateTable1', () => {
  const t = aggregateTable1(cells(), {
    select: { grid: 'table1' },
    paper,
    expect: { models: ['mlp'], rules: ['adam', 'sgd'], gammas: paper.gammas, seeds: 3 },
  });
  const get = (rule: string, gamma: number) => t.entries.find((e) => e.rule === rule && e.gamma === gamma)!;

  it('computes mean ± SD over seeds with the paper value and difference', () => {
    const e = get('sgd', 5e-4);
    expect(e.n).toBe(3);
    expect(e.mean).toBeCloseTo(0.21, 10);
    expect(e.sd).toBeCloseTo(0.01, 10);
    expect(e.display).toBe('0.21 ± 0.01');
    expect(e.paper).toEqual({ mean: 0.17, sd: 0.01 });
    expect(e.diff).toBeCloseTo(0.04, 10);
    expect(e.stationary).toMatchObject({ yes: 2, of: 3 });
    expect(e.stationary.balance).toBeCloseTo(0.05, 12);
    expect(e.stationary.drift).toBeCloseTo((0.01 + 0.01 + 0.1) / 3, 12);
  });

  it('counts a cell as stationary only when its balance residual (Eq. 9) is within the rule too', () => {
    const mk = (seed: number, balance: number) => syntheticCell({ rule: 'sgd', gamma: 5e-4, seed, alignment: 0.2, balance }, { grid: 'table1' });
    const cs = [mk(0, 0.02), mk(1, 0.5), mk(2, 0.94)];
    const strict = aggregateTable1(cs, { stationarity: { max_balance: 0.1 } }).entries[0]!;
    expect(strict.stationary).toMatchObject({ yes: 1, of: 3 });
    expect(strict.stationary.balance).toBeCloseTo((0.02 + 0.5 + 0.94) / 3, 12);
    const driftOnly = aggregateTable1(cs, { stationarity: { max_balance: null } }).entries[0]!;
    expect(driftOnly.stationary).toMatchObject({ yes: 3, of: 3 });
    // The default rule is the strict one; table1.md shows drift and balance.
    expect(aggregateTable1(cs).entries[0]!.stationary.yes).toBe(1);
    expect(table1Markdown(aggregateTable1(cs))).toMatch(/\| 1\/3 \| 0\.01 \| 0\.49 \|/);
  });

  it('summarises how often a clip bound, and says so in table1.md', () => {
    const clip = (f: number, max: number) => ({ scope: 'global' as const, limit: 5, count: 100, fractionClipped: f, fractionClippedWindow: f / 2, mean: 3, max, last: 2 });
    const cs = [0, 1].map((seed) => syntheticCell({ rule: 'dfa', gamma: 0, seed, alignment: 0.1, clip: clip(seed ? 0.3 : 0.1, seed ? 9 : 7) }, {}));
    const e = aggregateTable1(cs).entries[0]!;
    expect(e.clip).toMatchObject({ scope: 'global', limit: 5, cells: 2, maxNorm: 9 });
    expect(e.clip!.fractionClipped).toBeCloseTo(0.2, 12);
    expect(e.clip!.fractionClippedWindow).toBeCloseTo(0.1, 12);
    expect(table1Markdown(aggregateTable1(cs))).toContain('clip bound in 20% of global norms');
    expect(aggregateTable1([syntheticCell({ rule: 'sgd', gamma: 0, seed: 0, alignment: 0.1 }, {})]).entries[0]!.clip).toBeNull();
  });

  it('shows fully collapsed cells as "– (k/n collapsed)"', () => {
    const e = get('adam', 5e-3);
    expect(e.state).toBe('collapsed');
    expect(e.display).toBe('– (3/3 collapsed)');
    expect(e.mean).toBeNull();
    expect(e.diff).toBeNull();
  });

  it('keeps the non-collapsed seeds of a partly collapsed cell and says so', () => {
    const e = get('adam', 5e-4);
    expect(e.state).toBe('ok');
    expect(e.nUsed).toBe(2);
    expect(e.display).toBe('0.60 ± 0.00 (1/3 collapsed)');
  });

  it('expects of a variant only the models `variant_models` names for it', () => {
    const withVariants = aggregateTable1(
      [...cells(), syntheticCell({ rule: 'sgd', gamma: 0, seed: 0, alignment: 0 }, { grid: 'table1', variant: 'raw' })],
      { select: { grid: 'table1' }, expect: { models: ['mlp', 'transformer'], rules: ['sgd'], gammas: [0], variant_models: { raw: ['mlp'] } } },
    );
    const rows = withVariants.entries.filter((e) => e.rule === 'sgd' && e.gamma === 0).map((e) => `${e.variant}/${e.model}/${e.state}`).sort();
    expect(rows).toEqual(['default/mlp/ok', 'default/transformer/missing', 'raw/mlp/ok']);
  });

  it('marks expected but absent cells as missing', () => {
    const e = get('adam', 5e-5);
    expect(e.state).toBe('missing');
    expect(e.display).toBe('missing');
    expect(e.n).toBe(0);
  });

  it('counts unreadable cells and selects only the requested group', () => {
    const e = get('sgd', 0);
    expect(e.nUnreadable).toBe(1);
    expect(e.n).toBe(3);
    expect(t.unreadable).toEqual([{ cell: 'train-sre@broken', error: 'ENOENT' }]);
    expect(get('sgd', 5e-4).cells.some((c) => c.includes('s9'))).toBe(false);
  });

  it('renders CSV and Markdown with the paper beside ours', () => {
    const csv = table1Csv(t).trim().split('\n');
    expect(csv).toHaveLength(1 + 8);
    expect(csv[0]).toMatch(/^variant,model,rule,gamma,state/);
    const md = table1Markdown(t);
    expect(md).toMatch(/\| mlp \| adam \| 5e-3 \| – \| – \(3\/3 collapsed\) \|/);
    expect(md).toMatch(/\| mlp \| sgd \| 5e-4 \| 0\.17 ± 0\.01 \| 0\.21 ± 0\.01 \| 0\.04 \| 3\/3 \| 2\/3 \|/);
    expect(md).toMatch(/\| mlp \| adam \| 5e-5 \| 0\.10 ± 0\.00 \| missing \|/);
  });

  it('separates variants taken from a cell param', () => {
    const cs = [
      syntheticCell({ rule: 'sgd', gamma: 0, alignment: 0.1 }, { variant: 'paper' }),
      syntheticCell({ rule: 'sgd', gamma: 0, alignment: 0.3 }, { variant: 'stationary' }),
      syntheticCell({ rule: 'sgd', gamma: 0, alignment: 0.5 }),
    ];
    const v = aggregateTable1(cs, { default_variant: 'smoke' });
    expect(v.variants).toEqual(['paper', 'smoke', 'stationary']);
    expect(v.entries.map((e) => e.mean)).toEqual([0.1, 0.5, 0.3]);
  });
});

describe('variants from the upstream stage name', () => {
  it('maps stage names to variant labels', () => {
    const a = { ...syntheticCell({ rule: 'sgd', gamma: 0, alignment: 0.1 }), stage: 'train-sre' };
    const b = { ...syntheticCell({ rule: 'sgd', gamma: 0, alignment: 0.3 }), stage: 'train-sre-stationary' };
    const v = aggregateTable1([a, b], { variant_key: 'stage', variant_map: { 'train-sre': 'paper', 'train-sre-stationary': 'stationary' } });
    expect(v.variants).toEqual(['paper', 'stationary']);
  });
});

describe('the report says what did not run', () => {
  it('lists Table 1 rows without cells, empty noise grids and the SCE part, right under the verdict', async () => {
    const { notRun, buildReport } = await import('../src/report/document/report.ts');
    const cs = [0, 5e-3].map((gamma) => syntheticCell({ rule: 'sgd', gamma, seed: 0, alignment: 0.1 }, {}));
    const table1 = aggregateTable1(cs, { expect: { models: ['mlp', 'transformer'], rules: ['sgd'], gammas: [0, 5e-3], seeds: 1 } });
    const inp = {
      title: 't', profile: 'paper', table1, noise: { schema: 1 as const, grids: [{ name: 'adam', description: 'Adam (Fig. 10).', nCells: 0 } as never] },
      figures: { figures: [], renderer: null, sections: [{ id: 'sce', title: 'Classification on CIFAR-10', notRun: { what: 'The classification experiments (SCE figures)', why: 'CIFAR-10 could not be fetched' } }] },
      provenance: { command: 'hebb repro --profile paper --without transformer-table1-raw' } as never,
    };
    const blocks = notRun(inp);
    const items = (blocks.find((b) => b.kind === 'list') as { readonly items: readonly string[] }).items;
    expect(items).toEqual([
      'Table 1, transformer rows of variant `default`: no cells (2 entries missing); the checks on them are SKIPPED.',
      'Noise grid `adam`: no cells (Adam (Fig. 10)).',
      'The classification experiments (SCE figures): CIFAR-10 could not be fetched.',
    ]);
    expect(JSON.stringify(blocks)).toContain('leaves those stages out on purpose');
    const doc = buildReport(inp as never);
    const h = doc.filter((b) => b.kind === 'h').map((b) => (b as { text: string }).text);
    expect(h.indexOf('Not run in this reproduction')).toBe(h.indexOf('Verdict') + 1);
    // Nothing missing: no section.
    expect(notRun({ title: 't', profile: 'p', table1: aggregateTable1(cs) } as never)).toEqual([]);
  });
});

describe('the η × T sweep in the report', () => {
  it('points at DFA\'s sweep when the MLP\'s DFA row misses the paper, and summarises each rule on its own', async () => {
    const { buildReport } = await import('../src/report/document/report.ts');
    const { aggregateLearningSweep, sweepRules, sweepSummary } = await import('../src/report/aggregate/learning-sweep.ts');
    const paper: PaperTable = { gammas: [0], rows: [{ model: 'mlp', rule: 'dfa', mean: [0.45], sd: [0.05] }] };
    const table1 = aggregateTable1([syntheticCell({ rule: 'dfa', gamma: 0, seed: 0, alignment: 0.06 })], { paper });
    const sweep = [0.1, 1].flatMap((lr) => [
      syntheticCell({ rule: 'dfa', gamma: 0, lr, steps: 200, alignment: lr === 1 ? 0.06 : 0.15 }),
      syntheticCell({ rule: 'sgd', gamma: 0, lr, steps: 200, alignment: 0 }),
    ]);
    const learning = aggregateLearningSweep(sweep);
    expect(sweepRules(learning)).toEqual(['sgd', 'dfa']);
    expect(sweepSummary(learning, 'dfa')).toBe('at γ = 0, 0.15 at η × T = 20 and 0.06 at η × T = 200');
    const text = JSON.stringify(buildReport({ title: 't', profile: 'smoke', table1, learning } as never));
    expect(text).toContain("Our DFA row differs from the paper's; the same sweep for DFA (below; its reported layer W1) shows how its alignment depends on η and T: at γ = 0, 0.15 at η × T = 20");
    expect(text).not.toContain('Our SGD row differs'); // no SGD entry in this table
  });
});

describe('readings of a Table 1 entry', () => {
  it('holds every layer, the full update and the last iteration, and names the readings that reach the paper', async () => {
    const { readingsSection } = await import('../src/report/document/readings-section.ts');
    const paper: PaperTable = { gammas: [5e-3], rows: [{ model: 'mlp', rule: 'randomnn', mean: [0.5], sd: [0] }] };
    const cs = [0, 1].map((seed) => {
      const c = syntheticCell({ rule: 'randomnn', gamma: 5e-3, seed, alignment: 0.06 }, {});
      const m = c.metrics!;
      const W2 = m.alignment.W2!;
      return { ...c, metrics: { ...m, alignment: { W1: { signal: 0.44 + 0.02 * seed, full: 0.3, window: [0.4] }, W2: { ...W2, window: [...W2.window.slice(0, -1), 0.1] } } } };
    });
    const t = aggregateTable1(cs, { paper });
    const e = t.entries[0]!;
    expect(e.readings['layer W1']).toBeCloseTo(0.45, 12);
    expect(e.readings['layer W2']).toBeCloseTo(0.06, 12);
    expect(e.readings['full update g − γW']).toBeCloseTo(0.054, 12);
    expect(e.readings['last iteration']).toBeCloseTo(0.1, 12);
    const text = JSON.stringify(readingsSection(t, 0.1));
    expect(text).toContain('default mlp randomnn γ = 5e-3: paper 0.50 ± 0.00, ours 0.06 ± 0.00 — within tolerance under: layer W1 (0.45).');
    expect(text).toContain('Every reading\\u2019s whole row'.replace('\\u2019', "'"));
  });
});
