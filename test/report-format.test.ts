// src/report/format.ts replaced nine near-copies of number formatters; each named formatter must
// write exactly what the copy it replaced wrote (the copies are kept here as references).
import { describe, expect, it } from 'vitest';
import { axisLabel, fixed, fmt, fmtGamma, gammaText, pct, rounded, sci, shortNum, sig2 } from '../src/report/format.ts';

const old = {
  fmt: (x: number | null) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(2) === '-0.00' ? '0.00' : x.toFixed(2)),
  fmtGamma: (g: number) => {
    if (g === 0) return '0';
    const [m, x] = g.toExponential().split('e');
    return `${Number(Number(m).toPrecision(3))}e${Number(x)}`;
  },
  shortNum: (x: number) => {
    if (x === 0) return '0';
    const [m, e] = x.toExponential(1).split('e');
    const mm = Number(m);
    return `${Number.isInteger(mm) ? mm.toFixed(0) : mm}e${Number(e)}`;
  },
  g3: (g: number) => (g !== 0 && (Math.abs(g) < 1e-3 || Math.abs(g) >= 1e4) ? g.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(Number(g.toPrecision(3)))),
  lab: (x: number): string => (x === 0 || (Math.abs(x) >= 0.01 && Math.abs(x) < 1e4) ? String(+x.toPrecision(3)) : old.shortNum(x)),
  r2: (x: number | null) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(2)),
  sci: (x: number | null) => (x === null || !Number.isFinite(x) ? 'n/a' : x.toExponential(2)),
  r3: (x: number | null) => (x === null || !Number.isFinite(x) ? 'n/a' : String(Math.round(x * 1000) / 1000)),
  sig2: (x: number | null) => (x === null || !Number.isFinite(x) ? '' : String(Number(x.toPrecision(2)))),
};

// The grids' and profiles' γ, σ, η and a spread of means, signs, magnitudes and non-finite values.
const values = [
  0, 1, -1, 0.5, 2, 256, 5e-5, 5e-4, 5e-3, 1e-5, 2.15e-5, 4.64e-5, 2.15e-4, 4.64e-3, 1e-2, 3.2e-4, 5.23e-4, 8.56e-4, 1.4e-3, 2.29e-3,
  3.74e-3, 6.12e-3, 1e-6, 3.2e-5, 0.001, 0.002, 0.01, 0.03, 0.3, 4, 1e4, 12345, 0.62, -0.05, -0.001, 0.004999, 0.125, 0.9999, -0.333333, 1.5e-4,
];

describe('one number formatter', () => {
  it('writes every value as the copy it replaced did', () => {
    for (const x of values) {
      expect(fmt(x), `fmt ${x}`).toBe(old.fmt(x));
      expect(fixed(x), `r2 ${x}`).toBe(old.r2(x));
      expect(sci(x), `sci ${x}`).toBe(old.sci(x));
      expect(rounded(x, 3), `r3 ${x}`).toBe(old.r3(x));
      expect(sig2(x), `sig2 ${x}`).toBe(old.sig2(x));
      expect(gammaText(x), `g3 ${x}`).toBe(old.g3(x));
      expect(axisLabel(x), `lab ${x}`).toBe(old.lab(x));
      expect(shortNum(x), `shortNum ${x}`).toBe(old.shortNum(x));
      // The one difference: a mantissa that rounds to 10 (below).
      if (!/^-?10e/.test(old.fmtGamma(x))) expect(fmtGamma(x), `fmtGamma ${x}`).toBe(old.fmtGamma(x));
    }
    for (const x of [null, NaN, Infinity]) {
      expect([fmt(x), fixed(x), sci(x), rounded(x, 3), sig2(x)]).toEqual([old.fmt(x), old.r2(x), old.sci(x), old.r3(x), old.sig2(x)]);
    }
    expect([pct(0), pct(0.004), pct(0.12), pct(1)]).toEqual(['0%', '0.4%', '12%', '100%']);
  });

  it('rounds a γ whose mantissa carries to 10 into the next power (the old fmtGamma wrote 10e-4)', () => {
    expect(fmtGamma(9.9996e-4)).toBe('1e-3');
    expect(old.fmtGamma(9.9996e-4)).toBe('10e-4');
  });
});
