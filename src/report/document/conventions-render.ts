/**
 * conventions.md: the report section "Which reading reproduces which entry" (docs/conventions.md).
 * Every (model, rule) row under every reading, the paper's first, then a verdict per baseline
 * entry that misses the paper. Pure.
 */
import type { ConventionsStudy, ReadingValue } from '../aggregate/conventions.ts';

const g = (x: number): string => (x === 0 ? '0' : x.toExponential(0).replace('e-', 'e-'));
const cell = (v: ReadingValue): string => (v.agrees === true ? `**${v.display}**` : v.display);

/** The section as Markdown; `labels` names each reading (stage → words), `paperRow` gives the paper's entries per (model, rule). */
export function conventionsMarkdown(s: ConventionsStudy, labels: Readonly<Record<string, string>>, paper: (model: string, rule: string) => readonly (number | null)[] | null): string {
  const lines: string[] = [];
  lines.push('## Which reading reproduces which entry');
  lines.push('');
  lines.push(`Table 1 cells trained under one alternative reading each of a convention the paper leaves open (docs/conventions.md), beside the baseline (${s.baseline}) and the paper. **Bold**: within the paper's tolerance, max(0.1, 2 × its SD). Every reading's whole row is shown: a sensitivity analysis, not a fit.`);
  if (s.rows.length === 0 || s.readings.length === 0) {
    lines.push('', '_No reading was trained in this run._', '');
    return lines.join('\n');
  }
  for (const row of s.rows) {
    lines.push('', `### ${row.model} · ${row.rule}`, '');
    lines.push(`| reading | ${s.gammas.map((x) => `γ = ${g(x)}`).join(' | ')} |`);
    lines.push(`|---|${s.gammas.map(() => '---').join('|')}|`);
    const p = paper(row.model, row.rule);
    if (p) lines.push(`| paper | ${p.map((v) => (v === null ? '–' : v.toFixed(2))).join(' | ')} |`);
    for (const [reading, values] of Object.entries(row.values)) {
      const name = reading === s.baseline ? `${s.baseline} (baseline)` : (labels[reading] ?? reading);
      lines.push(`| ${name} | ${values.map(cell).join(' | ')} |`);
    }
  }
  lines.push('', '### Verdicts', '');
  if (s.verdicts.length === 0) lines.push('Every baseline entry is within the paper\'s tolerance.');
  for (const v of s.verdicts) {
    const named = { ...v, verdict: Object.entries(labels).reduce((t, [k, l]) => t.split(k).join(l), v.verdict) };
    lines.push(`- **${v.model} ${v.rule}, γ = ${g(v.gamma)}**: ${named.verdict}.`);
  }
  lines.push('');
  return lines.join('\n');
}
