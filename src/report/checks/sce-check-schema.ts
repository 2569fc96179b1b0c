/**
 * The check kinds of the classification experiments (SCE, the paper's Figs. 2, 3, 4, 7, 8, 9, 11)
 * and of the per-neuron trend (Section 5), as zod schemas that check-schema.ts adds to its union.
 * The SCE kinds read sce-summary.json (the points the `sce-figures` stage plots); which summaries,
 * and whether each gates, is the check stage's `sce_sources` param (docs/report.md, "The checks").
 * New keys are snake_case. Light (zod only).
 */
import { z } from 'zod';

/** The SCE figure groups: the `sce-figures` stage's deps, the keys of sce-summary.json's `groups`. */
export const sceGroupSchema = z.enum(['fig2', 'fig3_act', 'fig3_arch', 'fig4', 'fig7', 'fig8', 'fig9', 'fig11_l1', 'fig11_l2', 'fig11_bn']);

/** The kinds that read an SCE summary, evaluated once per `sce_sources` entry. */
export const SCE_KINDS = ['sce-gamma-contrast', 'sce-trend', 'sce-sign', 'sce-near-zero', 'sce-init-scale', 'sce-best-near-zero'] as const;

/** The kinds that read per-neuron.json (Section 5). */
export const PER_NEURON_KINDS = ['anti-hebbian-share-grows', 'neuron-phase-trend'] as const;

/** Builds the SCE kinds' schemas on the common keys of every declaration (name, description, gate, figure). */
export function sceCheckSchemas<C extends z.ZodRawShape>(common: C) {
  return [
    z.object({
      ...common,
      kind: z.literal('sce-gamma-contrast'),
      /** Fig. 2: alignment at convergence at `high_gamma` and at `low_gamma` of `group`; the paper's values are shown beside ours. */
      params: z
        .object({
          group: sceGroupSchema.default('fig2'),
          high_gamma: z.number().nonnegative(),
          low_gamma: z.number().nonnegative(),
          paper_high: z.number().optional(),
          paper_low: z.number().optional(),
        })
        .strict(),
      /** The mean over seeds at high_gamma must be ≥ min_high; at low_gamma, |mean| ≤ max_abs_low. */
      tolerance: z.object({ min_high: z.number().default(0.5), max_abs_low: z.number().nonnegative().default(0.2) }).strict().default({ min_high: 0.5, max_abs_low: 0.2 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('sce-trend'),
      /**
       * Alignment rises along `along`: `x` (the group's x, γ for Figs. 3 and 11) within each series,
       * or `series` (the series' numeric value: the batch of Fig. 8, η of Fig. 9) at each x.
       * `lines: every` — each line must rise; `mean` — the lines' mean Spearman ρ and mean net rise decide.
       */
      params: z
        .object({
          group: sceGroupSchema,
          along: z.enum(['x', 'series']).default('x'),
          lines: z.enum(['every', 'mean']).default('every'),
          series: z.array(z.string()).optional(),
        })
        .strict(),
      /**
       * min_rho: Spearman ρ of alignment along the line (lines of ≥ 3 points; `mean`: the mean over
       * lines); rise_sd_multiple/min_rise: the net rise from the first to the last point must exceed
       * max(rise_sd_multiple × the larger SD of the two ends, min_rise) (`mean`: the mean rise > min_rise).
       */
      tolerance: z
        .object({ min_rho: z.number().min(-1).max(1).default(0.5), rise_sd_multiple: z.number().nonnegative().default(2), min_rise: z.number().nonnegative().default(0.05) })
        .strict()
        .default({ min_rho: 0.5, rise_sd_multiple: 2, min_rise: 0.05 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('sce-sign'),
      /** The sign of alignment of `group` (every usable point, or the one at the largest x). */
      params: z.object({ group: sceGroupSchema, sign: z.enum(['positive', 'negative']), at: z.enum(['all', 'largest-x']).default('all') }).strict(),
      /**
       * positive: alignment ≥ margin; negative: ≤ −margin; `all`: at least min_fraction of the points.
       * min_rise (`largest-x` only): the point must also differ from the smallest x's in the sign's
       * direction by at least this much — the regulariser's effect, not a sign it had without it.
       */
      tolerance: z
        .object({ margin: z.number().nonnegative().default(0), min_fraction: z.number().min(0).max(1).default(1), min_rise: z.number().nonnegative().optional() })
        .strict()
        .default({ margin: 0, min_fraction: 1 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('sce-near-zero'),
      /** Per point of `group`: `value` (`rule`: cos(actual update, g) of a Hebbian rule; `alignment`: cos(g, H)) is near 0. */
      params: z.object({ group: sceGroupSchema.default('fig4'), value: z.enum(['rule', 'alignment']).default('rule') }).strict().default({ group: 'fig4', value: 'rule' }),
      tolerance: z.object({ max_abs: z.number().nonnegative().default(0.1) }).strict().default({ max_abs: 0.1 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('sce-init-scale'),
      /** Fig. 7 over training, per init scale: the jump in alignment, the weight norm during it, and how the jump depends on the scale. */
      params: z.object({ group: sceGroupSchema.default('fig7') }).strict().default({ group: 'fig7' }),
      /**
       * min_jump: the windowed alignment's rise from its first point to its peak; max_norm_rise: the
       * largest relative rise of the norm allowed between neighbouring points up to the peak
       * (monotone decrease); min_spread: the largest minus the smallest jump across scales.
       */
      tolerance: z
        .object({ min_jump: z.number().nonnegative().default(0.05), max_norm_rise: z.number().nonnegative().default(0.001), min_spread: z.number().nonnegative().default(0.05) })
        .strict()
        .default({ min_jump: 0.05, max_norm_rise: 0.001, min_spread: 0.05 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('sce-best-near-zero'),
      /** Figs. 8, 9: the point of `group` with the highest test accuracy (mean over seeds) has an alignment near zero. */
      params: z.object({ group: sceGroupSchema }).strict(),
      /** |alignment| of the most accurate point ≤ max_abs. */
      tolerance: z.object({ max_abs: z.number().nonnegative().default(0.2) }).strict().default({ max_abs: 0.2 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('neuron-phase-trend'),
      /**
       * Section 5's phase study (per-neuron.json `phases`): `trend` is early-phase-vs-lr (how long a
       * neuron keeps its role in the first fifth of training, against η), early-phase-vs-init (against
       * the init scale) or bump-time-vs-lr (when the reported layer's alignment reaches half its
       * initial bump, against η). Each falls as its factor grows, per the paper.
       */
      params: z.object({ trend: z.enum(['early-phase-vs-lr', 'early-phase-vs-init', 'bump-time-vs-lr']), models: z.array(z.string()).optional() }).strict(),
      /** Per model: the mean over lines of the net change must be < 0 and the mean Spearman ρ ≤ max_rho. */
      tolerance: z.object({ max_rho: z.number().min(-1).max(1).default(-0.5) }).strict().default({ max_rho: -0.5 }),
    }).strict(),
    z.object({
      ...common,
      kind: z.literal('anti-hebbian-share-grows'),
      /** Section 5, from per-neuron.json: per model (`mlp`: the SRE MLP, `sce`...), the anti-Hebbian share of neurons vs γ. */
      params: z.object({ models: z.array(z.string()).optional() }).strict().default({}),
      /** The share must rise from the smallest to the largest γ by more than min_rise, and (≥ 3 γ) Spearman ρ ≥ min_rho. */
      tolerance: z.object({ min_rho: z.number().min(-1).max(1).default(0.5), min_rise: z.number().nonnegative().default(0) }).strict().default({ min_rho: 0.5, min_rise: 0 }),
    }).strict(),
  ] as const;
}

/** One entry of the check stage's `sce_sources`: a dep holding an sce-summary.json, and whether its checks gate. */
export const sceSourceSchema = z
  .object({
    /** The check stage's dep (e.g. `sce`, `sce_standin`). */
    dep: z.string().min(1),
    /** Whether the SCE checks on this source gate (the profile's decision: true only for the paper's data, CIFAR-10). */
    gate: z.boolean(),
    /** Appended to each check's name for this source (the first source usually has none). */
    suffix: z.string().regex(/^([a-z0-9-]*)$/).default(''),
  })
  .strict();

/** A parsed `sce_sources` entry. */
export type SceSourceDecl = z.infer<typeof sceSourceSchema>;
/** The sources, with unique deps and suffixes. */
export const sceSourcesSchema = z
  .array(sceSourceSchema)
  .refine((xs) => new Set(xs.map((x) => x.dep)).size === xs.length && new Set(xs.map((x) => x.suffix)).size === xs.length, { message: 'sce_sources: deps and suffixes must be unique' });
