/**
 * The cache key of a cell: one explicit, sorted object (the fingerprint), hashed with SHA-256 and
 * stored whole in the run record, so `status` can say in words why a cell is stale.
 */
import { canonicalJson, sha256 } from '../util/hash.ts';
import type { Cell } from '../pipeline/expand.ts';
import type { CodeIdentity } from './code-identity.ts';

/** One upstream cell as a downstream fingerprint sees it. */
export interface InputFingerprint {
  readonly cell: string;
  /** Digest of the upstream cell's outputs list (not its key: equal outputs give early cut-off). */
  readonly tree: string;
  /** Digest of the upstream cell's params (a stage sees them in ctx.inputs). */
  readonly params: string;
}

/** Everything that can change a cell's outputs. */
export interface Fingerprint {
  /** The profile: stages see it (ctx.profile), so it is part of what they compute from. */
  readonly profile: string;
  readonly stage: string;
  readonly module: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly outs: readonly string[];
  readonly code: CodeIdentity;
  readonly inputs: Readonly<Record<string, readonly InputFingerprint[]>>;
  readonly env: Readonly<Record<string, string>>;
}

/** Builds the fingerprint of a cell whose inputs are all available. */
export function fingerprintOf(profile: string, cell: Cell, code: CodeIdentity, inputs: Record<string, InputFingerprint[]>, env: Record<string, string>): Fingerprint {
  return { profile, stage: cell.stage, module: cell.module, params: cell.params, outs: cell.outs, code, inputs, env };
}

/** The cell key: SHA-256 of the canonical JSON of the fingerprint. */
export function keyOf(fp: Fingerprint): string {
  return sha256(canonicalJson(fp));
}

/** Digest of a params object (for InputFingerprint.params). */
export function paramsDigest(params: Readonly<Record<string, unknown>>): string {
  return sha256(canonicalJson(params)).slice(0, 16);
}

/** The differences between an old and a new fingerprint, in words, most telling first. */
export function explainChange(before: Partial<Fingerprint>, after: Partial<Fingerprint>): string[] {
  const out: string[] = [];
  if (before.profile !== after.profile) out.push(`profile ${before.profile} → ${after.profile}`);
  if (before.module !== after.module) out.push(`stage module ${before.module} → ${after.module}`);
  diffValues('params', before.params ?? {}, after.params ?? {}, out);
  const bf = before.code?.files ?? {};
  const af = after.code?.files ?? {};
  for (const f of Object.keys({ ...bf, ...af }).sort()) {
    if (!(f in bf)) out.push(`code: ${f} now imported`);
    else if (!(f in af)) out.push(`code: ${f} no longer imported`);
    else if (bf[f] !== af[f]) out.push(`code: ${f} changed`);
  }
  const bp = before.code?.packages ?? {};
  const ap = after.code?.packages ?? {};
  for (const p of Object.keys({ ...bp, ...ap }).sort()) if (bp[p] !== ap[p]) out.push(`package ${p} ${bp[p] ?? 'none'} → ${ap[p] ?? 'none'}`);
  const bi = before.inputs ?? {};
  const ai = after.inputs ?? {};
  for (const dep of Object.keys({ ...bi, ...ai }).sort()) {
    const b = new Map((bi[dep] ?? []).map((i) => [i.cell, i]));
    const a = new Map((ai[dep] ?? []).map((i) => [i.cell, i]));
    const changed = [...a.values()].filter((i) => b.has(i.cell) && (b.get(i.cell)!.tree !== i.tree || b.get(i.cell)!.params !== i.params)).map((i) => i.cell);
    const added = [...a.keys()].filter((c) => !b.has(c));
    const removed = [...b.keys()].filter((c) => !a.has(c));
    if (changed.length) out.push(`input ${dep}: ${summarize(changed)} changed`);
    if (added.length) out.push(`input ${dep}: ${summarize(added)} added`);
    if (removed.length) out.push(`input ${dep}: ${summarize(removed)} removed`);
  }
  diffValues('env', before.env ?? {}, after.env ?? {}, out);
  if (canonicalJson(before.outs ?? []) !== canonicalJson(after.outs ?? [])) out.push(`outs ${JSON.stringify(before.outs)} → ${JSON.stringify(after.outs)}`);
  return out;
}

function summarize(cells: string[]): string {
  return cells.length <= 3 ? cells.join(', ') : `${cells.slice(0, 3).join(', ')} and ${cells.length - 3} more`;
}

function diffValues(prefix: string, before: unknown, after: unknown, out: string[]): void {
  if (canonicalJson(before) === canonicalJson(after)) return;
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    for (const k of Object.keys({ ...before, ...after }).sort()) diffValues(`${prefix}.${k}`, before[k], after[k], out);
    return;
  }
  const show = (v: unknown): string => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));
  out.push(`${prefix} ${show(before)} → ${show(after)}`);
}
