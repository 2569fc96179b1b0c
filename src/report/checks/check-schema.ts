/**
 * The check declarations of pipeline.yaml (the `check` stage's `checks` param), as zod schemas,
 * one per kind. Light (zod only), so the stage module may import it at top level: a typo in a
 * check's kind or tolerance is an error at load time.
 */
import { z } from 'zod';
import { sceCheckSchemas } from './sce-check-schema.ts';

const common = {
  name: z.string().min(1),
  description: z.string().optional(),
  /** false: reported, never fails the run (docs/definitions.md §Checks, 5). */
  gate: z.boolean().optional(),
  /** The paper's figure (or section) the claim comes from: '2', '11', 'Section 5'; the report shows the check beside it. */
  figure: z.string().min(1).optional(),
};
const table1Params = {
  /** The Table 1 variant to check (e.g. `stationary`); optional when the table has only one. */
  variant: z.string().optional(),
  models: z.array(z.string()).optional(),
  rules: z.array(z.string()).optional(),
};

/** Every check kind and its params/tolerance. */
export const checkDeclSchema = z.discriminatedUnion('kind', [
  z.object({
    ...common,
    kind: z.literal('gamma-monotone'),
    params: z.object(table1Params).strict().default({}),
    /**
     * sd_multiple/abs: the largest allowed drop between neighbouring γ (sd_multiple × SD + abs);
     * min_positive: the alignment needed at the largest non-collapsed γ; rise_sd_multiple/min_rise: the
     * net rise from the smallest γ to the largest non-collapsed γ must exceed
     * max(rise_sd_multiple × the larger SD of the two ends, min_rise).
     */
    tolerance: z
      .object({
        sd_multiple: z.number().nonnegative().default(1),
        abs: z.number().nonnegative().default(0),
        min_positive: z.number().default(0.05),
        rise_sd_multiple: z.number().nonnegative().default(2),
        min_rise: z.number().nonnegative().default(0.05),
      })
      .strict()
      .default({ sd_multiple: 1, abs: 0, min_positive: 0.05, rise_sd_multiple: 2, min_rise: 0.05 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('does-not-collapse'),
    /** The rules that must keep their weights at `gamma` (the paper has values there). */
    params: z.object({ ...table1Params, gamma: z.number() }).strict(),
    tolerance: z.object({ max_fraction: z.number().min(0).max(1).default(0) }).strict().default({ max_fraction: 0 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('collapses'),
    params: z.object({ ...table1Params, rule: z.string(), gamma: z.number() }).strict(),
    tolerance: z.object({ min_fraction: z.number().min(0).max(1).default(1) }).strict().default({ min_fraction: 1 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('noise-monotone'),
    params: z.object({ grid: z.string() }).strict(),
    tolerance: z.object({ min_rho: z.number().min(0).max(1).default(0.5) }).strict().default({ min_rho: 0.5 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('boundary-exponent'),
    params: z.object({ grid: z.string() }).strict(),
    tolerance: z
      .object({ b_min: z.number().default(1.5), b_max: z.number().default(2.5), min_r2: z.number().default(0.9), min_points: z.number().int().min(4).default(4) })
      .strict()
      .default({ b_min: 1.5, b_max: 2.5, min_r2: 0.9, min_points: 4 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('loss-near-boundary'),
    params: z.object({ grid: z.string() }).strict(),
    tolerance: z.object({ max_abs_alignment: z.number().nonnegative().default(0.2) }).strict().default({ max_abs_alignment: 0.2 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('paper-agreement'),
    params: z.object(table1Params).strict().default({}),
    /**
     * An entry agrees when |ours − paper| ≤ max(max_abs_diff, sd_multiple × the paper's SD) (or both
     * collapsed); a (model, rule) row passes when at least min_fraction of its entries agree.
     */
    tolerance: z
      .object({
        max_abs_diff: z.number().nonnegative().default(0.1),
        sd_multiple: z.number().nonnegative().default(2),
        min_fraction: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ max_abs_diff: 0.1, sd_multiple: 2, min_fraction: 0.5 }),
  }).strict(),
  ...sceCheckSchemas(common),
]);

/** A parsed check declaration. */
export type CheckDecl = z.infer<typeof checkDeclSchema>;
/** The kinds of check. */
export type CheckKind = CheckDecl['kind'];
/** A list of declarations with unique names. */
export const checkListSchema = z.array(checkDeclSchema).refine((xs) => new Set(xs.map((x) => x.name)).size === xs.length, {
  message: 'check names must be unique',
});
