/** The shape of the pipeline (pipeline.yaml and the files it includes), checked once at load (see docs/pipeline-format.md). */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** One stage as written in pipeline.yaml. */
export const stageSchema = z
  .object({
    description: z.string().optional(),
    run: z.string(),
    params: z.record(z.string(), z.unknown()).optional(),
    matrix: z.record(z.string(), z.union([z.array(scalar).min(0), z.string()])).optional(),
    name: z.string().optional(),
    deps: z.record(z.string(), z.string()).optional(),
    outs: z.array(z.string().min(1)).min(1),
    env: z.array(z.string()).optional(),
    profiles: z.array(z.string()).min(1).optional(),
    publish: z.string().optional(),
    /** Wall-clock limit of one cell: seconds, or '90s', '30m', '6h', '1h30m', or 'none' (see duration.ts). */
    timeout: z.union([z.number(), z.string()]).optional(),
  })
  .strict();

/** A template (docs/pipeline-format.md, "Templates"): any part of a stage, `extends:` already resolved. */
export const templateSchema = stageSchema.partial();

/** The whole pipeline: the top-level file with its included files merged in and templates resolved. */
export const pipelineSchema = z
  .object({
    version: z.literal(1),
    /** Files merged into this one (src/pipeline/include.ts): a path or a glob, or a list of them. */
    include: z.union([z.string(), z.array(z.string())]).optional(),
    default_profile: z.string().optional(),
    profiles: z.record(z.string(), z.record(z.string(), z.unknown()).nullable()),
    environment: z.record(z.string(), z.string()).optional(),
    executors: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
    cache: z.object({ shared: z.string().optional() }).strict().optional(),
    /** Bounds the loader enforces (docs/pipeline-format.md, "Limits"). */
    limits: z.object({ max_cells: z.number().int().positive().optional() }).strict().optional(),
    templates: z.record(z.string(), templateSchema).optional(),
    stages: z.record(z.string(), stageSchema),
  })
  .strict();
/** pipeline.yaml as written. */
export type RawPipeline = z.infer<typeof pipelineSchema>;
