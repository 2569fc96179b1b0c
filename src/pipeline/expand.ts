/**
 * Phase 2: a loaded pipeline + a profile + `--set` overrides → the cells to run, with their
 * resolved params and the upstream cells they read. Pure: no filesystem, no stage modules.
 */
import type { Scalar } from '../stage-api.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { Diagnostic } from './diagnostic.ts';
import { formatScalar, interpolate } from './interpolate.ts';
import type { LoadedPipeline } from './load.ts';
import { parseSetValue } from './yaml-text.ts';
import { stageTimeoutMs } from './duration.ts';

/** One dep of a cell, resolved to upstream cell names. */
export interface CellDep {
  readonly name: string;
  readonly stage: string;
  readonly cells: readonly string[];
  /** Written `stage?` / `stage@*?`: the cell still runs when these upstream cells fail (without them). */
  readonly optional?: boolean;
}

/** One unit of work: a stage with one combination of matrix values. */
export interface Cell {
  /** `stage` or `stage@suffix`. */
  readonly name: string;
  readonly stage: string;
  /** Stage module path, relative to the project root. */
  readonly module: string;
  readonly matrix: Readonly<Record<string, Scalar>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly deps: readonly CellDep[];
  readonly outs: readonly string[];
  readonly env: readonly string[];
  /** Where `repro` copies this cell's outputs when it is done (relative to the root), if anywhere. */
  readonly publish?: string;
  /** Wall-clock limit of the cell in ms (the stage's `timeout:` or the training default); not part of the key. */
  readonly timeoutMs?: number;
}

/** Most cells one profile may expand to unless pipeline.yaml's `limits.max_cells` says otherwise. */
export const DEFAULT_MAX_CELLS = 100_000;

/** A `--set stage.param.path=value` override. */
export interface Override {
  readonly stage: string;
  readonly path: readonly string[];
  readonly value: unknown;
  /** The flag as the user typed it, for error messages. */
  readonly text: string;
}

/** Parses `--set` flags; values are YAML (`0.02`, `[0, 1]`, `sgd`). */
export function parseOverrides(flags: readonly string[]): Result<Override[], Diagnostic[]> {
  const out: Override[] = [];
  const problems: Diagnostic[] = [];
  for (const text of flags) {
    const eq = text.indexOf('=');
    const lhs = eq > 0 ? text.slice(0, eq).split('.') : [];
    if (lhs.length < 2 || lhs.some((p) => p === '')) {
      problems.push({ file: '--set', line: 0, column: 0, message: `cannot parse '--set ${text}'`, hint: 'write --set <stage>.<param>=<value>, e.g. --set train.lr=0.02' });
      continue;
    }
    const value = parseSetValue(text.slice(eq + 1), text);
    if (!value.ok) {
      problems.push(value.error);
      continue;
    }
    out.push({ stage: lhs[0]!, path: lhs.slice(1), value: value.value, text });
  }
  return problems.length ? err(problems) : ok(out);
}

/** Expands every stage of `profile` into cells, in pipeline.yaml order. */
export function expandPipeline(p: LoadedPipeline, profile: string, overrides: readonly Override[] = []): Result<Cell[], Diagnostic[]> {
  const problems: Diagnostic[] = [];
  const at = (path: (string | number)[], text: string, fix?: string): Diagnostic => {
    // Interpolation errors carry their own fix after "\n  fix: ".
    const [message, own] = text.split('\n  fix: ') as [string, string | undefined];
    const hint = fix ?? own;
    return { ...p.locate(path), message, ...(hint ? { hint } : {}) };
  };
  if (!(profile in p.raw.profiles)) {
    return err([at(['profiles'], `unknown profile '${profile}' (have: ${Object.keys(p.raw.profiles).join(', ')})`, 'pass --profile with one of these')]);
  }
  // `${profile.name}` is the profile's own name unless the profile defines `name`.
  const vars = { name: profile, ...(p.raw.profiles[profile] ?? {}) };
  const active = Object.entries(p.raw.stages).filter(([, s]) => !s.profiles || s.profiles.includes(profile));
  const activeNames = new Set(active.map(([n]) => n));
  for (const o of overrides) {
    if (!(o.stage in p.raw.stages)) problems.push({ file: '--set', line: 0, column: 0, message: `--set ${o.text}: unknown stage '${o.stage}'`, hint: `one of: ${Object.keys(p.raw.stages).join(', ')}` });
    else if (p.raw.stages[o.stage]!.matrix && o.path[0]! in p.raw.stages[o.stage]!.matrix!) problems.push({ file: '--set', line: 0, column: 0, message: `--set ${o.text}: '${o.path[0]}' is a matrix axis of '${o.stage}', not a param` });
  }

  const byStage = new Map<string, Cell[]>();
  const maxCells = p.raw.limits?.max_cells ?? DEFAULT_MAX_CELLS;
  let cellCount = 0;
  for (const [stageName, stage] of active) {
    const axes: Array<[string, Scalar[]]> = [];
    for (const [axis, spec] of Object.entries(stage.matrix ?? {})) {
      const r = interpolate(spec, { profile: vars, matrix: {} });
      if (!r.ok) {
        problems.push(at(['stages', stageName, 'matrix', axis], r.error));
        continue;
      }
      const values = r.value;
      if (!Array.isArray(values) || values.some((v) => !['string', 'number', 'boolean'].includes(typeof v))) {
        problems.push(at(['stages', stageName, 'matrix', axis], `matrix axis '${axis}' must be a list of scalars, got ${JSON.stringify(values)}`));
        continue;
      }
      axes.push([axis, values as Scalar[]]);
    }
    // Count before expanding: a matrix of a million cells is refused at once, not after it ate the memory.
    const size = axes.reduce((n, [, v]) => n * v.length, 1);
    if (cellCount + size > maxCells) {
      const shape = axes.map(([a, v]) => `${a} ${v.length}`).join(' × ');
      problems.push(at(['stages', stageName, 'matrix'], `stage '${stageName}' expands to ${size.toLocaleString('en-US')} cells (${shape})${cellCount ? ` on top of ${cellCount.toLocaleString('en-US')} from earlier stages` : ''}: more than the limit of ${maxCells.toLocaleString('en-US')} cells per profile`, 'shrink the matrix, or raise the limit with limits: { max_cells: N } at the top of pipeline.yaml'));
      break;
    }
    cellCount += size;
    const timeoutMs = stageTimeoutMs(stage);
    const cells: Cell[] = [];
    const names = new Set<string>();
    for (const combo of cartesian(axes)) {
      const scope = { profile: vars, matrix: combo };
      const merged: Record<string, unknown> = {};
      let failed = false;
      for (const [key, raw] of Object.entries(stage.params ?? {})) {
        const v = interpolate(raw, scope);
        if (!v.ok) {
          problems.push(at(['stages', stageName, 'params', key], v.error));
          failed = true;
        } else merged[key] = v.value;
      }
      if (failed) break;
      Object.assign(merged, combo);
      for (const o of overrides) if (o.stage === stageName) setPath(merged, o.path, o.value);
      let name = stageName;
      if (stage.matrix) {
        const suffix = stage.name !== undefined ? interpolate(stage.name, scope) : ok(Object.values(combo).map(formatScalar).join('-'));
        if (!suffix.ok) {
          problems.push(at(['stages', stageName, 'name'], suffix.error));
          break;
        }
        name = `${stageName}@${String(suffix.value)}`;
      }
      if (names.has(name)) {
        problems.push(at(['stages', stageName, stage.name !== undefined ? 'name' : 'matrix'], `two cells of '${stageName}' are both named '${name}'`, 'make the name template use every matrix axis'));
        break;
      }
      names.add(name);
      const deps: CellDep[] = [];
      for (const [depName, target] of Object.entries(stage.deps ?? {})) {
        const t = interpolate(target, scope);
        if (!t.ok) {
          problems.push(at(['stages', stageName, 'deps', depName], t.error));
          continue;
        }
        const text = String(t.value);
        const optional = text.endsWith('?');
        const upstream = optional ? text.slice(0, -1) : text;
        deps.push({ name: depName, stage: upstream.split('@')[0]!, cells: [upstream], ...(optional ? { optional } : {}) });
      }
      let publish: string | undefined;
      if (stage.publish !== undefined) {
        const r = interpolate(stage.publish, scope);
        if (!r.ok || typeof r.value !== 'string' || r.value.startsWith('/') || r.value.split('/').includes('..')) {
          problems.push(at(['stages', stageName, 'publish'], r.ok ? `publish must be a relative path inside the project, got ${JSON.stringify(r.value)}` : r.error));
          break;
        }
        publish = r.value;
      }
      cells.push({ name, stage: stageName, module: stage.run, matrix: combo, params: merged, deps, outs: stage.outs, env: stage.env ?? [], ...(publish ? { publish } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    }
    byStage.set(stageName, cells);
  }
  if (problems.length) return err(problems);

  // Resolve dep targets to upstream cells now that every stage is expanded.
  const resolved: Cell[] = [];
  for (const [stageName] of active) {
    for (const cell of byStage.get(stageName) ?? []) {
      const deps: CellDep[] = [];
      for (const dep of cell.deps) {
        const target = dep.cells[0]!;
        const [upstream, suffix] = target.split('@') as [string, string | undefined];
        const upstreamCells = byStage.get(upstream);
        const path = ['stages', stageName, 'deps', dep.name];
        if (suffix === '*') {
          deps.push({ ...dep, cells: (upstreamCells ?? []).map((c) => c.name) });
        } else if (!activeNames.has(upstream) && dep.optional) {
          deps.push({ ...dep, cells: [] });
        } else if (!activeNames.has(upstream)) {
          problems.push(at(path, `dep '${dep.name}' needs stage '${upstream}', which is not part of profile '${profile}'`, `use '${upstream}@*' to accept no cells, or add '${profile}' to its profiles:`));
        } else if (suffix === undefined) {
          if (p.raw.stages[upstream]!.matrix) problems.push(at(path, `stage '${upstream}' has a matrix: name one cell (${upstream}@<name>) or all of them (${upstream}@*)`));
          else deps.push({ ...dep, cells: [upstream] });
        } else if (!upstreamCells!.some((c) => c.name === target)) {
          problems.push(at(path, `dep '${dep.name}': no cell '${target}' in profile '${profile}'`, `cells: ${upstreamCells!.slice(0, 5).map((c) => c.name).join(', ')}${upstreamCells!.length > 5 ? ', ...' : ''}`));
        } else deps.push({ ...dep, cells: [target] });
      }
      resolved.push({ ...cell, deps });
    }
  }
  return problems.length ? err(problems) : ok(resolved);
}

function cartesian(axes: ReadonlyArray<[string, Scalar[]]>): Record<string, Scalar>[] {
  let combos: Record<string, Scalar>[] = [{}];
  for (const [axis, values] of axes) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [axis]: v })));
  return combos;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
