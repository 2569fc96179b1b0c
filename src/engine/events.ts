/** What the engine reports while it works. It never prints: displays and logs consume these. */

/** One event of a run. */
export type EngineEvent =
  /** Planning is done: how many cells the run covers. */
  | { readonly type: 'plan'; readonly total: number }
  /** A cell's outputs were already in the store. */
  | { readonly type: 'cached'; readonly cell: string; readonly key: string; readonly shared?: boolean }
  /** A cell went to an executor. */
  | { readonly type: 'start'; readonly cell: string; readonly key: string; readonly reasons: readonly string[] }
  /** Progress reported by a running stage. */
  | { readonly type: 'progress'; readonly cell: string; readonly done: number; readonly total: number }
  /** A cell finished (or another process finished it first: `reused`). */
  | { readonly type: 'done'; readonly cell: string; readonly key: string; readonly durationMs: number; readonly reused: boolean; readonly dropped?: readonly string[] }
  /** A cell failed; `log` is the path of its log, when there is one. */
  | { readonly type: 'failed'; readonly cell: string; readonly key: string; readonly message: string; readonly log?: string }
  /** A cell did not run because an upstream cell failed. */
  | { readonly type: 'skipped'; readonly cell: string; readonly because: string }
  /** A cell waits for another process that holds its lock (`message` says who, and since when). */
  | { readonly type: 'waiting'; readonly cell: string; readonly message: string }
  /** A stored object was bad; the cell that made it runs again. */
  | { readonly type: 'corrupt'; readonly cell: string; readonly message: string }
  /** The run is over. */
  | { readonly type: 'finish'; readonly summary: RunSummary };

/** Totals of a run. */
export interface RunSummary {
  readonly total: number;
  readonly cached: number;
  /** Of the cached cells, how many were copied in from the shared cache. */
  readonly shared: number;
  readonly ran: number;
  readonly reused: number;
  readonly failed: readonly { readonly cell: string; readonly message: string; readonly log?: string }[];
  readonly skipped: number;
  /** Cells left out of this run on purpose (`--without`): neither run nor counted as skipped. */
  readonly leftOut?: number;
  /** Set when the run was interrupted: cells stopped mid-way and cells never started. */
  readonly interrupted?: { readonly stopped: number; readonly notStarted: number };
  readonly wallMs: number;
}

/** Receives events. */
export type EventSink = (event: EngineEvent) => void;
