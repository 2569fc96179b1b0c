// The conventions study's verdicts (src/report/conventions.ts): built from Table 1 entries, every
// reading's row kept, and per mismatching entry the readings that agree with the paper.
import { describe, expect, it } from 'vitest';
import { agrees, conventionsStudy } from '../src/report/aggregate/conventions.ts';
import type { Table1Entry } from '../src/report/aggregate/table1.ts';

function entry(variant: string, rule: string, gamma: number, mean: number | null, paper: number | null, paperSd = 0.01, state: Table1Entry['state'] = mean === null ? 'collapsed' : 'ok'): Table1Entry {
  return {
    variant, model: 'mlp', rule, gamma, n: 3, nExpected: 3, nCollapsed: state === 'collapsed' ? 3 : 0, nDiverged: 0, nUnreadable: 0, nUsed: mean === null ? 0 : 3,
    state, mean, sd: mean === null ? null : 0.01, stationary: { yes: 0, of: 3, drift: null, balance: null }, clip: null, readings: {},
    paper: { mean: paper, sd: paper === null ? null : paperSd }, diff: mean !== null && paper !== null ? mean - paper : null,
    display: mean === null ? '– (3/3 collapsed)' : `${mean.toFixed(2)} ± 0.01`, cells: [],
  };
}

describe('the conventions study', () => {
  it('agreement: within max(0.1, 2 × SD), collapsed matches "–" only', () => {
    const tol = { max_abs_diff: 0.1, sd_multiple: 2 };
    expect(agrees(entry('s', 'sgd', 0, 0.19, 0.1), tol)).toBe(true);
    expect(agrees(entry('s', 'sgd', 0, 0.21, 0.1), tol)).toBe(false);
    expect(agrees(entry('s', 'sgd', 0, 0.21, 0.1, 0.06), tol)).toBe(true); // 2 × 0.06 = 0.12
    expect(agrees(entry('s', 'adam', 5e-3, null, null), tol)).toBe(true);
    expect(agrees(entry('s', 'adam', 5e-3, 0.9, null), tol)).toBe(false);
    expect(agrees(entry('s', 'sgd', 5e-3, null, 0.59), tol)).toBe(false);
  });

  it('lists the readings that reproduce a mismatching entry, and the nearest when none does', () => {
    const entries = [
      entry('stated', 'dfa', 0, 0.0, 0.45), entry('hb post', 'dfa', 0, 0.2, 0.45), entry('feedback normal', 'dfa', 0, 0.41, 0.45),
      entry('stated', 'sgd', 0, 0.10, -0.10), entry('hb post', 'sgd', 0, 0.05, -0.10),
      entry('stated', 'sgd', 5e-5, 0.10, -0.06), entry('hb post', 'sgd', 5e-5, 0.095, -0.06),
      entry('stated', 'sgd', 5e-3, 0.6, 0.59), entry('hb post', 'sgd', 5e-3, 0.2, 0.59),
    ];
    const s = conventionsStudy(entries, 'stated', ['hb post', 'feedback normal']);
    expect(s.gammas).toEqual([0, 5e-5, 5e-3]);
    // Matching baseline entries get no verdict; every reading's row stays, disagreement included.
    expect(s.verdicts.map((v) => `${v.rule} ${v.gamma}`)).toEqual(['dfa 0', 'sgd 0', 'sgd 0.00005']);
    const sgdRow = s.rows.find((r) => r.rule === 'sgd')!;
    expect(Object.keys(sgdRow.values)).toEqual(['stated', 'hb post']); // DFA's feedback reading has no SGD row
    expect(sgdRow.values['hb post']!.map((v) => v.agrees)).toEqual([false, false, false]);
    const dfa = s.verdicts[0]!;
    expect(dfa.reproducedBy).toEqual(['feedback normal']);
    expect(dfa.verdict).toMatch(/^reproduced by feedback normal \(3 seeds; ours by default 0\.00 ± 0\.01, paper 0\.45\)/);
    const sgd = s.verdicts[1]!;
    expect(sgd.reproducedBy).toEqual([]);
    expect(sgd.verdict).toMatch(/no reading reproduces it: the nearest is hb post at 0\.05 \(paper -0\.10, ours by default 0\.10 ± 0\.01; closer by 0\.05\)/);
    expect(s.verdicts[2]!.verdict).toMatch(/^no reading moves it towards the paper by 0\.01 or more/);
  });

  it('says so when no reading was trained for an entry', () => {
    const s = conventionsStudy([entry('stated', 'randomnn', 5e-3, 0.06, 0.5)], 'stated', ['hb post']);
    expect(s.verdicts[0]!.verdict).toMatch(/^no reading was trained for this entry/);
  });
});

describe('the conventions section', () => {
  it('shows the paper row, every reading with agreeing entries in bold, and the verdicts', async () => {
    const { conventionsSection } = await import('../src/report/document/conventions-render.ts');
    const { toMarkdown } = await import('../src/report/document/report-doc.ts');
    const s = conventionsStudy([entry('stated', 'dfa', 0, 0.0, 0.45), entry('feedback normal', 'dfa', 0, 0.41, 0.45)], 'stated', ['feedback normal']);
    const md = toMarkdown(conventionsSection(s, () => [0.45]));
    expect(md).toMatch(/## Conventions study: Table 1 under other readings of the paper/);
    expect(md).toMatch(/\| paper \| 0\.45 \|/);
    expect(md).toMatch(/\| stated \(baseline\) \| 0\.00 ± 0\.01 \|/);
    expect(md).toMatch(/\| feedback normal \| \*\*0\.41 ± 0\.01\*\* \|/);
    expect(md).toMatch(/reproduced by feedback normal/);
    expect(conventionsSection(null, () => null)).toEqual([]);
  });
});
