/**
 * Phase 3: import each stage module once and check every cell's params against its schema, so
 * an unknown or mistyped parameter is an error before anything runs.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import type { StageModule } from '../stage-api.ts';
import { ensureTsLoader } from '../util/ts-loader.ts';
import type { Diagnostic } from './diagnostic.ts';
import type { Cell, Override } from './expand.ts';
import type { LoadedPipeline } from './load.ts';

/** Imports a stage module and checks it has the shape of a StageModule. */
export async function importStage(root: string, modulePath: string): Promise<StageModule> {
  await ensureTsLoader();
  const mod = (await import(pathToFileURL(resolve(root, modulePath)).href)) as { default?: StageModule };
  const stage = mod.default;
  if (!stage || typeof stage.run !== 'function' || typeof stage.params?.safeParse !== 'function') {
    throw new Error(`${modulePath}: a stage module must default-export defineStage({ params, run })`);
  }
  return stage;
}

/**
 * Remembers params that a stage module's schema already accepted, keyed by the module's code
 * identity and the params, so a run whose stages and params did not change need not import
 * (or even compile) any stage module.
 */
export interface ParamsCache {
  get(module: string, params: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined;
  set(module: string, params: Readonly<Record<string, unknown>>, parsed: Record<string, unknown>): void;
}

/** Checks every cell's params; returns the cells with params as the schema parsed them (defaults filled). */
export async function validateParams(p: LoadedPipeline, cells: readonly Cell[], overrides: readonly Override[], cache?: ParamsCache): Promise<{ cells: Cell[]; problems: Diagnostic[] }> {
  const problems: Diagnostic[] = [];
  const modules = new Map<string, StageModule>();
  const out: Cell[] = [];
  const reported = new Set<string>();
  for (const cell of cells) {
    const known = cache?.get(cell.module, cell.params);
    if (known) {
      out.push({ ...cell, params: known });
      continue;
    }
    let stage = modules.get(cell.module);
    if (!stage && reported.has(cell.stage)) continue;
    if (!stage) {
      try {
        stage = await importStage(p.root, cell.module);
      } catch (e) {
        problems.push({ ...p.locate(['stages', cell.stage, 'run']), message: `cannot load stage module ${cell.module}: ${(e as Error).message.split('\n')[0]}` });
        reported.add(cell.stage);
        continue;
      }
      modules.set(cell.module, stage);
    }
    const parsed = stage.params.safeParse(cell.params);
    if (parsed.success) {
      out.push({ ...cell, params: parsed.data as Record<string, unknown> });
      cache?.set(cell.module, cell.params, parsed.data as Record<string, unknown>);
      continue;
    }
    if (reported.has(cell.stage)) continue;
    reported.add(cell.stage);
    const renames = snakeRenames(stage, cell.params, parsed.error.issues);
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
      // A param missing only because it was spelled in camelCase: the unknown key says it.
      if (renames.some((r) => samePath(path, [...r.path, r.to]))) continue;
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const top = String(path[0] ?? keys[0] ?? '');
      const fromSet = overrides.find((o) => o.stage === cell.stage && o.path[0] === top);
      const named = (k: string): string => [...path, k].join('.');
      const what = issue.code === 'unrecognized_keys' ? `unknown parameter${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${named(k)}'`).join(', ')}` : `parameter '${path.join('.')}': ${issue.message}`;
      const hint = issue.code === 'unrecognized_keys' ? unknownKeyHint(stage, cell, path, keys, renames) : undefined;
      if (fromSet) problems.push({ file: '--set', line: 0, column: 0, message: `--set ${fromSet.text}: ${what} for stage '${cell.stage}' (cell ${cell.name})`, ...(hint ? { hint } : {}) });
      else {
        // The place of the (first) unknown key itself, or the nearest ancestor written in a file.
        const loc = ['stages', cell.stage, 'params', ...path, ...keys.slice(0, 1)];
        problems.push({ ...p.locate(loc), message: `stage '${cell.stage}' (cell ${cell.name}): ${what}`, ...(hint ? { hint } : {}) });
      }
    }
  }
  return { cells: out, problems };
}

/** `minFraction` → `min_fraction`, `minR2` → `min_r2`: the pipeline's params are snake_case. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

type ParamPath = readonly (string | number)[];
/** An unknown key at `path` whose snake_case spelling `to` the schema takes there. */
interface SnakeRename {
  readonly path: ParamPath;
  readonly from: string;
  readonly to: string;
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The unknown keys of `issues` that are camelCase spellings of params the schema accepts in their place. */
function snakeRenames(stage: StageModule, params: Readonly<Record<string, unknown>>, issues: readonly z.core.$ZodIssue[]): SnakeRename[] {
  const out: SnakeRename[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const path = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
    for (const from of issue.keys) {
      const to = snakeCase(from);
      if (to !== from && acceptedAs(stage, params, path, from, to)) out.push({ path, from, to });
    }
  }
  return out;
}

/**
 * The fix for unknown keys at `path` of a cell's params: "did you mean 'min_fraction'?" for each
 * key with a snake_case rename, else, at the top level, the stage's parameters.
 */
function unknownKeyHint(stage: StageModule, cell: Cell, path: ParamPath, keys: readonly string[], renames: readonly SnakeRename[]): string | undefined {
  const here = renames.filter((r) => samePath(r.path, path) && keys.includes(r.from));
  if (here.length > 0) return `did you mean ${here.map((r) => `'${r.to}'${keys.length > 1 ? ` (for '${r.from}')` : ''}`).join(', ')}? parameters are snake_case`;
  if (path.length > 0 || !('shape' in stage.params)) return undefined;
  return `parameters of ${cell.module}: ${Object.keys((stage.params as unknown as { shape: object }).shape).join(', ')}`;
}

/** Whether the schema takes `to` where `from` was refused: the params, so renamed, parse without `to` being unknown at `path`. */
function acceptedAs(stage: StageModule, params: Readonly<Record<string, unknown>>, path: ParamPath, from: string, to: string): boolean {
  const copy = structuredClone(params) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> | undefined = copy;
  for (const k of path) at = at?.[k] as Record<string | number, unknown> | undefined;
  if (!at || typeof at !== 'object' || to in at) return false;
  at[to] = at[from];
  delete at[from];
  const again = stage.params.safeParse(copy);
  return again.success || !again.error.issues.some((i) => i.code === 'unrecognized_keys' && samePath(i.path, path) && i.keys.includes(to));
}
