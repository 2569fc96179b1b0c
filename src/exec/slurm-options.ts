/**
 * Settings of the Slurm executor: `executors.slurm` in pipeline.yaml, overridden by CLI flags,
 * checked once here (messages point at the YAML line or name the flag). Typed settings travel on.
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
import { err, ok, type Result } from '../util/result.ts';
import type { SbatchResources } from './slurm-commands.ts';

/** Checked settings of the Slurm executor. */
export interface SlurmSettings extends SbatchResources {
  /** Cells per array job; a larger batch is split. */
  readonly maxArray: number;
  /** Tasks of one array running at once (`%N`); undefined: as many as Slurm allows. */
  readonly throttle?: number;
  /** Times a failed cell is resubmitted. */
  readonly retries: number;
  /** Interval between `squeue` polls. */
  readonly pollMs: number;
  /** Cells handed over within this window go out as one array job. */
  readonly batchWindowMs: number;
}

/** CLI flags that override the YAML (undefined: not given). */
export interface SlurmFlags {
  readonly partition?: string;
  readonly time?: string;
  readonly cpusPerTask?: string | number;
  readonly mem?: string;
  readonly gres?: string;
  /** Repeatable `--sbatch-arg`; appended after the YAML's `sbatch_args`. */
  readonly sbatchArg?: readonly string[];
  readonly maxArray?: string | number;
  readonly throttle?: string | number;
  readonly retries?: string | number;
  readonly pollMs?: string | number;
}

/** Defaults when neither the YAML nor a flag says otherwise. */
export const SLURM_DEFAULTS = { maxArray: 1000, retries: 0, pollMs: 2000, batchWindowMs: 200 } as const;

const positive = z.coerce.number().int().min(1);
const yamlSchema = z
  .object({
    partition: z.string().min(1),
    time: z.string().regex(/^(\d+-)?\d+(:\d+){0,2}$/, 'a Slurm time such as 30, 02:00:00 or 1-12:00:00'),
    cpus_per_task: positive,
    mem: z.string().regex(/^\d+[KMGT]?$/i, 'a size such as 4000, 8G or 512M'),
    gres: z.string().min(1),
    sbatch_args: z.array(z.string().regex(/^-/, 'an sbatch option such as --account=lab')),
    max_array: positive,
    throttle: positive,
    retries: z.coerce.number().int().min(0),
    poll_ms: z.coerce.number().int().min(100),
    batch_window_ms: z.coerce.number().int().min(0),
  })
  .partial()
  .strict();

type YamlSettings = z.infer<typeof yamlSchema>;

const FLAG_OF: Record<keyof YamlSettings, string> = {
  partition: '--partition',
  time: '--time',
  cpus_per_task: '--cpus-per-task',
  mem: '--mem',
  gres: '--gres',
  sbatch_args: '--sbatch-arg',
  max_array: '--max-array',
  throttle: '--throttle',
  retries: '--retries',
  poll_ms: '--poll-ms',
  batch_window_ms: '--batch-window-ms',
};

/** Merges `executors.slurm` from the pipeline with CLI flags; every problem is a diagnostic. */
export function slurmSettings(pipeline: LoadedPipeline | undefined, flags: SlurmFlags = {}): Result<SlurmSettings, Diagnostic[]> {
  const problems: Diagnostic[] = [];
  const fromYaml = pipeline?.raw.executors?.slurm ?? {};
  const yaml = yamlSchema.safeParse(fromYaml);
  let base: YamlSettings = {};
  if (yaml.success) base = yaml.data;
  else {
    for (const issue of yaml.error.issues) {
      const path = ['executors', 'slurm', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
      const unknown = issue.code === 'unrecognized_keys' ? ` (unknown: ${issue.keys.join(', ')}; known: ${Object.keys(FLAG_OF).join(', ')})` : '';
      problems.push({ ...pipeline!.locate(path), message: `${path.join('.')}: ${issue.message}${unknown}` });
    }
  }
  const cli: Record<string, unknown> = {
    partition: flags.partition,
    time: flags.time,
    cpus_per_task: flags.cpusPerTask,
    mem: flags.mem,
    gres: flags.gres,
    max_array: flags.maxArray,
    throttle: flags.throttle,
    retries: flags.retries,
    poll_ms: flags.pollMs,
    sbatch_args: flags.sbatchArg?.length ? flags.sbatchArg : undefined,
  };
  const given = Object.fromEntries(Object.entries(cli).filter(([, v]) => v !== undefined));
  const over = yamlSchema.safeParse(given);
  let top: YamlSettings = {};
  if (over.success) top = over.data;
  else {
    for (const issue of over.error.issues) {
      const key = String(issue.path[0]) as keyof YamlSettings;
      problems.push({ file: FLAG_OF[key] ?? key, line: 0, column: 0, message: `expected ${issue.message}, got '${String(given[key])}'` });
    }
  }
  if (problems.length) return err(problems);
  const m = { ...base, ...top, sbatch_args: [...(base.sbatch_args ?? []), ...(top.sbatch_args ?? [])] };
  return ok({
    ...(m.partition ? { partition: m.partition } : {}),
    ...(m.time ? { time: m.time } : {}),
    ...(m.cpus_per_task ? { cpusPerTask: m.cpus_per_task } : {}),
    ...(m.mem ? { mem: m.mem } : {}),
    ...(m.gres ? { gres: m.gres } : {}),
    ...(m.throttle ? { throttle: m.throttle } : {}),
    sbatchArgs: m.sbatch_args,
    maxArray: m.max_array ?? SLURM_DEFAULTS.maxArray,
    retries: m.retries ?? SLURM_DEFAULTS.retries,
    pollMs: m.poll_ms ?? SLURM_DEFAULTS.pollMs,
    batchWindowMs: m.batch_window_ms ?? SLURM_DEFAULTS.batchWindowMs,
  });
}
