/**
 * The learning rules, one line each, in two tables that run on the one loop (src/ml/loop.ts):
 * `LEARNING_RULES`, the regression rules of Table 1 (train-sre, train-transformer), and
 * `SCE_RULES`, the classification task's SGD with L1 and the Hebbian rules of Fig. 4 (train-sce).
 * A stage's `rule` enum is its table's names, and its rule hyper-parameters are the union of the
 * table's modules' own `params` (in table order). Adding a rule: one module next to this one
 * implementing `LearningRule` (rule.ts, its params included), one line in a table, and the YAML
 * that names it (docs/ml.md §Adding a learning rule).
 */
import type { z } from 'zod';
import { adam } from './adam.ts';
import { dfa } from './dfa.ts';
import { hebbianNormalized } from './hebbian-normalized.ts';
import { oja } from './oja.ts';
import { randomnn } from './randomnn.ts';
import type { BoundRule, LearningRule } from './rule.ts';
import { sceSgd } from './sce-sgd.ts';
import { sgd } from './sgd.ts';

/** The regression (SRE) rules of Table 1 by the name the stage params use. */
export const LEARNING_RULES = {
  sgd,
  adam,
  dfa,
  randomnn,
} as const satisfies Record<string, LearningRule>;

/** The classification (SCE) rules by the name train-sce's params use. */
export const SCE_RULES = {
  sgd: sceSgd,
  hebbian_normalized: hebbianNormalized,
  oja,
} as const satisfies Record<string, LearningRule>;

type Table = Record<string, LearningRule>;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The zod shape of every rule's hyper-parameters in table R together. */
export type ParamsShape<R extends Table> = UnionToIntersection<R[keyof R]['params']> & z.ZodRawShape;
type OptionsOf<R extends Table, K extends keyof R> = ReturnType<R[K]['options']>;
/** Each rule's options by its name; rules without hyper-parameters (options null) have no entry. */
export type OptionsTable<R extends Table> = { readonly [K in keyof R as OptionsOf<R, K> extends null ? never : K]: OptionsOf<R, K> };

/** One table's lookups: its names, its params, the options of a parse, and a rule bound to them. */
export interface RuleRegistry<R extends Table> {
  readonly rules: R;
  /** The names in table order (a non-empty tuple, as z.enum wants). */
  readonly names: [keyof R & string, ...(keyof R & string)[]];
  /** Every rule's hyper-parameters as stage params, in table order. */
  readonly params: ParamsShape<R>;
  /** Every rule's options from a stage's parsed params (each rule reads its own keys). */
  options(p: z.output<z.ZodObject<ParamsShape<R>>>): OptionsTable<R>;
  /** The rule registered as `name`; throws on a name the table does not hold. */
  rule(name: string): LearningRule;
  /** The rule `name` with its options taken from `options` (a cell's config): what the loop runs. */
  bound(name: string, options: OptionsTable<R>): BoundRule;
}

/** The lookups of table `rules`; `what` names it in errors. */
export function ruleRegistry<R extends Table>(rules: R, what: string): RuleRegistry<R> {
  const names = Object.keys(rules) as RuleRegistry<R>['names'];
  const rule = (name: string): LearningRule => {
    if (!Object.hasOwn(rules, name)) throw new Error(`unknown ${what} '${name}' (known: ${names.join(', ')})`);
    return rules[name]!;
  };
  return {
    rules,
    names,
    params: Object.assign({}, ...names.map((n) => rules[n]!.params)) as ParamsShape<R>,
    options: (p) => {
      const out: Record<string, unknown> = {};
      for (const n of names) {
        const o = rules[n]!.options(p);
        if (o !== null) out[n] = o;
      }
      return out as OptionsTable<R>;
    },
    rule,
    bound: (name, options) => {
      const r = rule(name);
      const o = (options as Record<string, unknown>)[name] ?? null;
      return { backward: r.backward, start: (model, s) => r.start(model, s, o) };
    },
  };
}

/** The regression rules' lookups. */
export const REGRESSION = ruleRegistry(LEARNING_RULES, 'learning rule');
/** The classification rules' lookups. */
export const CLASSIFICATION = ruleRegistry(SCE_RULES, 'SCE rule');

/** A regression rule's name. */
export type RuleName = keyof typeof LEARNING_RULES;
/** A classification rule's name. */
export type SceRuleName = keyof typeof SCE_RULES;
/** The regression rule names in registry order. */
export const RULE_NAMES = REGRESSION.names;
/** Every regression rule's hyper-parameters as stage params (train-sre's and train-transformer's schemas spread them). */
export const RULE_PARAMS = REGRESSION.params;
/** Each regression rule's options by name. */
export type RuleOptions = OptionsTable<typeof LEARNING_RULES>;
/** Each classification rule's options by name. */
export type SceRuleOptions = OptionsTable<typeof SCE_RULES>;
/** Every regression rule's options from a stage's parsed params. */
export const ruleOptions = REGRESSION.options;
/** The regression rule registered as `name`; throws on a name the registry does not hold. */
export const learningRule = REGRESSION.rule;
/** The regression rule `name` bound to a cell's options. */
export const boundRule = REGRESSION.bound;
