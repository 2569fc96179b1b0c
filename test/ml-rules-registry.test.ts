// The rule registry (src/ml/rules/registry.ts): its names are the stages' `rule` enum, in the
// order the enum had before the registry (cell cache keys include the params), each rule asks
// for the backward pass docs/ml.md §The rules gives it, and an unknown name is refused. Each rule
// owns its hyper-parameters: the stages' rule params are the union of the modules' schemas, and a
// cell's options reach the rule through `boundRule`.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boundRule, CLASSIFICATION, learningRule, LEARNING_RULES, RULE_NAMES, RULE_PARAMS, ruleOptions, ruleRegistry } from '../src/ml/rules/registry.ts';
import { sgd } from '../src/ml/rules/sgd.ts';
import { defineRule, type RuleModel } from '../src/ml/rules/rule.ts';
import sreStage from '../stages/train-sre.ts';
import transformerStage from '../stages/train-transformer.ts';
import { trainSceParams } from '../stages/train-sce.ts';

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

  it("the stages' rule params are the modules' own, in registry order, and their options come back per rule", () => {
    expect(Object.keys(RULE_PARAMS)).toEqual([
      'adam_beta1', 'adam_beta2', 'adam_eps', 'dfa_feedback_scale', 'dfa_clip',
      'randomnn_target_norm', 'randomnn_clip', 'randomnn_eps', 'randomnn_hidden', 'randomnn_outputs', 'randomnn_drive_biases',
    ]);
    for (const stage of [sreStage, transformerStage]) {
      const parsed = stage.params.parse({ rule: 'adam', gamma: 0, seed: 0, lr: 0.1, steps: 1, adam_eps: 1e-6, randomnn_drive_biases: false });
      expect(ruleOptions(parsed)).toEqual({
        adam: { beta1: 0.9, beta2: 0.999, eps: 1e-6 },
        dfa: { feedbackScale: 1, clip: 5 },
        randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [128, 128, 128], outputs: 4, driveBiases: false },
      });
      // A value outside a rule's schema is refused by the stage, naming the key.
      const bad = stage.params.safeParse({ rule: 'dfa', gamma: 0, seed: 0, lr: 0.1, steps: 1, dfa_clip: -1 });
      expect(bad.success).toBe(false);
      expect(JSON.stringify(bad.error?.issues)).toContain('dfa_clip');
    }
  });

  it('a bound rule starts with its own options; DFA hands its feedback scale to the model', () => {
    const scales: number[] = [];
    const model: RuleModel = {
      params: [new Float32Array([1, 2])], grads: [new Float32Array([3, 4])], normOrder: [], biases: [false], probeWidth: 1,
      probe: () => { throw new Error('no probe'); },
      useFeedback: (s) => { scales.push(s); },
    };
    const settings = { lr: 0.1, gamma: 0, seed: 0, readings: {} as never };
    const opts = ruleOptions(sreStage.params.parse({ rule: 'dfa', gamma: 0, seed: 0, lr: 0.1, steps: 1, dfa_feedback_scale: 0.25 }));
    boundRule('dfa', opts).start(model, settings);
    expect(scales).toEqual([0.25]);
    const { useFeedback: _, ...noFeedback } = model;
    expect(() => boundRule('dfa', opts).start(noFeedback, settings)).toThrow(/feedback path/);
    // Adam reads its own beta1: with beta1 = 0 the first step's m̂ is the gradient itself.
    const theta = new Float32Array([1]);
    const m1: RuleModel = { ...model, params: [theta], grads: [new Float32Array([2])] };
    boundRule('adam', { ...opts, adam: { beta1: 0, beta2: 0.5, eps: 0 } }).start(m1, settings).update(0, { step: 1, clip: () => {} });
    expect(theta[0]).toBeCloseTo(1 - 0.1 * 2 / Math.sqrt(4), 6);
  });

  it('the SCE table: train-sce accepts its names, its params are the Hebbian modules\' own, and its options come back per rule', () => {
    expect(CLASSIFICATION.names).toEqual(['sgd', 'hebbian_normalized', 'oja']);
    expect(Object.keys(CLASSIFICATION.params)).toEqual(['hebb_signal', 'hebb_layers', 'hebb_target_std']);
    for (const rule of CLASSIFICATION.names) expect(trainSceParams.safeParse({ rule, steps: 1 }).success, rule).toBe(true);
    expect(trainSceParams.safeParse({ rule: 'adam', steps: 1 }).success).toBe(false);
    expect(CLASSIFICATION.options(trainSceParams.parse({ rule: 'oja', steps: 1, hebb_signal: 'post', hebb_target_std: 0.5 }))).toEqual({
      hebbian_normalized: { signal: 'post', layers: 'hidden', targetStd: 0.5 },
      oja: { signal: 'post', layers: 'hidden' },
    });
    expect(() => CLASSIFICATION.rule('dfa')).toThrow(/unknown SCE rule 'dfa'/);
  });

  it('a Hebbian run trains the rule layer by its update, keeps that layer\'s bias, and leaves the rest to SGD with L1', () => {
    // Parameters: a rule-trained weight [2, 1], its bias, and a readout weight learning by SGD.
    const W = new Float32Array([1, -1]);
    const b = new Float32Array([0.5]);
    const V = new Float32Array([2]);
    const R = new Float32Array([0.3, 0.1]);
    const q = new Float32Array([0.5]);
    const asked: string[] = [];
    const model: RuleModel = {
      params: [W, b, V], grads: [new Float32Array(2), new Float32Array(1), new Float32Array([1])], normOrder: [], biases: [false, true, false], probeWidth: 2,
      probe: () => { throw new Error('no probe'); },
      useHebbianTerms: (signal, layers) => {
        asked.push(`${signal}/${layers}`);
        return (i) => (i === 0 ? { kind: 'weight', R, q, nIn: 2, nOut: 1, initStd: 1 } : i === 1 ? { kind: 'bias' } : null);
      },
    };
    const s = { lr: 0.1, gamma: 0.01, seed: 0, l1: 0.2, readings: {} as never };
    const run = CLASSIFICATION.bound('oja', { hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: null }, oja: { signal: 'post', layers: 'hidden' } }).start(model, s);
    const info = { step: 1, clip: () => {} };
    run.update(0, info);
    run.update(1, info);
    run.update(2, info);
    expect(asked).toEqual(['post/hidden']);
    // Oja: w + η(R − q w − γ w).
    expect(W[0]).toBeCloseTo(1 + 0.1 * (0.3 - 0.5 * 1 - 0.01 * 1), 6);
    expect(W[1]).toBeCloseTo(-1 + 0.1 * (0.1 + 0.5 * 1 + 0.01 * 1), 6);
    expect(b[0]).toBe(0.5);
    // SGD with coupled L2 and L1: v − η(G + γv + λ₁ sign v).
    expect(V[0]).toBeCloseTo(2 - 0.1 * (1 + 0.01 * 2 + 0.2), 6);
    const { useHebbianTerms: _, ...plain } = model;
    expect(() => CLASSIFICATION.bound('oja', { hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: null }, oja: { signal: 'pre', layers: 'hidden' } }).start(plain, s)).toThrow(/useHebbianTerms/);
  });

  it('a new rule is one module and one table line: its params join the schema, its options reach its run', () => {
    const seen: number[] = [];
    const scaled = defineRule({
      backward: 'bp',
      params: { scaled_factor: z.number().positive().default(2) },
      options: (p) => ({ factor: p.scaled_factor }),
      start: (model, s, o) => ({
        update: (i) => {
          seen.push(o.factor);
          const theta = model.params[i]!;
          for (let j = 0; j < theta.length; j++) theta[j] = theta[j]! - s.lr * o.factor * model.grads[i]![j]!;
          return 0;
        },
      }),
    });
    const table = ruleRegistry({ sgd, scaled }, 'test rule');
    const schema = z.object({ rule: z.enum(table.names), ...table.params }).strict();
    const opts = table.options(schema.parse({ rule: 'scaled', scaled_factor: 3 }));
    expect(opts).toEqual({ scaled: { factor: 3 } });
    expect(schema.safeParse({ rule: 'scaled', scaled_factor: -1 }).success).toBe(false);
    const theta = new Float32Array([1]);
    const model: RuleModel = { params: [theta], grads: [new Float32Array([1])], normOrder: [], biases: [false], probeWidth: 1, probe: () => { throw new Error('no probe'); } };
    table.bound('scaled', opts).start(model, { lr: 0.1, gamma: 0, seed: 0, readings: {} as never }).update(0, { step: 1, clip: () => {} });
    expect(seen).toEqual([3]);
    expect(theta[0]).toBeCloseTo(0.7, 6);
  });
});
