/** Table 1 as CSV and Markdown (paper vs ours, difference, stationarity), from table1.json. Pure. */
import { type Table1, type Table1Entry } from '../aggregate/table1.ts';
import { fmt, fmtGamma, pct, sig2 } from '../format.ts';

const CSV_COLUMNS = [
  'variant', 'model', 'rule', 'gamma', 'state', 'n', 'n_expected', 'n_used', 'n_collapsed', 'n_diverged',
  'n_unreadable', 'mean', 'sd', 'stationary', 'stationary_of', 'drift', 'balance', 'clip_fraction', 'clip_fraction_window',
  'paper_mean', 'paper_sd', 'diff', 'display',
] as const;

/** table1.csv: one line per entry, numbers unrounded, empty where absent. */
export function table1Csv(t: Table1): string {
  const num = (x: number | null | undefined): string => (x === null || x === undefined ? '' : String(x));
  const q = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of t.entries) {
    lines.push(
      [
        e.variant, e.model, e.rule, num(e.gamma), e.state, num(e.n), num(e.nExpected), num(e.nUsed), num(e.nCollapsed),
        num(e.nDiverged), num(e.nUnreadable), num(e.mean), num(e.sd), num(e.stationary.yes), num(e.stationary.of),
        num(e.stationary.drift), num(e.stationary.balance), num(e.clip?.fractionClipped), num(e.clip?.fractionClippedWindow),
        num(e.paper?.mean), num(e.paper?.sd), num(e.diff), e.display,
      ].map((v) => q(String(v))).join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** The paper's entry as text: `0.17 ± 0.01`, `–`, or blank when the paper has no such entry. */
export function paperDisplay(e: Table1Entry): string {
  if (!e.paper) return '';
  if (e.paper.mean === null) return '–';
  return `${fmt(e.paper.mean)} ± ${e.paper.sd === null ? 'n/a' : fmt(e.paper.sd)}`;
}

/** Whether ours and the paper's disagree by more than `tol` (or one collapsed and the other not). */
export function mismatch(e: Table1Entry, tol: number): string | null {
  if (!e.paper || e.state === 'missing') return null;
  if (e.paper.mean === null && e.state === 'ok') return 'paper collapsed, ours did not';
  if (e.paper.mean !== null && e.state === 'collapsed') return 'ours collapsed, the paper\'s did not';
  if (e.state === 'diverged') return 'ours diverged';
  if (e.diff !== null && Math.abs(e.diff) > tol) return `differs by ${e.diff > 0 ? '+' : ''}${fmt(e.diff)}`;
  return null;
}

/** table1.md: one Markdown table per variant; rows (model, rule, γ) with paper, ours, diff, n, stationarity. */
export function table1Markdown(t: Table1, opts: { mismatchTol?: number } = {}): string {
  const tol = opts.mismatchTol ?? 0.1;
  const out: string[] = [];
  for (const v of t.variants) {
    out.push(`### Table 1 — variant \`${v}\``, '');
    out.push('| model | rule | γ | paper | ours | ours − paper | n | stationary | drift | balance | note |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const e of t.entries.filter((x) => x.variant === v)) {
      const n = e.nExpected !== null ? `${e.n}/${e.nExpected}` : String(e.n);
      const stat = e.stationary.of ? `${e.stationary.yes}/${e.stationary.of}` : '–';
      const notes: string[] = [];
      const mm = mismatch(e, tol);
      if (mm) notes.push(`**mismatch: ${mm}**`);
      if (e.stationary.of && e.stationary.yes < e.stationary.of) notes.push('not all stationary');
      if (e.nExpected !== null && e.n < e.nExpected && e.state !== 'missing') notes.push('seeds missing');
      if (e.clip && e.clip.fractionClipped > 0) notes.push(`clip bound in ${pct(e.clip.fractionClipped)} of ${e.clip.scope} norms`);
      out.push(
        `| ${e.model} | ${e.rule} | ${fmtGamma(e.gamma)} | ${paperDisplay(e)} | ${e.display} | ${e.diff === null ? '' : fmt(e.diff)} | ${n} | ${stat} | ${sig2(e.stationary.drift)} | ${sig2(e.stationary.balance)} | ${notes.join('; ')} |`,
      );
    }
    out.push('');
  }
  if (t.unreadable.length) {
    out.push('Unreadable cells:', '');
    for (const u of t.unreadable) out.push(`- \`${u.cell}\`: ${u.error}`);
    out.push('');
  }
  return out.join('\n');
}
