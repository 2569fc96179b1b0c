/**
 * The executor registry: every executor `hebb repro --executor <name>` can use, with its name, its
 * settings (one table, settings.ts: pipeline.yaml's `executors.<name>`, the CLI flags and their
 * checks all come from it) and how to create it. The CLI generates `--executor`'s choices and the
 * executors' flags from this list. A new executor (Kubernetes, Ray) is one file implementing
 * `Executor` (src/engine/executor.ts) that reads cell outcomes from the store, and one entry here.
 *
 * This module is light (no child processes, no Slurm code): executors are imported when created.
 */
import type { Executor } from '../engine/executor.ts';
import type { Diagnostic } from '../pipeline/diagnostic.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import { err, ok, type Result } from '../util/result.ts';
import { attributeOf, flagOf, resolveSettings, type SettingsOf, type SettingsTable } from './settings.ts';
import { SLURM_SETTINGS } from './slurm-options.ts';

/** What every executor is created with, besides its own settings. */
export interface ExecutorContext {
  /** The artifacts directory (the store). */
  readonly artifacts: string;
  /** Where cells run from (the directory `hebb` was started in). */
  readonly workdir: string;
  /** `-j`: cells at once, for executors that run them on this machine. */
  readonly jobs: number;
  /** `--isolate`: one fresh process per cell. */
  readonly isolate: boolean;
  /** Says one line to the user (the executor's events; executors never print). */
  readonly say: (line: string) => void;
}

/** An executor as the registry declares it. */
export interface ExecutorEntry<S extends SettingsTable> {
  readonly name: string;
  /** Its settings table (pipeline.yaml `executors.<name>` and the flags). */
  readonly settings: S;
  /** Creates the executor from its checked settings. */
  create(settings: SettingsOf<S>, ctx: ExecutorContext): Promise<Executor>;
}

/** A registry entry with its settings' type closed over, so entries of different executors share one list. */
export interface RegisteredExecutor {
  readonly name: string;
  readonly settings: SettingsTable;
  /** Checks the settings (pipeline.yaml, then the flags' values by commander attribute) and creates the executor. */
  open(pipeline: LoadedPipeline | undefined, flags: Readonly<Record<string, unknown>>, ctx: ExecutorContext): Promise<Result<Executor, Diagnostic[]>>;
}

/** Turns a typed entry into a registry entry. */
export function defineExecutor<S extends SettingsTable>(entry: ExecutorEntry<S>): RegisteredExecutor {
  return {
    name: entry.name,
    settings: entry.settings,
    async open(pipeline, flags, ctx) {
      const settings = resolveSettings(entry.name, entry.settings, pipeline, flags);
      return settings.ok ? ok(await entry.create(settings.value, ctx)) : settings;
    },
  };
}

/** Every executor, the default first. */
export const EXECUTORS: readonly RegisteredExecutor[] = [
  defineExecutor({
    name: 'local',
    settings: {},
    async create(_settings, ctx) {
      const { LocalExecutor } = await import('./local.ts');
      return new LocalExecutor({ jobs: ctx.jobs, artifacts: ctx.artifacts, isolate: ctx.isolate });
    },
  }),
  defineExecutor({
    name: 'slurm',
    settings: SLURM_SETTINGS,
    async create(settings, ctx) {
      const { SlurmExecutor, describeSlurmEvent } = await import('./slurm.ts');
      return new SlurmExecutor({ artifacts: ctx.artifacts, workdir: ctx.workdir, settings, onEvent: (e) => ctx.say(describeSlurmEvent(e)) });
    },
  }),
];

/** The executor called `name`, or undefined. */
export function executorNamed(name: string): RegisteredExecutor | undefined {
  return EXECUTORS.find((e) => e.name === name);
}

/** One generated CLI flag of an executor's setting. */
export interface ExecutorFlag {
  readonly executor: string;
  /** As commander takes it, e.g. `--cpus-per-task <n>`. */
  readonly flags: string;
  /** Help text, prefixed with the executor's name. */
  readonly help: string;
  readonly repeatable: boolean;
  /** Where commander stores the value (`cpusPerTask`). */
  readonly attribute: string;
}

/** The flags of every executor's settings (settings with no flag are pipeline.yaml only). */
export function executorFlags(): ExecutorFlag[] {
  return EXECUTORS.flatMap((e) =>
    Object.entries(e.settings).flatMap(([key, s]) => {
      if (s.arg === false) return [];
      const flag = flagOf(key, s);
      return [{ executor: e.name, flags: `${flag} ${s.arg}`, help: `${e.name}: ${s.help}`, repeatable: s.repeatable === true, attribute: attributeOf(flag) }];
    }),
  );
}

/** The executors' flag values among a command's parsed options (by attribute). */
export function executorFlagValues(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(executorFlags().filter((f) => options[f.attribute] !== undefined).map((f) => [f.attribute, options[f.attribute]]));
}

/** Creates the executor called `name` (an unknown name is a diagnostic naming the known ones). */
export async function openExecutor(name: string, pipeline: LoadedPipeline | undefined, flags: Readonly<Record<string, unknown>>, ctx: ExecutorContext): Promise<Result<Executor, Diagnostic[]>> {
  const entry = executorNamed(name);
  if (!entry) return err([{ file: '--executor', line: 0, column: 0, message: `no executor '${name}' (known: ${EXECUTORS.map((e) => e.name).join(', ')})` }]);
  return entry.open(pipeline, flags, ctx);
}
