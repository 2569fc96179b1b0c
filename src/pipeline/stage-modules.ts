/**
 * Phase 3: import each stage module once and check every cell's params against its schema, so
 * an unknown or mistyped parameter is an error before anything runs.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      const top = String(keys[0] ?? path[0] ?? '');
      const fromSet = overrides.find((o) => o.stage === cell.stage && o.path[0] === top);
      const what = issue.code === 'unrecognized_keys' ? `unknown parameter${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}` : `parameter '${path.join('.')}': ${issue.message}`;
      const known = 'shape' in stage.params ? Object.keys((stage.params as unknown as { shape: object }).shape).join(', ') : undefined;
      const hint = issue.code === 'unrecognized_keys' && known ? `parameters of ${cell.module}: ${known}` : undefined;
      if (fromSet) problems.push({ file: '--set', line: 0, column: 0, message: `--set ${fromSet.text}: ${what} for stage '${cell.stage}' (cell ${cell.name})`, ...(hint ? { hint } : {}) });
      else {
        const loc = cell.stage in p.raw.stages && top in (p.raw.stages[cell.stage]!.params ?? {}) ? ['stages', cell.stage, 'params', top] : ['stages', cell.stage, 'params'];
        problems.push({ ...p.locate(loc), message: `stage '${cell.stage}' (cell ${cell.name}): ${what}`, ...(hint ? { hint } : {}) });
      }
    }
  }
  return { cells: out, problems };
}
