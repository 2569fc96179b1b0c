/**
 * The phase-boundary fit γ* = γ₀ + c·σ^b (docs/definitions.md §Boundary fit). Pure.
 *
 * Method (documented in docs/report.md): a profile over b. For fixed b the model is linear in
 * (γ₀, c), so those come from weighted linear least squares with weights 1/γ*² (relative
 * residuals: γ* spans decades, and an unweighted fit would only see the largest σ). The profiled
 * SSE(b) is minimised over b ∈ `bRange` (default [0.1, 6]) by a grid scan plus golden-section refinement.
 * Constraints γ₀ ≥ 0, c > 0: when the unconstrained γ₀ is negative, γ₀ = 0 and c is refit.
 * b's confidence interval is the profile-likelihood interval
 * { b : SSE(b) ≤ SSE_min · (1 + F₁,ₙ₋₃(level) / (n − 3)) }, with F₁,ν = t²_ν.
 * R² is computed on log γ* (the fraction of the variance of log γ* the curve explains).
 * γ₀ and c (and b again) get percentile intervals from a seeded case-resampling bootstrap, and the
 * fit with b fixed at 2 (the paper's γ* ∝ σ² read literally) is reported beside the free one.
 * σ = 0 takes part (σ^b = 0 there: it pins γ₀).
 */
import { mulberry32 } from '../../util/prng.ts';
import { tQuantile } from './stats.ts';

/** One boundary point. */
export interface BoundaryPoint {
  readonly sigma: number;
  readonly gammaStar: number;
}

/** Result of the non-linear fit. */
export interface BoundaryFit {
  readonly method: 'profile-b-weighted-ls';
  readonly n: number;
  readonly gamma0: number;
  readonly c: number;
  readonly b: number;
  /** Profile-likelihood interval of b at `level`; a side is null when it runs past the search range. */
  readonly bCI: readonly [number | null, number | null];
  readonly level: number;
  /** R² on log γ*. */
  readonly r2: number;
  /** Weighted (relative) residual sum of squares at the optimum. */
  readonly sse: number;
  /** Whether γ₀ hit its bound 0. */
  readonly gamma0AtBound: boolean;
  /**
   * Case-resampling bootstrap (seeded, so the report is reproducible): percentile intervals at
   * `level` of γ₀, c and b over the resamples that could be fitted; null when fewer than 20 could.
   */
  readonly bootstrap: {
    readonly resamples: number;
    readonly fitted: number;
    readonly gamma0CI: readonly [number, number];
    readonly cCI: readonly [number, number];
    readonly bCI: readonly [number, number];
  } | null;
  /** The paper's claim taken literally: γ* = γ₀ + c·σ² (b fixed at 2), with its R² on log γ*. */
  readonly atB2: { readonly gamma0: number; readonly c: number; readonly r2: number };
}

/** Result of the naive straight log-log fit log γ* = a + b·log σ (σ > 0 only). */
export interface LogLogFit {
  readonly n: number;
  readonly b: number;
  readonly logA: number;
  readonly bCI: readonly [number, number] | null;
  readonly level: number;
  readonly r2: number;
}

/** Options of `fitBoundary`. */
export interface FitOptions {
  readonly bRange?: readonly [number, number];
  readonly level?: number;
  /** Bootstrap resamples for the intervals of γ₀ and c (default 500). */
  readonly resamples?: number;
}

interface Profile {
  readonly sse: number;
  readonly gamma0: number;
  readonly c: number;
  readonly atBound: boolean;
}

/** Weighted LS of y ≈ g0 + c·x with weights 1/y², constrained g0 ≥ 0 and c ≥ 0. */
function profileAt(points: readonly BoundaryPoint[], b: number): Profile {
  let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  const xs = points.map((p) => (p.sigma === 0 ? 0 : p.sigma ** b));
  points.forEach((p, i) => {
    const w = 1 / (p.gammaStar * p.gammaStar);
    const x = xs[i]!;
    sw += w; sx += w * x; sy += w * p.gammaStar; sxx += w * x * x; sxy += w * x * p.gammaStar;
  });
  const det = sw * sxx - sx * sx;
  let g0 = det !== 0 ? (sxx * sy - sx * sxy) / det : 0;
  let c = det !== 0 ? (sw * sxy - sx * sy) / det : 0;
  let atBound = false;
  if (!(g0 >= 0) || !(c >= 0)) {
    // Either bound active: try both one-parameter fits and keep the better.
    const cOnly = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
    const g0Only = Math.max(0, sy / sw);
    const sseOf = (a: number, k: number): number => points.reduce((s, p, i) => s + ((a + k * xs[i]! - p.gammaStar) / p.gammaStar) ** 2, 0);
    if (sseOf(0, cOnly) <= sseOf(g0Only, 0)) { g0 = 0; c = cOnly; } else { g0 = g0Only; c = 0; }
    atBound = true;
  }
  const sse = points.reduce((s, p, i) => s + ((g0 + c * xs[i]! - p.gammaStar) / p.gammaStar) ** 2, 0);
  return { sse, gamma0: g0, c, atBound };
}

/** Whether a set of points can be fitted: ≥ 4 points (3 parameters need a residual degree of freedom), ≥ 3 at σ > 0. */
function fittable(pts: readonly BoundaryPoint[]): boolean {
  return pts.length >= 4 && pts.filter((p) => p.sigma > 0).length >= 3;
}

/** The b minimising the profiled SSE over [lo, hi]: a grid scan, then golden section around the best grid point. */
function bestB(pts: readonly BoundaryPoint[], lo: number, hi: number): number {
  const f = (b: number): number => profileAt(pts, b).sse;
  const N = 200;
  let bestI = 0;
  let bestV = Infinity;
  for (let i = 0; i <= N; i++) {
    const v = f(lo + ((hi - lo) * i) / N);
    if (v < bestV) { bestV = v; bestI = i; }
  }
  let a = lo + ((hi - lo) * Math.max(0, bestI - 1)) / N;
  let d = lo + ((hi - lo) * Math.min(N, bestI + 1)) / N;
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 100; it++) {
    const x1 = d - phi * (d - a);
    const x2 = a + phi * (d - a);
    if (f(x1) < f(x2)) d = x2; else a = x1;
  }
  return (a + d) / 2;
}

/** R² on log γ* of the curve γ₀ + c·σ^b. */
function r2Log(pts: readonly BoundaryPoint[], gamma0: number, c: number, b: number): number {
  const logs = pts.map((p) => Math.log(p.gammaStar));
  const mLog = logs.reduce((s, x) => s + x, 0) / logs.length;
  const ssTot = logs.reduce((s, x) => s + (x - mLog) ** 2, 0);
  const ssRes = pts.reduce((s, p) => {
    const pred = gamma0 + c * (p.sigma === 0 ? 0 : p.sigma ** b);
    return s + (pred > 0 ? (Math.log(p.gammaStar) - Math.log(pred)) ** 2 : Infinity);
  }, 0);
  return ssTot > 0 ? 1 - ssRes / ssTot : NaN;
}

/** The q-quantile of sorted values (linear interpolation). */
function quantileSorted(xs: readonly number[], q: number): number {
  const h = (xs.length - 1) * q;
  const i = Math.floor(h);
  return xs[i]! + (h - i) * ((xs[Math.min(i + 1, xs.length - 1)] ?? xs[i]!) - xs[i]!);
}

/** Case-resampling bootstrap of (γ₀, c, b): percentile intervals at `level`. */
function bootstrapFit(pts: readonly BoundaryPoint[], lo: number, hi: number, level: number, resamples: number): BoundaryFit['bootstrap'] {
  const rand = mulberry32(0x5eed); // seeded: the same points give the same intervals
  const g0s: number[] = [];
  const cs: number[] = [];
  const bs: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const sample = pts.map(() => pts[Math.floor(rand() * pts.length)]!);
    if (!fittable(sample) || new Set(sample.map((p) => p.sigma)).size < 4) continue;
    const b = bestB(sample, lo, hi);
    const pr = profileAt(sample, b);
    g0s.push(pr.gamma0);
    cs.push(pr.c);
    bs.push(b);
  }
  if (bs.length < 20) return null;
  const ci = (xs: number[]): [number, number] => {
    xs.sort((x, y) => x - y);
    return [quantileSorted(xs, (1 - level) / 2), quantileSorted(xs, 1 - (1 - level) / 2)];
  };
  return { resamples, fitted: bs.length, gamma0CI: ci(g0s), cCI: ci(cs), bCI: ci(bs) };
}

/** Fits γ* = γ₀ + c·σ^b; null when fewer than 4 points (3 parameters need a residual degree of freedom). */
export function fitBoundary(points: readonly BoundaryPoint[], opts: FitOptions = {}): BoundaryFit | null {
  const pts = points.filter((p) => p.sigma >= 0 && p.gammaStar > 0 && Number.isFinite(p.gammaStar));
  if (!fittable(pts)) return null;
  const [lo, hi] = opts.bRange ?? [0.1, 6];
  const level = opts.level ?? 0.95;
  const f = (b: number): number => profileAt(pts, b).sse;
  const b = bestB(pts, lo, hi);
  const best = profileAt(pts, b);
  const nu = pts.length - 3;
  const tq = tQuantile(level, nu);
  const thresh = best.sse * (1 + (tq * tq) / nu);
  const edge = (dir: -1 | 1): number | null => {
    const limit = dir < 0 ? lo : hi;
    if (f(limit) <= thresh) return null;
    let inside = b;
    let outside = limit;
    for (let it = 0; it < 80; it++) {
      const mid = (inside + outside) / 2;
      if (f(mid) <= thresh) inside = mid; else outside = mid;
    }
    return (inside + outside) / 2;
  };
  const b2 = profileAt(pts, 2);
  return {
    method: 'profile-b-weighted-ls',
    n: pts.length,
    gamma0: best.gamma0,
    c: best.c,
    b,
    bCI: [edge(-1), edge(1)],
    level,
    r2: r2Log(pts, best.gamma0, best.c, b),
    sse: best.sse,
    gamma0AtBound: best.atBound,
    bootstrap: bootstrapFit(pts, lo, hi, level, opts.resamples ?? 500),
    atB2: { gamma0: b2.gamma0, c: b2.c, r2: r2Log(pts, b2.gamma0, b2.c, 2) },
  };
}

/** The naive straight fit of log γ* on log σ over σ > 0 (biased low by the floor γ₀; reported, not gated). */
export function fitLogLog(points: readonly BoundaryPoint[], level = 0.95): LogLogFit | null {
  const pts = points.filter((p) => p.sigma > 0 && p.gammaStar > 0);
  if (pts.length < 2) return null;
  const xs = pts.map((p) => Math.log(p.sigma));
  const ys = pts.map((p) => Math.log(p.gammaStar));
  const n = pts.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) { sxx += (xs[i]! - mx) ** 2; sxy += (xs[i]! - mx) * (ys[i]! - my); syy += (ys[i]! - my) ** 2; }
  if (sxx === 0) return null;
  const b = sxy / sxx;
  const logA = my - b * mx;
  const ssRes = ys.reduce((s, y, i) => s + (y - logA - b * xs[i]!) ** 2, 0);
  let bCI: [number, number] | null = null;
  if (n > 2) {
    const se = Math.sqrt(ssRes / (n - 2) / sxx);
    const t = tQuantile(level, n - 2);
    bCI = [b - t * se, b + t * se];
  }
  return { n, b, logA, bCI, level, r2: syy > 0 ? 1 - ssRes / syy : NaN };
}

/** The fitted curve γ₀ + c·σ^b. */
export function boundaryAt(fit: Pick<BoundaryFit, 'gamma0' | 'c' | 'b'>, sigma: number): number {
  return fit.gamma0 + fit.c * (sigma === 0 ? 0 : sigma ** fit.b);
}
