/**
 * Settings of the Slurm executor, each written once, here: its key under `executors.slurm` in
 * pipeline.yaml, its check, its CLI flag and help (generated, see settings.ts), its default, and,
 * for a resource, the sbatch option it becomes. Adding an option is one line in this table.
 *
 *   executors:
 *     slurm:
 *       partition: gpu
 *       time: "02:00:00"        # per cell (sbatch --time)
 *       cpus_per_task: 4
 *       mem: 8G
 *       gres: gpu:1
 *       sbatch_args: ["--account=lab", "--qos=short"]
 *       max_array: 500          # cells per array job (clusters cap MaxArraySize)
 *       throttle: 50            # tasks of one array running at once (--array=...%50)
 *       retries: 1              # resubmit a failed cell this many times
 *       poll_ms: 2000           # squeue interval
 */
import { z } from 'zod';
import type { Diagnostic } from '../pipeline/diagnostic.ts';
import type { LoadedPipeline } from '../pipeline/load.ts';
import type { Result } from '../util/result.ts';
import { resolveSettings, setting, settingWithDefault, type Setting, type SettingsOf } from './settings.ts';

const positive = z.coerce.number().int().min(1);

/** A setting passed to sbatch as `--<name>=<value>` (in table order, before `sbatch_args`). */
function sbatch<T extends z.ZodType>(schema: T, arg: string, help: string): Setting<T> & { readonly sbatch: true } {
  return { ...setting(schema, arg, help), sbatch: true };
}

/** The Slurm executor's settings (see the module comment). */
export const SLURM_SETTINGS = {
  partition: sbatch(z.string().min(1), '<name>', 'partition'),
  time: sbatch(z.string().regex(/^(\d+-)?\d+(:\d+){0,2}$/, 'a Slurm time such as 30, 02:00:00 or 1-12:00:00'), '<limit>', 'time limit per cell, e.g. 02:00:00'),
  cpus_per_task: sbatch(positive, '<n>', 'CPUs per cell'),
  mem: sbatch(z.string().regex(/^\d+[KMGT]?$/i, 'a size such as 4000, 8G or 512M'), '<size>', 'memory per cell, e.g. 8G'),
  gres: sbatch(z.string().min(1), '<spec>', 'generic resources per cell, e.g. gpu:1'),
  sbatch_args: { ...settingWithDefault(z.array(z.string().regex(/^-/, 'an sbatch option such as --account=lab')), '<arg>', 'extra sbatch argument (repeatable)', []), repeatable: true },
  max_array: settingWithDefault(positive, '<n>', 'most cells per array job', 1000),
  throttle: setting(positive, '<n>', 'most tasks of one array running at once'),
  retries: settingWithDefault(z.coerce.number().int().min(0), '<n>', 'resubmit a failed cell up to n times', 0),
  poll_ms: settingWithDefault(z.coerce.number().int().min(100), '<ms>', 'squeue interval', 2000),
  batch_window_ms: settingWithDefault(z.coerce.number().int().min(0), false, 'cells handed over within this window go out as one array job', 200),
} as const;

/** Checked settings of the Slurm executor (pipeline.yaml's names; defaults filled in). */
export type SlurmSettings = SettingsOf<typeof SLURM_SETTINGS>;

/** Merges `executors.slurm` from the pipeline with the flags' values (by commander attribute); every problem is a diagnostic. */
export function slurmSettings(pipeline: LoadedPipeline | undefined, flags: Readonly<Record<string, unknown>> = {}): Result<SlurmSettings, Diagnostic[]> {
  return resolveSettings('slurm', SLURM_SETTINGS, pipeline, flags);
}

/** The sbatch options of the resource settings that are set: `--partition=gpu`, `--cpus-per-task=4`, … */
export function sbatchResources(settings: SlurmSettings): string[] {
  const out: string[] = [];
  for (const [key, s] of Object.entries(SLURM_SETTINGS)) {
    const v = (settings as Record<string, unknown>)[key];
    if ('sbatch' in s && v !== undefined) out.push(`--${key.replace(/_/g, '-')}=${String(v)}`);
  }
  return out;
}
