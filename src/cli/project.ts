/** Loads the project the CLI works on: pipeline.yaml → checked cells for one profile. */
import { resolve, dirname, join } from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../pipeline/diagnostic.ts';
import { expandPipeline, parseOverrides, type Cell } from '../pipeline/expand.ts';
import { loadPipeline, type LoadedPipeline } from '../pipeline/load.ts';
import { validateParams } from '../pipeline/stage-modules.ts';
import { FileParamsCache } from '../engine/params-cache.ts';
import { Store } from '../store/store.ts';
import { CodeIdentityResolver } from '../engine/code-identity.ts';
import { EnvironmentFacts } from '../engine/environment.ts';
import { Planner } from '../engine/plan.ts';
import { err, ok, type Result } from '../util/result.ts';
import { statusOf, type StatusEntry } from '../engine/run.ts';
import { selectTargets } from './targets.ts';
import type { ProfileOptions } from './options.ts';

/** Options every command that reads the pipeline shares. */
export interface ProjectOptions {
  readonly pipeline: string;
  readonly profile?: string;
  readonly set?: readonly string[];
  readonly artifacts?: string;
  /** A shared cache directory (else $HEBB_CACHE_DIR, else pipeline.yaml's cache.shared). */
  readonly cacheDir?: string;
  /** Skip importing stage modules (for `dag`, which needs no params). */
  readonly skipParamCheck?: boolean;
  /** A read command: open the store read-only, so nothing in it (records, index, caches) changes. */
  readonly readOnly?: boolean;
}

/** A loaded, checked project. */
export interface Project {
  readonly pipeline: LoadedPipeline;
  readonly profile: string;
  readonly cells: Cell[];
  readonly store: Store;
  /** The shared cache, if one is configured. */
  readonly shared?: Store;
  planner(): Planner;
  /** A planner over a read-only view of the same store: says what would run, changes nothing. */
  previewPlanner(): Planner;
}

/** Loads everything a command needs, or the diagnostics to print. */
export async function openProject(opts: ProjectOptions): Promise<Result<Project, Diagnostic[]>> {
  const loaded = loadPipeline(resolve(opts.pipeline));
  if (!loaded.ok) return loaded;
  const p = loaded.value;
  const profile = opts.profile ?? p.raw.default_profile ?? Object.keys(p.raw.profiles)[0]!;
  const overrides = parseOverrides(opts.set ?? []);
  if (!overrides.ok) return overrides;
  const expanded = expandPipeline(p, profile, overrides.value);
  if (!expanded.ok) return expanded;
  let cells = expanded.value;
  const readOnly = opts.readOnly === true;
  const store = new Store(artifactsDir(opts.pipeline, opts.artifacts), { readOnly });
  const code = new CodeIdentityResolver(p.root, join(store.dir, '.state', 'code-cache.json'));
  if (!opts.skipParamCheck) {
    const cache = new FileParamsCache(join(store.dir, '.state', 'params-cache.json'), code);
    const checked = await validateParams(p, cells, overrides.value, cache);
    if (!readOnly) cache.save();
    if (checked.problems.length) return err(checked.problems);
    cells = checked.cells;
  }
  const sharedDir = opts.cacheDir ?? process.env.HEBB_CACHE_DIR ?? (p.raw.cache?.shared ? resolve(p.root, p.raw.cache.shared) : undefined);
  // The planner only reads the shared cache (run-cell publishes to it): a bad entry there is
  // reported and ignored, never moved, since it belongs to everyone who shares it.
  const shared = sharedDir ? new Store(resolve(sharedDir), { readOnly: true }) : undefined;
  // Worker processes and cluster tasks find the shared cache through the environment.
  if (shared) process.env.HEBB_CACHE_DIR = shared.dir;
  return ok({
    pipeline: p,
    profile,
    cells,
    store,
    ...(shared ? { shared } : {}),
    planner: () => new Planner(store, p.root, profile, code, new EnvironmentFacts(p.root, p.raw.environment ?? {}), shared),
    previewPlanner: () => new Planner(readOnly ? store : new Store(store.dir, { readOnly: true }), p.root, profile, code, new EnvironmentFacts(p.root, p.raw.environment ?? {}), shared),
  });
}

/** Prints diagnostics to stderr; returns the exit code for a configuration error. */
export function reportDiagnostics(problems: readonly Diagnostic[]): number {
  for (const d of problems) process.stderr.write(`${formatDiagnostic(d)}\n`);
  process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found; nothing was run.\n`);
  return 2;
}

/** The ProjectOptions of a command's parsed CLI options (`--pipeline`, `--artifacts`, `--profile`, `--set`). */
export function projectOptions(o: ProfileOptions, extra: Partial<ProjectOptions> = {}): ProjectOptions {
  return { pipeline: o.pipeline, ...(o.artifacts ? { artifacts: o.artifacts } : {}), ...(o.profile ? { profile: o.profile } : {}), set: o.set ?? [], ...extra };
}

/** The artifacts directory: `--artifacts`, else $HEBB_ARTIFACTS, else artifacts/ beside pipeline.yaml. */
export function artifactsDir(pipeline: string, artifacts?: string): string {
  return resolve(artifacts ?? process.env.HEBB_ARTIFACTS ?? join(rootOf(pipeline), 'artifacts'));
}

/** The status of one cell (planning only it and its upstream), or undefined if the profile has no such cell. */
export async function cellStatus(p: Project, cell: string, leftOut: ReadonlySet<string> = new Set()): Promise<StatusEntry | undefined> {
  const sel = selectTargets(p.cells, [cell]);
  if (!sel.ok) return undefined;
  return (await statusOf(sel.value, p.planner(), leftOut)).find((e) => e.cell === cell);
}

/** The project root for a pipeline path. */
export function rootOf(pipeline: string): string {
  return dirname(resolve(pipeline));
}
