/**
 * The typed options of each command, as main.ts declares them to commander. Command modules
 * import their type from here, never from main.ts: main imports every command (lazily), so a
 * command importing main would close a cycle through all of them.
 *
 * Repeatable flags arrive as arrays (empty when not given); a flag with a default is always set.
 */

/** Options of the program itself, which every command gets. */
export interface GlobalOptions {
  /** `-p, --pipeline`: the pipeline file (default pipeline.yaml). */
  readonly pipeline: string;
  /** `--artifacts`: the artifacts directory, when given. */
  readonly artifacts?: string;
}

/** Options of commands that expand a profile (`repro`, `status`, `dag`, `show`, `check`, `bundle export`). */
export interface ProfileOptions extends GlobalOptions {
  /** `--profile` (default: the pipeline's default_profile). */
  readonly profile?: string;
  /** `-s, --set stage.param=value`, repeatable. */
  readonly set?: readonly string[];
}

/** `--without <stage|cell>`, repeatable: plan (or run) without these cells. */
export interface WithoutOption {
  readonly without?: readonly string[];
}

/** `hebb repro`. */
export interface ReproOptions extends ProfileOptions, WithoutOption {
  /** `-j, --jobs`: as given (checked by the command). */
  readonly jobs: string;
  /** False with `--no-keep-going`. */
  readonly keepGoing: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly isolate?: boolean;
  readonly verbose?: boolean;
  readonly plain?: boolean;
  readonly yes?: boolean;
  /** `--executor`: a name in the executor registry (src/exec/index.ts). */
  readonly executor: string;
  /** The values of the executors' own flags, by commander attribute name (generated from the registry). */
  readonly executorFlags: Readonly<Record<string, unknown>>;
}

/** `hebb status`. */
export interface StatusOptions extends ProfileOptions, WithoutOption {
  readonly json?: boolean;
}

/** `hebb dag`. */
export interface DagOptions extends ProfileOptions {
  readonly format: 'text' | 'mermaid' | 'dot';
}

/** `hebb show <cell>`. */
export interface ShowOptions extends ProfileOptions {
  readonly json?: boolean;
}

/** `hebb check`. */
export interface CheckOptions extends ProfileOptions, WithoutOption {
  readonly requireAll?: boolean;
  readonly junit?: string;
  /** The stage that evaluates the checks (default `check`). */
  readonly stage: string;
}

/** `hebb compare <reference> [current]`. */
export interface CompareOptions extends GlobalOptions {
  readonly profile?: string;
  /** `--tol`, as given. */
  readonly tol: string;
  /** `--fit-tol`, as given. */
  readonly fitTol: string;
  readonly json?: boolean;
}

/** `hebb gc`. */
export interface GcOptions extends GlobalOptions {
  readonly dryRun?: boolean;
  readonly force?: boolean;
}

/** `hebb fsck`. */
export interface FsckOptions extends GlobalOptions {
  readonly repair?: boolean;
  readonly force?: boolean;
}

/** `hebb bundle export [targets...]`. */
export interface BundleExportOptions extends ProfileOptions {
  readonly output: string;
}

/** `hebb bundle import <file>` and `hebb bundle verify <file>`. */
export interface BundleReadOptions extends GlobalOptions {
  /** `--max-bytes`, as given. */
  readonly maxBytes?: string;
}

/** `hebb run-cell <key>`. */
export interface RunCellCommandOptions extends GlobalOptions {
  /** `--attempt`: the executor's name for this attempt (a Slurm task), kept in the outcome record. */
  readonly attempt?: string;
}
