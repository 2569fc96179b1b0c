/** The seam between the engine and whatever runs cells (local processes, Slurm). */
import type { CellFailure, CellSuccess } from '../engine/run-cell.ts';
import type { Result } from '../util/result.ts';

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
  run(job: CellJob): Promise<Result<CellSuccess, CellFailure>>;
  /** Stops everything this executor started (on Ctrl-C or at the end). */
  close(): Promise<void>;
}
