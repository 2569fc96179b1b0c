/**
 * The contract between the engine and a stage module.
 *
 * A stage module (a file under `stages/`) default-exports `defineStage({ params, run })`:
 * - `params` is a zod schema of the stage's parameters (use `.strict()` so an unknown parameter
 *   in pipeline.yaml or `--set` is an error at load time, with the file, line and column);
 * - `run(ctx)` reads its inputs, writes every declared output under `ctx.outDir`, and resolves.
 *   Throwing (or rejecting) fails the cell; nothing it wrote enters the cache.
 *
 * The top level of a stage module must stay light (zod and types only): the engine imports every
 * stage module to validate params, and `hebb status` must never load tfjs. Import heavy modules
 * (src/ml, vega...) with `await import(...)` inside `run`.
 */
import type { ZodType } from 'zod';

/** A matrix value: what a `matrix:` axis may list. */
export type Scalar = string | number | boolean;

/** One upstream cell whose outputs this cell reads. */
export interface CellInput {
  /** Full cell name, e.g. `train@mlp-sgd-5e-4-s0` (or just `teacher` for a stage without matrix). */
  readonly cell: string;
  /** The upstream stage's name, e.g. `train`. */
  readonly stage: string;
  /** The upstream cell's matrix values ({} for a stage without matrix). */
  readonly matrix: Readonly<Record<string, Scalar>>;
  /** The upstream cell's resolved params (matrix values included). */
  readonly params: Readonly<Record<string, unknown>>;
  /** A read-only directory holding the upstream cell's declared outputs, by their declared names. */
  readonly path: string;
}

/** What a stage's `run` receives. */
export interface StageContext<P> {
  /** The resolved, validated params (matrix values merged in). */
  readonly params: P;
  /** Each dep name → the upstream cells (one entry for a plain dep, every cell for `stage@*`). */
  readonly inputs: Readonly<Record<string, readonly CellInput[]>>;
  /** A private, empty directory: write each declared output here under its declared name. */
  readonly outDir: string;
  /** This cell's full name. */
  readonly cell: string;
  /** The profile the run uses (`paper`, `smoke`, ...). */
  readonly profile: string;
  /** The environment facts this stage declared in `env:` (e.g. `{ backend: 'wasm' }`). */
  readonly env: Readonly<Record<string, string>>;
  /** A line for this cell's log (kept next to its run record). */
  log(message: string): void;
  /** Optional progress for live displays: `done` of `total` units of work. */
  progress(done: number, total: number): void;
}

/** How a run was made: what the engine knows when it publishes a cell's outputs. */
export interface RunProvenance {
  readonly schema: 1;
  readonly profile: string;
  /** The command line, e.g. `hebb repro --profile smoke -j 2`. */
  readonly command: string;
  readonly git?: { readonly commit: string; readonly dirty: boolean };
  /** The compute backend of the cells that declared `env: [backend]`, e.g. { name: 'wasm', version: '4.22.0' }. */
  readonly backend?: { readonly name: string; readonly version?: string };
  /** Tool versions (node and the locked versions of key packages). */
  readonly versions: Readonly<Record<string, string>>;
  readonly cells: { readonly total: number; readonly cached: number; readonly ran: number; readonly failed: number };
  /** Per stage: cells, how many came from the cache in this run, and the compute time their records hold. */
  readonly stages: readonly { readonly stage: string; readonly cells: number; readonly cached: number; readonly wallSeconds: number }[];
  readonly machine: { readonly hostname: string; readonly platform: string; readonly arch: string; readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
}

/** What a stage's optional `publish` hook receives. */
export interface PublishContext {
  /** The published copy of the cell's outputs (writable; e.g. reports/smoke/). */
  readonly dir: string;
  readonly cell: string;
  readonly provenance: RunProvenance;
}

/** A stage module's default export. */
export interface StageModule<P = unknown> {
  readonly params: ZodType<P>;
  run(ctx: StageContext<P>): Promise<void>;
  /**
   * Optional: called after `repro` copies the cell's outputs to its `publish:` place, with how
   * the run was made. What it writes there is not cached (the cached outputs stay deterministic).
   */
  publish?(ctx: PublishContext): Promise<void>;
}

/** Declares a stage module; only gives the definition its type. */
export function defineStage<P>(stage: StageModule<P>): StageModule<P> {
  return stage;
}

/** The single input of a plain (non-wildcard) dep; throws when there is not exactly one. */
export function single(inputs: readonly CellInput[] | undefined, name: string): CellInput {
  if (!inputs || inputs.length !== 1) {
    throw new Error(`expected exactly one input for dep '${name}', got ${inputs?.length ?? 0}`);
  }
  return inputs[0]!;
}
