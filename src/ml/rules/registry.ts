/**
 * The learning rules of Table 1, one line each: the SRE trainers (src/ml/loop.ts) look a cell's
 * rule up here, the stages' `rule` enum is these names, and the stages' rule hyper-parameters are
 * the union of the rules' own `params` (`RULE_PARAMS`, in registry order). Adding a rule: one
 * module next to this one implementing `LearningRule` (rule.ts, its params included), one line
 * below, and the YAML that names it (docs/ml.md §Adding a learning rule).
 */
import type { z } from 'zod';
import { adam } from './adam.ts';
import { dfa } from './dfa.ts';
import { randomnn } from './randomnn.ts';
import type { BoundRule, LearningRule } from './rule.ts';
import { sgd } from './sgd.ts';

/** Every learning rule by the name the stage params use. */
export const LEARNING_RULES = {
  sgd,
  adam,
  dfa,
  randomnn,
} as const satisfies Record<string, LearningRule>;

type Rules = typeof LEARNING_RULES;
/** A learning rule's name. */
export type RuleName = keyof Rules;

/** The rule names in registry order (a non-empty tuple, as z.enum wants). */
export const RULE_NAMES = Object.keys(LEARNING_RULES) as [RuleName, ...RuleName[]];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The zod shape of every rule's hyper-parameters together. */
export type RuleParamsShape = UnionToIntersection<Rules[RuleName]['params']>;

/** Every rule's hyper-parameters as stage params, in registry order (spread into train-sre's and train-transformer's schemas). */
export const RULE_PARAMS = Object.assign({}, ...RULE_NAMES.map((n) => LEARNING_RULES[n].params)) as RuleParamsShape;

/** The parsed values of `RULE_PARAMS`. */
export type RuleParamValues = z.output<z.ZodObject<RuleParamsShape>>;

type OptionsOf<K extends RuleName> = ReturnType<Rules[K]['options']>;
/** Each rule's options by its name; rules without hyper-parameters (options null) have no entry. */
export type RuleOptions = { readonly [K in RuleName as OptionsOf<K> extends null ? never : K]: OptionsOf<K> };

/** Every rule's options from a stage's parsed params (each rule reads its own keys). */
export function ruleOptions(p: RuleParamValues): RuleOptions {
  const out: Record<string, unknown> = {};
  for (const n of RULE_NAMES) {
    const o = (LEARNING_RULES[n] as LearningRule).options(p);
    if (o !== null) out[n] = o;
  }
  return out as RuleOptions;
}

/** The rule registered as `name`; throws on a name the registry does not hold. */
export function learningRule(name: string): LearningRule {
  if (!Object.hasOwn(LEARNING_RULES, name)) throw new Error(`unknown learning rule '${name}' (known: ${RULE_NAMES.join(', ')})`);
  return LEARNING_RULES[name as RuleName] as LearningRule;
}

/** The rule `name` with its options taken from `options` (a cell's config): what the loop runs. */
export function boundRule(name: string, options: RuleOptions): BoundRule {
  const rule = learningRule(name);
  const o = (options as Record<string, unknown>)[name] ?? null;
  return { backward: rule.backward, start: (model, s) => rule.start(model, s, o) };
}
