/**
 * Zod schemas of the report stages' params (zod only: stage modules import this at top level).
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
/** A cell selector: param → value or list of accepted values. */
export const selectorSchema = z.record(z.string(), z.union([scalar, z.array(scalar)]));

/** Seeds per cell: a count, or the profile's list of seeds (its length is used). */
const seedsSchema = z.union([z.number().int().positive(), z.array(z.number())]).transform((v) => (Array.isArray(v) ? v.length : v));

/** The paper's Table 1 as data (docs/definitions.md §Table 1): per row, means and SDs in the order of `gammas`; null = "–". */
export const paperTableSchema = z
  .object({
    gammas: z.array(z.number()),
    rows: z.array(
      z.object({ model: z.string(), rule: z.string(), mean: z.array(z.number().nullable()), sd: z.array(z.number().nullable()) }).strict(),
    ),
  })
  .strict()
  .refine((p) => p.rows.every((r) => r.mean.length === p.gammas.length && r.sd.length === p.gammas.length), {
    message: 'each paper row needs one mean and one sd per gamma',
  });

/** The table1 stage's params. */
export const table1ParamsSchema = z
  .object({
    select: selectorSchema.optional(),
    variant_key: z.string().default('variant'),
    default_variant: z.string().default('default'),
    /** Renames variant values (e.g. variant_key: stage, variant_map: { train-sre-stationary: stationary }). */
    variant_map: z.record(z.string(), z.string()).optional(),
    paper: paperTableSchema.optional(),
    expect: z
      .object({
        models: z.array(z.string()).optional(),
        rules: z.array(z.string()).optional(),
        gammas: z.array(z.number()).optional(),
        variants: z.array(z.string()).optional(),
        /** The models a variant is expected to have when not all of `models` (e.g. { raw-targets: [transformer] }). */
        variant_models: z.record(z.string(), z.array(z.string())).optional(),
        seeds: seedsSchema.optional(),
      })
      .strict()
      .optional(),
    /** |ours − paper| above which table1.md flags a mismatch. */
    mismatch_tol: z.number().nonnegative().default(0.1),
    /**
     * When a cell counts as stationary: its drift flag and, for γ > 0, a balance residual (Eq. 9)
     * of at most max_balance (null: the drift alone).
     */
    stationarity: z.object({ max_balance: z.number().nonnegative().nullable().default(0.1) }).strict().default({ max_balance: 0.1 }),
  })
  .strict();

/** One noise grid's declaration. */
export const noiseGridSpecSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a file-name-safe grid name'),
    select: selectorSchema.optional(),
    description: z.string().optional(),
    sigmas: z.array(z.number().nonnegative()).optional(),
    gammas: z.array(z.number().nonnegative()).optional(),
    seeds: seedsSchema.optional(),
    b_range: z.tuple([z.number().positive(), z.number().positive()]).optional(),
  })
  .strict();

/** The noise-grid stage's params. */
export const noiseGridParamsSchema = z.object({ grids: z.array(noiseGridSpecSchema) }).strict();

/** The learning-sweep stage's params. */
export const learningSweepParamsSchema = z.object({ select: selectorSchema.optional() }).strict();

/** The figures stage's params. */
export const figuresParamsSchema = z
  .object({
    /** Training-curve selections: each picks cells by params, one band per (rule, γ, σ). */
    curves: z.array(z.object({ select: selectorSchema, label: z.string().optional() }).strict()).default([]),
    /** Smoothing window of the curves, in iterations. */
    curve_window: z.number().int().positive().default(200),
  })
  .strict();

/** The report stage's params. */
export const reportParamsSchema = z
  .object({
    title: z.string().default('Reproduction report: Emergence of Hebbian Dynamics in Regularized Non-Local Learners'),
    /** |ours − paper| above which the report calls a Table 1 entry a mismatch. */
    mismatch_tol: z.number().nonnegative().default(0.1),
    /** Free text per grid name: which grid the boundary check gates on and why. */
    grid_notes: z.record(z.string(), z.string()).default({}),
    /** Free text per Table 1 variant (e.g. which one the trend checks gate on). */
    variant_notes: z.record(z.string(), z.string()).default({}),
    /**
     * Per optional figure dep: what the report says when it gives no input (listed under "Not run",
     * and a section with `title` that says `why`). A figure source needs an entry only if it can be absent.
     */
    absent_figures: z.record(z.string(), z.object({ what: z.string(), title: z.string(), why: z.string() }).strict()).default({}),
  })
  .strict();
