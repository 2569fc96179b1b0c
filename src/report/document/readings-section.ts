/**
 * The report section "Readings: which one reproduces which entry": for every Table 1 entry that
 * does not match the paper, the other readings of the same cells (every layer, the full update,
 * the last iteration; readings.ts), each marked when it lands within the paper's tolerance; then,
 * folded, every reading's whole row. Sensitivity, not a fit: no reading is ever picked to agree.
 */
import { agreementTolerance } from '../checks/checks.ts';
import type { Block } from './report-doc.ts';
import type { Table1, Table1Entry } from '../aggregate/table1.ts';
import { mismatch, paperDisplay } from './table1-render.ts';
import { fmt, fmtGamma } from '../format.ts';

const TOL = { max_abs_diff: 0.1, sd_multiple: 2 };

/** The readings of `e` within the paper's tolerance, as text. */
function agreeing(e: Table1Entry): string[] {
  if (!e.paper || e.paper.mean === null) return [];
  const tol = agreementTolerance(e, TOL);
  return Object.entries(e.readings).filter(([, v]) => v !== null && Math.abs(v - e.paper!.mean!) <= tol).map(([k, v]) => `${k} (${fmt(v)})`);
}

/** The section; empty when no entry has readings. */
export function readingsSection(t: Table1 | null | undefined, mismatchTol: number): Block[] {
  const entries = (t?.entries ?? []).filter((e) => Object.keys(e.readings ?? {}).length > 0);
  if (!entries.length) return [];
  const out: Block[] = [
    { kind: 'h', level: 2, text: 'Readings: which one reproduces which entry' },
    {
      kind: 'p',
      text:
        'The paper leaves open which matrix it reports for each rule, whether it measures the signal g or the full update g − γW, and how it summarises the end of training. ' +
        'The same cells answer each reading, so this costs no training. For every mismatching entry, the readings that land within the paper\'s tolerance (max(0.1, 2 × its SD)) are named; ' +
        'a reading that fixes one entry but breaks the rest of its row explains nothing, so every reading\'s whole row is shown below.',
    },
  ];
  const items: string[] = [];
  for (const e of entries) {
    const mm = mismatch(e, mismatchTol);
    if (!mm || e.state !== 'ok') continue;
    const ok = agreeing(e);
    items.push(`${e.variant} ${e.model} ${e.rule} γ = ${fmtGamma(e.gamma)}: paper ${paperDisplay(e)}, ours ${e.display} — ${ok.length ? `within tolerance under: ${ok.join(', ')}` : 'no recorded reading reaches the paper'}.`);
  }
  out.push(items.length ? { kind: 'list', items } : { kind: 'p', text: 'No non-collapsed entry mismatches the paper.' });
  const rows = new Map<string, Table1Entry[]>();
  for (const e of entries) rows.set(`${e.variant}|${e.model}|${e.rule}`, [...(rows.get(`${e.variant}|${e.model}|${e.rule}`) ?? []), e]);
  const blocks: Block[] = [];
  for (const [k, es] of rows) {
    const [variant, model, rule] = k.split('|');
    es.sort((a, b) => a.gamma - b.gamma);
    const names = [...new Set(es.flatMap((e) => Object.keys(e.readings)))].sort();
    blocks.push({ kind: 'h', level: 3, text: `${variant} — ${model} ${rule}` });
    blocks.push({
      kind: 'table',
      head: ['reading', ...es.map((e) => `γ = ${fmtGamma(e.gamma)}`)],
      rows: [
        ['paper', ...es.map((e) => paperDisplay(e))],
        ['ours (as reported)', ...es.map((e) => e.display)],
        ...names.map((n) => [n, ...es.map((e) => (e.readings[n] === undefined || e.readings[n] === null ? '' : fmt(e.readings[n]!)))]),
      ],
    });
  }
  out.push({ kind: 'details', summary: `Every reading's whole row (${rows.size} rows)`, blocks });
  return out;
}
