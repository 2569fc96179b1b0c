/**
 * The executor contract: what the engine hands to whatever runs cells (local processes, Slurm, a
 * future Kubernetes or Ray executor) and what it gets back. It lives with the engine, the side
 * that calls it: `src/exec/` implements it and imports this file; the engine never imports exec.
 *
 * A job names a planned cell by key; its spec (below) is already in the store, and `hebb run-cell
 * <key>` runs it from there. The result is a run record (`CellSuccess`) or a reason
 * (`CellFailure`); run-cell also writes it as an outcome record (`results/<key>.json`, see
 * outcome.ts), so an executor whose cells run elsewhere reads the outcome as data.
 */
import type { Cell } from '../pipeline/expand.ts';
import type { Scalar } from '../stage-api.ts';
import type { RunRecord } from '../store/store.ts';
import type { Result } from '../util/result.ts';
import type { Fingerprint } from './fingerprint.ts';

/** An upstream cell as recorded in a spec. */
export interface SpecInput {
  readonly cell: string;
  readonly stage: string;
  readonly matrix: Readonly<Record<string, Scalar>>;
  readonly params: Readonly<Record<string, unknown>>;
  /** Key of the upstream run record. */
  readonly key: string;
}

/** Everything `run-cell` needs, written to artifacts/specs/<key>.json by the planner. */
export interface CellSpec {
  readonly schema: 1;
  readonly key: string;
  readonly root: string;
  readonly profile: string;
  readonly cell: Cell;
  readonly fingerprint: Fingerprint;
  readonly inputs: Readonly<Record<string, readonly SpecInput[]>>;
  readonly env: Readonly<Record<string, string>>;
}

/** Why a cell did not produce a record. */
export type CellFailure =
  /** No spec for this key: the planner never wrote it, or the artifacts directory is wrong. */
  | { readonly reason: 'no-spec'; readonly message: string }
  /** An input record or object is missing or corrupt (the upstream cell must run again). */
  | { readonly reason: 'bad-input'; readonly message: string; readonly upstream: string }
  /** The stage threw (or the process running it died, or it was cancelled). */
  | { readonly reason: 'stage-error'; readonly message: string }
  /** The stage returned but a declared output is missing. */
  | { readonly reason: 'missing-output'; readonly message: string }
  /** The cell ran past its stage's timeout and its process was killed (see src/exec/timeout.ts). */
  | { readonly reason: 'timeout'; readonly message: string; readonly log?: string };

/** A finished cell. */
export interface CellSuccess {
  readonly record: RunRecord;
  /** True when another process had already produced it. */
  readonly reused: boolean;
  /** Files the stage left in its output directory without declaring them: not stored (see outputs.ts). */
  readonly dropped?: readonly string[];
}

/** What running one cell gives: its record, or why there is none. */
export type CellResult = Result<CellSuccess, CellFailure>;

/** A request to run one planned cell (its spec is already in the store). */
export interface CellJob {
  readonly key: string;
  readonly cell: string;
  /** Progress callback for live displays. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called when the cell waits for another process that holds its lock (a line saying who, since when). */
  readonly onWait?: (line: string) => void;
  /** Stop the cell and fail it after this many ms (the stage's `timeout:`); executors that have their own limit (Slurm's --time) may ignore it. */
  readonly timeoutMs?: number;
}

/** Runs cells; how many at once is the executor's `capacity`. */
export interface Executor {
  /** How many cells the engine may hand over at once. */
  readonly capacity: number;
  /** Runs one cell; never rejects (a failure is a `CellFailure`). */
  run(job: CellJob): Promise<CellResult>;
  /** Stops everything this executor started (on Ctrl-C or at the end). */
  close(): Promise<void>;
}
