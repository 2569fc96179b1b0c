/**
 * Positioning (σ, γ) grids on log axes. σ = 0 (and γ = 0) have no place on a log axis, so an
 * axis whose values include 0 is a symlog axis whose linear region is set below the smallest
 * positive value: 0 then sits one step left of the rest, and the positive values stay ~log-spaced.
 * Heatmap rectangles get edges halfway between neighbours in the transformed space. Pure.
 */

/** A Vega-Lite scale for an axis plus the transform it applies. */
export interface LogAxis {
  readonly scale: { readonly type: 'log' } | { readonly type: 'symlog'; readonly constant: number };
  /** Edges [lo, hi] (data units) of the heatmap cell centred at each value. */
  readonly edges: ReadonlyMap<number, readonly [number, number]>;
  /** [min, max] of all edges (for the axis domain). */
  readonly domain: readonly [number, number];
}

/** Builds the axis for a sorted list of non-negative grid values. */
export function logAxis(values: readonly number[]): LogAxis {
  const vs = [...new Set(values)].filter((v) => v >= 0).sort((a, b) => a - b);
  const pos = vs.filter((v) => v > 0);
  const hasZero = vs.length > pos.length;
  const minPos = pos[0] ?? 1;
  const C = minPos / 3;
  const T = hasZero ? (v: number): number => Math.log1p(v / C) : (v: number): number => Math.log(v);
  const Ti = hasZero ? (t: number): number => C * Math.expm1(t) : (t: number): number => Math.exp(t);
  const ts = vs.map(T);
  const edges = new Map<number, readonly [number, number]>();
  vs.forEach((v, i) => {
    const t = ts[i]!;
    const prev = ts[i - 1];
    const next = ts[i + 1];
    const half = (next !== undefined ? next - t : prev !== undefined ? t - prev : 1) / 2;
    const halfBefore = prev !== undefined ? (t - prev) / 2 : half;
    const halfAfter = next !== undefined ? (next - t) / 2 : halfBefore;
    const lo = v === 0 ? 0 : Ti(t - halfBefore);
    edges.set(v, [Math.max(lo, 0), Ti(t + halfAfter)]);
  });
  const all = [...edges.values()].flat();
  const domain: [number, number] = all.length ? [Math.min(...all), Math.max(...all)] : [minPos, minPos * 10];
  return { scale: hasZero ? { type: 'symlog', constant: C } : { type: 'log' }, edges, domain };
}
