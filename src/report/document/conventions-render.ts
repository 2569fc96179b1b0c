/**
 * The report section "Conventions study: Table 1 under other readings of the paper" (docs/conventions.md): every
 * (model, rule) row under every reading, the paper's first, then a verdict per baseline entry
 * that misses the paper. Report blocks, so the same section goes into report.md, report.html and
 * the conventions stage's own conventions.md. Pure.
 */
import type { ConventionsStudy, ReadingValue } from '../aggregate/conventions.ts';
import type { Block } from './report-doc.ts';
import { fmt, fmtGamma } from '../format.ts';

const cell = (v: ReadingValue): string => (v.agrees === true ? `**${v.display}**` : v.display);

/** The section; `paper` gives the paper's row of a (model, rule) (null: none). Empty when the study is absent. */
export function conventionsSection(s: ConventionsStudy | null | undefined, paper: (model: string, rule: string) => readonly (number | null)[] | null): Block[] {
  if (!s) return [];
  const out: Block[] = [
    { kind: 'h', level: 2, text: 'Conventions study: Table 1 under other readings of the paper' },
    {
      kind: 'p',
      text: `Table 1 cells trained under one alternative reading each of a convention the paper leaves open (docs/conventions.md), beside the baseline (${s.baseline}) and the paper. **Bold**: within the paper's tolerance, max(0.1, 2 × its SD). Every reading's whole row is shown: a sensitivity analysis, not a fit; no default was changed to agree.`,
    },
  ];
  if (s.rows.length === 0 || s.readings.length === 0) return [...out, { kind: 'p', text: 'No reading was trained in this run.' }];
  for (const row of s.rows) {
    const p = paper(row.model, row.rule);
    const rows: string[][] = [];
    if (p) rows.push(['paper', ...p.map((v) => (v === null ? '–' : fmt(v)))]);
    for (const [reading, values] of Object.entries(row.values)) rows.push([reading === s.baseline ? `${reading} (baseline)` : reading, ...values.map(cell)]);
    out.push({ kind: 'h', level: 3, text: `${row.model} · ${row.rule}` });
    out.push({ kind: 'table', head: ['reading', ...s.gammas.map((g) => `γ = ${fmtGamma(g)}`)], rows });
  }
  out.push({ kind: 'h', level: 3, text: 'Verdicts' });
  out.push(s.verdicts.length === 0
    ? { kind: 'p', text: "Every baseline entry is within the paper's tolerance." }
    : { kind: 'list', items: s.verdicts.map((v) => `**${v.model} ${v.rule}, γ = ${fmtGamma(v.gamma)}**: ${v.verdict}.`) });
  return out;
}
