/**
 * How the report stages write numbers: one module, so a γ, a mean or a percentage reads the same in
 * every table, caption, figure label and message. Pure. "Absent" is null, undefined or not finite.
 */

type Num = number | null | undefined;
const finite = (x: Num): x is number => x !== null && x !== undefined && Number.isFinite(x);

/** `digits` decimals: 0.62, -0.05 ('n/a' when absent); `noNegativeZero` writes -0.001 as 0.00, not -0.00. */
export function fixed(x: Num, digits = 2, o: { readonly noNegativeZero?: boolean } = {}): string {
  if (!finite(x)) return 'n/a';
  const r = x.toFixed(digits);
  return o.noNegativeZero && Number(r) === 0 ? (0).toFixed(digits) : r;
}

/** Rounded to `decimals` places, trailing zeros dropped: 0.123, 2 ('n/a' when absent). */
export function rounded(x: Num, decimals: number): string {
  if (!finite(x)) return 'n/a';
  const f = 10 ** decimals;
  return String(Math.round(x * f) / f);
}

/** Scientific notation with `digits` decimals: 2.15e-4 ('n/a' when absent). */
export function sci(x: Num, digits = 2): string {
  return finite(x) ? x.toExponential(digits) : 'n/a';
}

/** `digits` significant digits, trailing zeros dropped: 0.013, 0.94 (`missing`, default '', when absent). */
export function sig(x: Num, digits: number, missing = ''): string {
  return finite(x) ? String(Number(x.toPrecision(digits))) : missing;
}

/** Mantissa and power of ten to `digits` significant digits, as the paper writes γ and σ: 0, 5e-4, 2.15e-5. */
export function expNum(x: number, digits: number): string {
  if (x === 0) return '0';
  const [m, e] = x.toExponential(digits - 1).split('e');
  return `${Number(m)}e${Number(e)}`;
}

/** A γ or σ in a message: plain from 1e-3 to below 1e4 (0.002, 0.5), else expNum to 3 digits (2.15e-4). */
export function gammaText(x: number): string {
  return x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4) ? expNum(x, 3) : sig(x, 3);
}

/** A short axis label: plain from 0.01 to below 1e4 (0.25, 256), else expNum to 2 digits (5e-4). */
export function axisLabel(x: number): string {
  return x === 0 || (Math.abs(x) >= 0.01 && Math.abs(x) < 1e4) ? sig(x, 3) : expNum(x, 2);
}

/** A fraction as a percentage: 12%, 0.4%, 0%. */
export function pct(x: number): string {
  const p = 100 * x;
  return `${p === 0 || p >= 10 ? Math.round(p) : Number(p.toPrecision(2))}%`;
}

/** Table 1's numbers (means, SDs, differences): two decimals, never -0.00 ('n/a' when absent). */
export function fmt(x: number | null): string {
  return fixed(x, 2, { noNegativeZero: true });
}

/** A γ as the paper writes it: 0, 5e-5, 2.15e-4 (three significant digits). */
export function fmtGamma(g: number): string {
  return expNum(g, 3);
}

/** A short label for a γ or σ value: 0, 5e-4, 3.2e-4 (two significant digits). */
export function shortNum(x: number): string {
  return expNum(x, 2);
}

/** A small positive measure to two significant digits ('' when absent): 0.013, 0.94. */
export function sig2(x: number | null | undefined): string {
  return sig(x, 2);
}
