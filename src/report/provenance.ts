/**
 * What the report shows about how the results were made. The engine writes this as
 * `provenance.json` and gives it to the report stage as the dep named `provenance` (or the CLI
 * passes it later); every field is optional and the report says "not recorded" for what is absent.
 * Note for the engine: wall times and cache hits change on every run, so feeding them into the
 * report cell's cache key re-renders the report each run (cheap: a second or two).
 */

/** provenance.json, written by the engine for the report stage. */
export interface ReportProvenance {
  readonly schema?: 1;
  readonly profile?: string;
  readonly git?: { readonly commit: string; readonly dirty?: boolean; readonly branch?: string };
  /** The compute backend of the training cells, e.g. { name: 'tfjs-node', version: '4.22.0' }. */
  readonly backend?: { readonly name: string; readonly version?: string };
  /** Tool versions: node, typescript, tfjs, vega, vega-lite... */
  readonly versions?: Readonly<Record<string, string>>;
  readonly cells?: { readonly total: number; readonly cached: number; readonly ran: number; readonly failed?: number };
  /** Per stage: cells, how many came from the cache, summed wall time of the cells that ran. */
  readonly stages?: readonly {
    readonly stage: string;
    readonly cells: number;
    readonly cached: number;
    readonly wallSeconds: number;
  }[];
  readonly machine?: {
    readonly hostname?: string;
    readonly platform?: string;
    readonly arch?: string;
    readonly cpus?: number;
    readonly cpuModel?: string;
    readonly memoryGiB?: number;
    readonly gpu?: string;
  };
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly wallSeconds?: number;
  /** The command line that produced the run, e.g. `hebb repro --profile smoke`. */
  readonly command?: string;
}

/** Parses provenance.json leniently: anything not an object gives null (the report still renders). */
export function parseProvenance(x: unknown): ReportProvenance | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as ReportProvenance) : null;
}
