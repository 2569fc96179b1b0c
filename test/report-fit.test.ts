import { describe, expect, it } from 'vitest';
import { fitBoundary, fitLogLog } from '../src/report/aggregate/boundary-fit.ts';
import { zeroCrossing } from '../src/report/aggregate/crossing.ts';
import { aggregateNoiseGrid } from '../src/report/aggregate/noise-grid.ts';
import { logspace, normal, rng, syntheticNoiseGrid } from './synthetic.ts';
import { tQuantile } from '../src/report/aggregate/stats.ts';

describe('zeroCrossing', () => {
  const row = (gs: number[], as: (number | null)[]) => gs.map((gamma, i) => ({ gamma, alignment: as[i]! }));
  const G = [1e-5, 1e-4, 1e-3, 1e-2];

  it('interpolates between grid points in log γ', () => {
    const r = zeroCrossing(row(G, [-0.5, -0.2, 0.2, 0.6]));
    expect(r.crossing.kind).toBe('between');
    // halfway between 1e-4 and 1e-3 in log γ
    expect((r.crossing as { gammaStar: number }).gammaStar).toBeCloseTo(Math.sqrt(1e-7), 12);
    expect(r.monotone).toBe(true);
    expect(r.signChanges).toBe(1);
  });

  it('weights the interpolation by the values', () => {
    const r = zeroCrossing(row(G, [-0.5, -0.3, 0.1, 0.6]));
    const gs = (r.crossing as { gammaStar: number }).gammaStar;
    expect(Math.log10(gs)).toBeCloseTo(-4 + 0.75, 10);
  });

  it('returns the grid point when alignment is exactly zero there', () => {
    const r = zeroCrossing(row(G, [-0.5, 0, 0.2, 0.6]));
    expect(r.crossing).toMatchObject({ kind: 'at-point', gammaStar: 1e-4 });
  });

  it('reports no crossing when the row never becomes positive', () => {
    expect(zeroCrossing(row(G, [-0.5, -0.4, -0.3, -0.1])).crossing.kind).toBe('above-grid');
  });

  it('reports a crossing below the grid when the row starts positive', () => {
    expect(zeroCrossing(row(G, [0.1, 0.2, 0.3, 0.4])).crossing.kind).toBe('below-grid');
  });

  it('uses the first crossing of a non-monotone row and flags it', () => {
    const r = zeroCrossing(row([1e-5, 1e-4, 1e-3, 1e-2, 1e-1], [-0.4, 0.1, -0.1, 0.3, 0.5]));
    expect(r.crossing.kind).toBe('between');
    expect((r.crossing as { upper: number }).upper).toBe(1e-4);
    expect(r.monotone).toBe(false);
    expect(r.signChanges).toBe(3);
    expect(r.crossing.notes.join(' ')).toMatch(/not monotone/);
  });

  it('bridges missing points and ignores γ = 0', () => {
    const r = zeroCrossing([{ gamma: 0, alignment: -0.9 }, ...row(G, [-0.5, null, 0.5, 0.6])]);
    expect(r.crossing.kind).toBe('between');
    expect((r.crossing as { gammaStar: number }).gammaStar).toBeCloseTo(1e-4, 12);
    expect(r.crossing.notes.join(' ')).toMatch(/γ = 0/);
    expect(r.crossing.notes.join(' ')).toMatch(/missing/);
  });

  it('needs at least two usable points', () => {
    expect(zeroCrossing(row(G, [null, null, 0.1, null])).crossing.kind).toBe('no-data');
  });
});

describe('fitBoundary', () => {
  const sigmas = [0, ...logspace(3.2e-4, 1e-2, 8)];
  const truth = { gamma0: 1e-5, c: 50, b: 2 };
  const clean = sigmas.map((s) => ({ sigma: s, gammaStar: truth.gamma0 + truth.c * (s === 0 ? 0 : s ** truth.b) }));

  it('recovers γ₀, c and b exactly from clean points', () => {
    const f = fitBoundary(clean)!;
    expect(f.b).toBeCloseTo(2, 3);
    expect(f.gamma0 / truth.gamma0).toBeCloseTo(1, 3);
    expect(f.c / truth.c).toBeCloseTo(1, 2);
    expect(f.r2).toBeGreaterThan(0.999);
  });

  it('recovers b = 2 with a CI that covers it from points with 10% noise', () => {
    const u = rng(42);
    const noisy = clean.map((p) => ({ ...p, gammaStar: p.gammaStar * Math.exp(0.1 * normal(u)) }));
    const f = fitBoundary(noisy)!;
    expect(Math.abs(f.b - 2)).toBeLessThan(0.25);
    expect(f.bCI[0]!).toBeLessThan(2);
    expect(f.bCI[1]!).toBeGreaterThan(2);
    expect(f.gamma0).toBeGreaterThan(0.5e-5);
    expect(f.gamma0).toBeLessThan(2e-5);
    expect(f.c).toBeGreaterThan(20);
    expect(f.c).toBeLessThan(120);
    expect(f.r2).toBeGreaterThan(0.95);
  });

  it('shows that the naive log-log fit is biased low by the floor', () => {
    const ll = fitLogLog(clean)!;
    expect(ll.n).toBe(8); // σ = 0 cannot enter a log-log fit
    expect(ll.b).toBeLessThan(1.9);
  });

  it('gives γ₀ and c (and b) bootstrap intervals that cover the truth, reproducibly, and the fit at b = 2', () => {
    const u = rng(7);
    const noisy = clean.map((p) => ({ ...p, gammaStar: p.gammaStar * Math.exp(0.1 * normal(u)) }));
    const f = fitBoundary(noisy)!;
    const bs = f.bootstrap!;
    expect(bs.fitted).toBeGreaterThan(400);
    expect(bs.gamma0CI[0]).toBeLessThan(truth.gamma0);
    expect(bs.gamma0CI[1]).toBeGreaterThan(truth.gamma0);
    expect(bs.cCI[0]).toBeLessThan(truth.c);
    expect(bs.cCI[1]).toBeGreaterThan(truth.c);
    expect(bs.bCI[0]).toBeLessThan(2);
    expect(bs.bCI[1]).toBeGreaterThan(2);
    expect(fitBoundary(noisy)!.bootstrap).toEqual(bs); // seeded: the same points, the same intervals
    // b fixed at 2 recovers the truth on clean points; on a b = 1 boundary it fits far worse than the free fit.
    const at2 = fitBoundary(clean)!.atB2;
    expect(at2.c / truth.c).toBeCloseTo(1, 2);
    expect(at2.r2).toBeGreaterThan(0.999);
    const linear = sigmas.map((s) => ({ sigma: s, gammaStar: 1e-5 + 0.05 * s }));
    const fl = fitBoundary(linear)!;
    expect(fl.b).toBeCloseTo(1, 2);
    expect(fl.atB2.r2).toBeLessThan(fl.r2 - 0.05);
  });

  it('refuses to fit fewer than four points', () => {
    expect(fitBoundary(clean.slice(0, 3))).toBeNull();
  });

  it('t quantile matches tables', () => {
    expect(tQuantile(0.95, 5)).toBeCloseTo(2.5706, 3);
    expect(tQuantile(0.95, 1000)).toBeCloseTo(1.962, 2);
  });
});

describe('aggregateNoiseGrid', () => {
  const sigmas = [0, ...logspace(3.2e-4, 1e-2, 8)];
  const gammas = logspace(1e-6, 1e-1, 16);

  it('recovers the boundary from a synthetic grid end to end', () => {
    const cells = syntheticNoiseGrid({ sigmas, gammas, seeds: 2, gamma0: 1e-5, c: 50, b: 2, noise: 0.03 });
    const g = aggregateNoiseGrid(cells, { name: 'sgd', select: { grid: 'noise' }, sigmas, gammas, seeds: 2 });
    expect(g.nCells).toBe(sigmas.length * gammas.length * 2);
    expect(g.missing).toHaveLength(0);
    expect(g.excluded).toHaveLength(0);
    expect(Math.abs(g.fit!.b - 2)).toBeLessThan(0.25);
    expect(g.fit!.r2).toBeGreaterThan(0.9);
  });

  it('lists, never drops, σ whose crossing leaves the grid or whose training broke', () => {
    const small = logspace(1e-5, 1e-3, 6);
    const cells = syntheticNoiseGrid({ sigmas, gammas: small, seeds: 1, gamma0: 1e-5, c: 50, b: 2 }).map((c) =>
      c.metrics!.sigma === sigmas[1] && c.metrics!.gamma === small[0] ? { ...c, metrics: { ...c.metrics!, status: 'diverged' as const } } : c,
    );
    const g = aggregateNoiseGrid(cells, { name: 'x', sigmas, gammas: small });
    const reasons = new Map(g.excluded.map((e) => [e.sigma, e.reason]));
    expect(reasons.get(sigmas[1]!)).toMatch(/diverged/);
    expect(reasons.get(sigmas[8]!)).toMatch(/no crossing/); // γ* = 5e-3 > 1e-3
    expect(g.rows).toHaveLength(sigmas.length);
    expect(g.rows.filter((r) => r.used).length + g.excluded.length).toBe(sigmas.length);
  });

  it('excludes a σ whose crossing lands on collapsed cells, and counts it', () => {
    const small = logspace(1e-5, 1e-2, 10);
    const base = syntheticNoiseGrid({ sigmas, gammas: small, seeds: 1, gamma0: 1e-5, c: 50, b: 2 });
    const clean = aggregateNoiseGrid(base, { name: 'x', sigmas, gammas: small });
    const row = clean.rows.find((r) => r.sigma === sigmas[5])!;
    expect(row.used).toBe(true);
    const upper = (row.crossing as { upper: number }).upper;
    const cells = base.map((c) => (c.metrics!.sigma === sigmas[5] && c.metrics!.gamma === upper ? { ...c, metrics: { ...c.metrics!, status: 'collapsed' as const } } : c));
    const g = aggregateNoiseGrid(cells, { name: 'x', sigmas, gammas: small });
    expect(g.excludedCollapsed).toBe(1);
    expect(g.excluded.find((e) => e.sigma === sigmas[5])!.reason).toMatch(/crossing lands on collapsed cells \(γ = .*: 1\/1 collapsed\)/);
    expect(clean.excludedCollapsed).toBe(0);
    expect(g.fit!.n).toBe(clean.fit!.n - 1);
  });

  it('counts missing cells of a partial grid', () => {
    const cells = syntheticNoiseGrid({ sigmas: sigmas.slice(0, 3), gammas, seeds: 1, gamma0: 1e-5, c: 50, b: 2 });
    const g = aggregateNoiseGrid(cells, { name: 'p', sigmas, gammas });
    expect(g.missing).toHaveLength((sigmas.length - 3) * gammas.length);
  });
});
