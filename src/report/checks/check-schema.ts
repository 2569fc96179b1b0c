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
     * sdMultiple/abs: the largest allowed drop between neighbouring γ (sdMultiple × SD + abs);
     * minPositive: the alignment needed at the largest non-collapsed γ; riseSdMultiple/minRise: the
     * net rise from the smallest γ to the largest non-collapsed γ must exceed
     * max(riseSdMultiple × the larger SD of the two ends, minRise).
     */
    tolerance: z
      .object({
        sdMultiple: z.number().nonnegative().default(1),
        abs: z.number().nonnegative().default(0),
        minPositive: z.number().default(0.05),
        riseSdMultiple: z.number().nonnegative().default(2),
        minRise: z.number().nonnegative().default(0.05),
      })
      .strict()
      .default({ sdMultiple: 1, abs: 0, minPositive: 0.05, riseSdMultiple: 2, minRise: 0.05 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('does-not-collapse'),
    /** The rules that must keep their weights at `gamma` (the paper has values there). */
    params: z.object({ ...table1Params, gamma: z.number() }).strict(),
    tolerance: z.object({ maxFraction: z.number().min(0).max(1).default(0) }).strict().default({ maxFraction: 0 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('collapses'),
    params: z.object({ ...table1Params, rule: z.string(), gamma: z.number() }).strict(),
    tolerance: z.object({ minFraction: z.number().min(0).max(1).default(1) }).strict().default({ minFraction: 1 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('noise-monotone'),
    params: z.object({ grid: z.string() }).strict(),
    tolerance: z.object({ minRho: z.number().min(0).max(1).default(0.5) }).strict().default({ minRho: 0.5 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('boundary-exponent'),
    params: z.object({ grid: z.string() }).strict(),
    tolerance: z
      .object({ bMin: z.number().default(1.5), bMax: z.number().default(2.5), minR2: z.number().default(0.9), minPoints: z.number().int().min(4).default(4) })
      .strict()
      .default({ bMin: 1.5, bMax: 2.5, minR2: 0.9, minPoints: 4 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('loss-near-boundary'),
    params: z.object({ grid: z.string() }).strict(),
    tolerance: z.object({ maxAbsAlignment: z.number().nonnegative().default(0.2) }).strict().default({ maxAbsAlignment: 0.2 }),
  }).strict(),
  z.object({
    ...common,
    kind: z.literal('paper-agreement'),
    params: z.object(table1Params).strict().default({}),
    /**
     * An entry agrees when |ours − paper| ≤ max(maxAbsDiff, sdMultiple × the paper's SD) (or both
     * collapsed); a (model, rule) row passes when at least minFraction of its entries agree.
     */
    tolerance: z
      .object({
        maxAbsDiff: z.number().nonnegative().default(0.1),
        sdMultiple: z.number().nonnegative().default(2),
        minFraction: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ maxAbsDiff: 0.1, sdMultiple: 2, minFraction: 0.5 }),
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
