// The rule registry (src/ml/rules/registry.ts): its names are the stages' `rule` enum, in the
// order the enum had before the registry (cell cache keys include the params), each rule asks
// for the backward pass docs/ml.md §The rules gives it, and an unknown name is refused.
import { describe, expect, it } from 'vitest';
import { learningRule, LEARNING_RULES, RULE_NAMES } from '../src/ml/rules/registry.ts';
import sreStage from '../stages/train-sre.ts';
import transformerStage from '../stages/train-transformer.ts';

describe('rule registry', () => {
  it('names Table 1 rules in the stages\' former enum order, with their backward passes', () => {
    expect(RULE_NAMES).toEqual(['sgd', 'adam', 'dfa', 'randomnn']);
    expect(Object.fromEntries(RULE_NAMES.map((n) => [n, LEARNING_RULES[n].backward]))).toEqual({ sgd: 'bp', adam: 'bp', dfa: 'dfa', randomnn: 'none' });
  });

  it('the SRE stages accept exactly the registry names', () => {
    for (const stage of [sreStage, transformerStage]) {
      for (const rule of RULE_NAMES) expect(stage.params.safeParse({ rule, gamma: 0, seed: 0, lr: 0.1, steps: 1 }).success, rule).toBe(true);
      expect(stage.params.safeParse({ rule: 'hebbian', gamma: 0, seed: 0, lr: 0.1, steps: 1 }).success).toBe(false);
    }
  });

  it('refuses a name it does not hold', () => {
    expect(() => learningRule('toString')).toThrow(/unknown learning rule 'toString'/);
    expect(learningRule('adam')).toBe(LEARNING_RULES.adam);
  });
});
