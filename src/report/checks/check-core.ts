/**
 * What every check evaluator shares (checks.ts for Table 1 and the noise grid, sce-checks.ts for the
 * classification experiments and the per-neuron trend): the result vocabulary and the one policy
 * that turns items into a check's status. Pure.
 */

/** A check's outcome. */
export type CheckStatus = 'PASS' | 'FAIL' | 'SKIPPED';

/** One sub-measurement of a check (a Table 1 row, one direction of the noise trend...). */
export interface CheckItem {
  readonly label: string;
  readonly status: CheckStatus;
  readonly why: string;
  readonly measured: Readonly<Record<string, unknown>>;
}

/** What an evaluator returns for one declaration. */
export interface Outcome {
  readonly status: CheckStatus;
  readonly why: string;
  readonly items: CheckItem[];
}

/** Combines items: any FAIL → FAIL; else any SKIPPED or none → SKIPPED; else PASS. */
export function combine(items: CheckItem[], passWhy: string): Outcome {
  const fails = items.filter((i) => i.status === 'FAIL');
  const skips = items.filter((i) => i.status === 'SKIPPED');
  if (fails.length) return { status: 'FAIL', why: fails.map((i) => `${i.label}: ${i.why}`).join('; '), items };
  if (items.length === 0) return { status: 'SKIPPED', why: 'nothing to check: no matching cells', items };
  if (skips.length) return { status: 'SKIPPED', why: `${skips.length} of ${items.length} not evaluable: ` + skips.map((i) => `${i.label}: ${i.why}`).join('; '), items };
  return { status: 'PASS', why: passWhy, items };
}

/** A check that could not look at any data, and why. */
export const skipped = (why: string): Outcome => ({ status: 'SKIPPED', why, items: [] });

/** Rounded to 3 decimals for the measured values; null when absent or not finite. */
export const r3 = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
