/**
 * γ*(σ): the first zero crossing of alignment as γ rises along one σ row, interpolated linearly in
 * log γ (docs/definitions.md §Boundary fit). Pure. Every way a row can fail to give a crossing is a named outcome,
 * so the caller can list the σ it excludes with the reason.
 */
import { gammaText } from '../format.ts';

/** One point of a row: γ > 0 and the mean alignment there (null = no usable cells). */
export interface RowPoint {
  readonly gamma: number;
  readonly alignment: number | null;
}

/** The outcome of the crossing search on one row. */
export type Crossing =
  /** a(γ_i) < 0 < a(γ_{i+1}): log-interpolated between the two grid points. */
  | { readonly kind: 'between'; readonly gammaStar: number; readonly lower: number; readonly upper: number; readonly notes: readonly string[] }
  /** a(γ_i) = 0 exactly at a grid point. */
  | { readonly kind: 'at-point'; readonly gammaStar: number; readonly notes: readonly string[] }
  /** Already positive at the smallest γ: γ* lies below the grid. */
  | { readonly kind: 'below-grid'; readonly notes: readonly string[] }
  /** Never reaches zero: γ* lies above the grid. */
  | { readonly kind: 'above-grid'; readonly notes: readonly string[] }
  /** Too few usable points to say. */
  | { readonly kind: 'no-data'; readonly notes: readonly string[] };

/** Result of `zeroCrossing`, with shape diagnostics. */
export interface CrossingResult {
  readonly crossing: Crossing;
  /** Number of sign changes along the row (1 for a clean row; > 1 means non-monotone). */
  readonly signChanges: number;
  /** Whether the usable points are non-decreasing in γ. */
  readonly monotone: boolean;
}

/**
 * Finds the first crossing from negative to non-negative along γ (ascending). Points with a
 * null alignment (missing or broken cells) are skipped, and the interpolation bridges them, with a
 * note. γ ≤ 0 points cannot be placed in log γ and are ignored, with a note.
 */
export function zeroCrossing(row: readonly RowPoint[]): CrossingResult {
  const notes: string[] = [];
  const sorted = [...row].sort((a, b) => a.gamma - b.gamma);
  if (sorted.some((p) => p.gamma <= 0)) notes.push('γ = 0 has no place on a log axis; ignored for the crossing');
  const pts = sorted.filter((p): p is { gamma: number; alignment: number } => p.gamma > 0 && p.alignment !== null && Number.isFinite(p.alignment));
  const gaps = sorted.filter((p) => p.gamma > 0 && (p.alignment === null || !Number.isFinite(p.alignment)));
  let signChanges = 0;
  let monotone = true;
  for (let i = 1; i < pts.length; i++) {
    if (Math.sign(pts[i]!.alignment) !== Math.sign(pts[i - 1]!.alignment) && pts[i]!.alignment !== 0 && pts[i - 1]!.alignment !== 0) signChanges++;
    if (pts[i]!.alignment < pts[i - 1]!.alignment) monotone = false;
  }
  if (!monotone) notes.push('alignment is not monotone in γ on this row; the first crossing is used');
  const done = (crossing: Crossing): CrossingResult => ({ crossing, signChanges, monotone });
  if (pts.length < 2) return done({ kind: 'no-data', notes: [...notes, `${pts.length} usable point(s)`] });
  const first = pts[0]!;
  if (first.alignment === 0) return done({ kind: 'at-point', gammaStar: first.gamma, notes });
  if (first.alignment > 0) return done({ kind: 'below-grid', notes: [...notes, `already positive (${first.alignment.toFixed(3)}) at the smallest γ = ${gammaText(first.gamma)}`] });
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (b.alignment === 0) return done({ kind: 'at-point', gammaStar: b.gamma, notes });
    if (a.alignment < 0 && b.alignment > 0) {
      const t = (0 - a.alignment) / (b.alignment - a.alignment);
      const lg = Math.log(a.gamma) + t * (Math.log(b.gamma) - Math.log(a.gamma));
      const bridged = gaps.filter((g) => g.gamma > a.gamma && g.gamma < b.gamma);
      if (bridged.length) notes.push(`interpolated across ${bridged.length} missing point(s) between γ = ${gammaText(a.gamma)} and ${gammaText(b.gamma)}`);
      return done({ kind: 'between', gammaStar: Math.exp(lg), lower: a.gamma, upper: b.gamma, notes });
    }
  }
  const last = pts[pts.length - 1]!;
  return done({ kind: 'above-grid', notes: [...notes, `still negative (${last.alignment.toFixed(3)}) at the largest γ = ${gammaText(last.gamma)}`] });
}
