/**
 * Executor settings, declared once. An executor lists its settings in one table (`SettingsTable`):
 * the key is the name under `executors.<executor>` in pipeline.yaml, and the same entry gives the
 * zod check, the CLI flag (generated: `--cpus-per-task` for `cpus_per_task`), its help text and
 * its default. `resolveSettings` merges the YAML with the flags (flags win; a repeatable setting's
 * flags add to the YAML list) and checks both once, with messages that point at the YAML line or
 * name the flag. Typed settings travel on.
 */
import { z } from 'zod';
import type { Diagnostic } from '../pipeline/diagnostic.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import { err, ok, type Result } from '../util/result.ts';

/** One setting of an executor. */
export interface Setting<T extends z.ZodType = z.ZodType> {
  /** Checks a value from pipeline.yaml or a flag (flags arrive as strings: coerce numbers). */
  readonly schema: T;
  /** The flag's argument in help, e.g. `<n>`; `false`: a pipeline.yaml setting with no flag. */
  readonly arg: string | false;
  /** One line of help (the CLI prefixes the executor's name). */
  readonly help: string;
  /** An array setting whose flag may be repeated, each adding one item. */
  readonly repeatable?: boolean;
  /** The value when neither pipeline.yaml nor a flag sets it. */
  readonly default?: z.output<T>;
}

/** An executor's settings: pipeline.yaml key (snake_case) → setting. */
export type SettingsTable = Readonly<Record<string, Setting>>;

/** The checked settings of a table: keys with a default are always set, the others may be absent. */
export type SettingsOf<S extends SettingsTable> = {
  readonly [K in keyof S as S[K] extends { readonly default: unknown } ? K : never]: z.output<S[K]['schema']>;
} & {
  readonly [K in keyof S as S[K] extends { readonly default: unknown } ? never : K]?: z.output<S[K]['schema']>;
};

/** Declares a setting (keeps its schema's type, so `SettingsOf` can type the result). */
export function setting<T extends z.ZodType>(schema: T, arg: string | false, help: string, more: { readonly repeatable?: boolean } = {}): Setting<T> {
  return { schema, arg, help, ...more };
}

/** Declares a setting that has a default. */
export function settingWithDefault<T extends z.ZodType>(schema: T, arg: string | false, help: string, value: z.output<T>): Setting<T> & { readonly default: z.output<T> } {
  return { schema, arg, help, default: value };
}

/** The flag of a setting: `cpus_per_task` → `--cpus-per-task`; a repeatable `sbatch_args` → `--sbatch-arg`. */
export function flagOf(key: string, s: Setting): string {
  const kebab = key.replace(/_/g, '-');
  return `--${s.repeatable ? kebab.replace(/s$/, '') : kebab}`;
}

/** The attribute under which commander stores a flag's value (`--cpus-per-task` → `cpusPerTask`). */
export function attributeOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Merges `executors.<name>` from the pipeline with the flags' values (by commander attribute,
 * undefined or an empty list: not given), checks both against `table`, fills in the defaults.
 */
export function resolveSettings<S extends SettingsTable>(name: string, table: S, pipeline: LoadedPipeline | undefined, flags: Readonly<Record<string, unknown>> = {}): Result<SettingsOf<S>, Diagnostic[]> {
  const shape = Object.fromEntries(Object.entries(table).map(([k, s]) => [k, s.schema]));
  const schema = z.object(shape).partial().strict();
  const problems: Diagnostic[] = [];
  const yaml = schema.safeParse(pipeline?.raw.executors?.[name] ?? {});
  if (!yaml.success) {
    for (const issue of yaml.error.issues) {
      const path = ['executors', name, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
      const unknown = issue.code === 'unrecognized_keys' ? ` (unknown: ${issue.keys.join(', ')}; known: ${Object.keys(table).join(', ')})` : '';
      problems.push({ ...pipeline!.locate(path), message: `${path.join('.')}: ${issue.message}${unknown}` });
    }
  }
  const given: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(table)) {
    if (s.arg === false) continue;
    const v = flags[attributeOf(flagOf(key, s))];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) given[key] = v;
  }
  const over = schema.safeParse(given);
  if (!over.success) {
    for (const issue of over.error.issues) {
      const key = String(issue.path[0]);
      const s = table[key];
      problems.push({ file: s ? flagOf(key, s) : key, line: 0, column: 0, message: `expected ${issue.message}, got '${String(given[key])}'` });
    }
  }
  if (!yaml.success || !over.success) return err(problems);
  const base = yaml.data as Record<string, unknown>;
  const top = over.data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(table)) {
    const v = s.repeatable ? [...((base[key] as unknown[] | undefined) ?? []), ...((top[key] as unknown[] | undefined) ?? [])] : (top[key] ?? base[key]);
    if (v !== undefined) out[key] = v;
    else if (s.default !== undefined) out[key] = s.default;
  }
  return ok(out as SettingsOf<S>);
}
