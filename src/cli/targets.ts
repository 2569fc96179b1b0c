/** Target selection shared by the commands. */
import type { Cell } from '../pipeline/expand.ts';

/** The cells named by targets (stage, stage@*, or cell names) and everything upstream of them. */
export function selectTargets(cells: readonly Cell[], targets: readonly string[]): { ok: true; value: Cell[] } | { ok: false; error: string } {
  if (targets.length === 0) return { ok: true, value: [...cells] };
  const byName = new Map(cells.map((c) => [c.name, c]));
  const want = new Set<string>();
  for (const t of targets) {
    const stage = t.endsWith('@*') ? t.slice(0, -2) : t;
    const hits = byName.has(t) ? [t] : cells.filter((c) => c.stage === stage).map((c) => c.name);
    if (hits.length === 0) return { ok: false, error: `unknown target '${t}' (a stage or cell name; see 'hebb status')` };
    hits.forEach((h) => want.add(h));
  }
  const queue = [...want];
  while (queue.length) {
    const c = byName.get(queue.pop()!)!;
    for (const u of c.deps.flatMap((d) => d.cells)) if (!want.has(u) && byName.has(u)) {
      want.add(u);
      queue.push(u);
    }
  }
  return { ok: true, value: cells.filter((c) => want.has(c.name)) };
}

/**
 * The cells named by `--without` (stage, stage@*, or cell names): the run leaves them out. Only
 * the named cells, not their upstream; an unknown name is an error.
 */
export function leftOutCells(cells: readonly Cell[], names: readonly string[]): { ok: true; value: Set<string> } | { ok: false; error: string } {
  const out = new Set<string>();
  for (const t of names) {
    const stage = t.endsWith('@*') ? t.slice(0, -2) : t;
    const hits = cells.some((c) => c.name === t) ? [t] : cells.filter((c) => c.stage === stage).map((c) => c.name);
    if (hits.length === 0) return { ok: false, error: `--without ${t}: no such stage or cell in this profile (see 'hebb dag' or 'hebb status')` };
    hits.forEach((h) => out.add(h));
  }
  return { ok: true, value: out };
}
