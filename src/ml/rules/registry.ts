/**
 * The learning rules of Table 1, one line each: the SRE trainers (src/ml/loop.ts) look a cell's
 * rule up here, and the stages' `rule` enum is these names. Adding a rule: one module next to this
 * one implementing `LearningRule` (rule.ts), one line below, and the YAML that names it
 * (docs/ml.md §Adding a learning rule).
 */
import { adam } from './adam.ts';
import { dfa } from './dfa.ts';
import { randomnn } from './randomnn.ts';
import type { LearningRule } from './rule.ts';
import { sgd } from './sgd.ts';

/** Every learning rule by the name the stage params use. */
export const LEARNING_RULES = {
  sgd,
  adam,
  dfa,
  randomnn,
} as const satisfies Record<string, LearningRule>;

/** A learning rule's name. */
export type RuleName = keyof typeof LEARNING_RULES;

/** The rule names in registry order (a non-empty tuple, as z.enum wants). */
export const RULE_NAMES = Object.keys(LEARNING_RULES) as [RuleName, ...RuleName[]];

/** The rule registered as `name`; throws on a name the registry does not hold. */
export function learningRule(name: string): LearningRule {
  if (!Object.hasOwn(LEARNING_RULES, name)) throw new Error(`unknown learning rule '${name}' (known: ${RULE_NAMES.join(', ')})`);
  return LEARNING_RULES[name as RuleName];
}
