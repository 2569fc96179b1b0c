/**
 * Freshness: for each cell, its fingerprint and key once its inputs are known, whether the store
 * already holds it, and if not, why (in words, from the diff against the last record).
 */
import type { Cell } from '../pipeline/expand.ts';
import type { RunRecord, Store } from '../store/store.ts';
import { pullFromShared } from '../store/shared.ts';
import type { CodeIdentityResolver } from './code-identity.ts';
import type { EnvironmentFacts } from './environment.ts';
import { explainChange, fingerprintOf, keyOf, paramsDigest, type Fingerprint, type InputFingerprint } from './fingerprint.ts';
import type { CellSpec, SpecInput } from './executor.ts';

/** A cell's freshness. */
export type CellState =
  /** In the store, verified (`shared`: copied in from the shared cache just now). */
  | { readonly kind: 'cached'; readonly key: string; readonly record: RunRecord; readonly shared?: boolean }
  /** Inputs known, outputs not in the store: runs next. */
  | { readonly kind: 'stale'; readonly key: string; readonly spec: CellSpec; readonly reasons: readonly string[] }
  /** Waits for upstream cells that will run first; reasons compare what is known already. */
  | { readonly kind: 'blocked'; readonly waitingOn: readonly string[]; readonly reasons: readonly string[] };

/** Computes cell states against one store. */
export class Planner {
  private readonly codeByModule = new Map<string, ReturnType<CodeIdentityResolver['identify']>>();

  constructor(
    private readonly store: Store,
    private readonly root: string,
    private readonly profile: string,
    private readonly code: CodeIdentityResolver,
    private readonly env: EnvironmentFacts,
    private readonly shared?: Store,
  ) {}

  /**
   * The state of `cell`, given the records of upstream cells that are done (`done`). Upstream
   * cells absent from `done` make the cell `blocked`.
   */
  async state(cell: Cell, done: ReadonlyMap<string, { record: RunRecord; cell: Cell }>, gone: ReadonlySet<string> = new Set()): Promise<CellState> {
    const code = this.codeOf(cell.module);
    const env = await this.env.select(cell.env);
    // An optional dep's cells that failed (`gone`) are left out of the inputs instead of waited for.
    const usable = (d: Cell['deps'][number]): readonly string[] => (d.optional ? d.cells.filter((c) => !gone.has(c)) : d.cells);
    const waitingOn = cell.deps.flatMap(usable).filter((c) => !done.has(c));
    // The last run of this cell: read only when the cell is not cached (what `why` diffs against).
    const last = (): { previousKey?: string; previous?: RunRecord } => {
      const previousKey = this.store.readIndex(this.profile, cell.name);
      return { ...(previousKey ? { previousKey } : {}), ...(previousKey ? { previous: this.store.readRecord(previousKey) } : {}) };
    };
    if (waitingOn.length > 0) {
      const { previous } = last();
      const partial: Partial<Fingerprint> = { profile: this.profile, stage: cell.stage, module: cell.module, params: cell.params, outs: cell.outs, code, env };
      const reasons = previous ? explainChange({ ...(previous.fingerprint as unknown as Fingerprint), inputs: {} }, partial) : ['never run'];
      return { kind: 'blocked', waitingOn, reasons: [`upstream ${summarize(waitingOn)} will run first`, ...reasons] };
    }
    const inputs: Record<string, InputFingerprint[]> = {};
    const specInputs: Record<string, SpecInput[]> = {};
    for (const dep of cell.deps) {
      inputs[dep.name] = usable(dep).map((c) => {
        const u = done.get(c)!;
        return { cell: c, tree: u.record.tree, params: paramsDigest(u.cell.params) };
      });
      specInputs[dep.name] = usable(dep).map((c) => {
        const u = done.get(c)!;
        return { cell: c, stage: u.cell.stage, matrix: u.cell.matrix, params: u.cell.params, key: u.record.key };
      });
    }
    const fingerprint = fingerprintOf(this.profile, cell, code, inputs, env);
    const key = keyOf(fingerprint);
    const lookup = this.store.inspectRecord(key);
    const spec: CellSpec = { schema: 1, key, root: this.root, profile: this.profile, cell, fingerprint, inputs: specInputs, env };
    const notes: string[] = lookup.problem ? [`${lookup.problem}: rebuilding`] : [];
    const record = lookup.record;
    if (record) {
      const bad = await this.store.verifyRecord(record);
      if (!bad) {
        this.store.writeIndex(this.profile, cell.name, key);
        return { kind: 'cached', key, record };
      }
      this.store.dropRecord(key);
      const what = `${bad.reason}${bad.detail ? ` (${bad.detail})` : ''}`;
      const where = bad.quarantined ? ' (quarantined)' : this.store.readOnly && bad.reason === 'corrupt' ? ' (hebb repro will quarantine it)' : '';
      return { kind: 'stale', key, spec, reasons: [`output object ${bad.digest.slice(0, 12)} ${what}${where}: rebuilding`] };
    }
    if (this.shared) {
      const pulled = await pullFromShared(this.store, this.shared, key);
      if (pulled.kind === 'hit') {
        this.store.writeIndex(this.profile, cell.name, key);
        return { kind: 'cached', key, record: pulled.record, shared: true };
      }
      if (pulled.kind === 'corrupt') notes.push(pulled.message);
    }
    const { previousKey, previous } = last();
    let reasons: string[];
    if (!previous) reasons = previousKey === key ? ['outputs missing from the store'] : ['never run'];
    else {
      reasons = explainChange(previous.fingerprint as unknown as Fingerprint, fingerprint);
      if (reasons.length === 0) reasons = ['outputs missing from the store'];
    }
    return { kind: 'stale', key, spec, reasons: [...reasons, ...notes] };
  }

  /**
   * Takes every module's code identity now, so that all cells of one run are keyed by the sources
   * as they were when it started (a cell planned later in the run reuses this snapshot; run-cell.ts
   * then refuses to store a result if one of those files changed before the cell finished).
   */
  snapshotCode(modules: Iterable<string>): void {
    for (const m of modules) this.codeOf(m);
  }

  /** Persists caches (code identities, verified objects); a read-only store's planner writes nothing. */
  save(): void {
    if (this.store.readOnly) return;
    this.code.save();
    this.store.saveState();
  }

  private codeOf(module: string): ReturnType<CodeIdentityResolver['identify']> {
    let c = this.codeByModule.get(module);
    if (!c) {
      c = this.code.identify(module);
      this.codeByModule.set(module, c);
    }
    return c;
  }
}

function summarize(cells: readonly string[]): string {
  return cells.length <= 2 ? cells.join(', ') : `${cells.slice(0, 2).join(', ')} and ${cells.length - 2} more`;
}
