/**
 * Stage: one SRE MLP training cell (docs/definitions.md §Alignment to §Learning rules): a learning rule × γ × σ × seed × the profile's
 * other params. Reads the teacher data from the `data` dep, trains the student, writes
 * metrics.json (src/metrics.ts) and weights.json (final parameters + the config that made them).
 * Every decision of docs/definitions.md is a param here, with its value as default.
 */
import { z } from 'zod';
import { batchesPerEpoch, exactlyOneLength, lengthParams, loopConfig, perNeuronParams, phasesNeedPerNeuron, statusParams, trainingSteps, windowParams } from '../src/ml/cell-params.ts';
import { RULE_NAMES, RULE_PARAMS, ruleOptions } from '../src/ml/rules/registry.ts';
import { defineStage, single } from '../src/stage-api.ts';

const params = z
  .object({
    /** The learning rule: a name of the rule registry (src/ml/rules/registry.ts: sgd | adam | dfa | randomnn). */
    rule: z.enum(RULE_NAMES),
    /** Weight decay γ (coupled L2, biases included). */
    gamma: z.number().nonnegative(),
    /** Noise σ added to every parameter at the start of every iteration. */
    sigma: z.number().nonnegative().default(0),
    /** Decision: 'persistent' (the noise stays) or 'gradient_only' (gradient taken at θ + σξ, update applied to θ). */
    noise_mode: z.enum(['persistent', 'gradient_only']).default('persistent'),
    /** The student's seed (init, batch order, noise, DFA feedback, RandomNN network). */
    seed: z.number().int().nonnegative(),
    lr: z.number().positive(),
    ...lengthParams,
    /** Layer widths; must match the teacher's. */
    sizes: z.array(z.number().int().positive()).min(2).default([32, 128, 128, 32]),
    /** Multiplies the PyTorch init bound (1 = PyTorch: uniform(±1/√fan_in) for weights and biases). */
    init_scale: z.number().positive().default(1),
    /** window_k, trajectory_every (default ⌈T/100⌉). */
    ...windowParams,
    /** Collapsed when ‖W‖ < collapse_norm_ratio × initial and val MSE > collapse_loss_ratio × Var(y). */
    ...statusParams(0.5),
    /** Every rule's hyper-parameters, declared by the rule's module (adam_*, dfa_*, randomnn_*; src/ml/rules/). */
    ...RULE_PARAMS,
    /** The matrix Table 1 reports; default W1 for DFA, W2 otherwise. */
    reported_layer: z.string().regex(/^W[1-9][0-9]*$/).nullish(),
    // Readings of the conventions the paper leaves open (src/ml/readings.ts, docs/conventions.md); defaults are the paper's best-supported reading.
    /** h_b in H: the pre-activation z or the post-activation f(z). */
    h_b: z.enum(['pre', 'post']).default('pre'),
    /** Whether the pre-activation h_b includes the bias. */
    h_bias: z.boolean().default(true),
    /** The loss differentiated: MSE averaged over batch × outputs, summed over outputs, or ½ · summed. */
    loss_scale: z.enum(['mean', 'sum_outputs', 'half_sum_outputs']).default('mean'),
    /** DFA's feedback entries: uniform(±s/√d_out), N(0, s²) or N(0, s²/d_out), s = dfa_feedback_scale. */
    dfa_feedback: z.enum(['uniform', 'normal', 'normal_fan_out']).default('uniform'),
    /** The signal measured against H: the rule's own direction, the true backprop gradient, or the step taken. */
    alignment_signal: z.enum(['rule', 'gradient', 'step']).default('rule'),
    /** RandomNN's update-norm clip: per parameter or over all parameters at once. */
    randomnn_clip_mode: z.enum(['per_parameter', 'global']).default('per_parameter'),
    /** The alignment at convergence: the mean of the window's cosines, or the cosine of the window-averaged signal and H. */
    window_summary: z.enum(['mean_cosine', 'cosine_of_means']).default('mean_cosine'),
    /** The paper's Section 5: per_neuron, per_neuron_every. */
    ...perNeuronParams,
  })
  .strict()
  .refine(...exactlyOneLength)
  .refine(...phasesNeedPerNeuron);

export default defineStage({
  params,
  async run(ctx) {
    const { join } = await import('node:path');
    const { readFile, writeFile } = await import('node:fs/promises');
    const { readNpy } = await import('../src/util/npy.ts');
    const { initBackend } = await import('../src/ml/backend.ts');
    const { trainMlp } = await import('../src/ml/train.ts');
    const { paramsToJson } = await import('../src/ml/mlp.ts');
    const { backendNameFromFact, kernelsFromFact } = await import('../src/ml/backend-fact.ts');
    const { kernelsForFact } = await import('../src/ml/kernels-select.ts');
    const { kernelSteppers } = await import('../src/ml/mlp-stepper.ts');
    const p = ctx.params;
    const dir = single(ctx.inputs.data, 'data').path;
    const [tx, ty, vx, vy] = await Promise.all(['train_x', 'train_y', 'val_x', 'val_y'].map((n) => readNpy(join(dir, `${n}.npy`))));
    const teacher = JSON.parse(await readFile(join(dir, 'teacher.json'), 'utf8')) as { params: { sizes: number[] } };
    if (teacher.params.sizes.join() !== p.sizes.join()) {
      throw new Error(`student sizes [${p.sizes.join(', ')}] differ from the teacher's [${teacher.params.sizes.join(', ')}]`);
    }
    const dIn = p.sizes[0]!;
    const dOut = p.sizes[p.sizes.length - 1]!;
    const available = tx!.shape[0]!;
    const n = p.n_train ?? available;
    if (n > available) throw new Error(`n_train ${n} exceeds the teacher's ${available} training examples`);
    const steps = trainingSteps(p, batchesPerEpoch(n, p.batch, p.drop_last));
    const { tf, info } = await initBackend(backendNameFromFact(ctx.env.backend));
    // The step runs on the kernels the fact (and so the cache key) names, never another build.
    const kernels = kernelsForFact(kernelsFromFact(ctx.env.backend));
    if (!kernels.ok) throw new Error(kernels.error.message);
    const t0 = Date.now();
    const result = trainMlp(
      tf,
      { ...info, steppers: await kernelSteppers(kernels.value) },
      {
        ...loopConfig(p, steps, 100),
        sizes: p.sizes,
        rule: p.rule,
        sigma: p.sigma,
        noiseMode: p.noise_mode,
        initScale: p.init_scale,
        ...ruleOptions(p),
        reportedLayer: p.reported_layer ?? (p.rule === 'dfa' ? 'W1' : 'W2'),
        readings: {
          hb: p.h_b, hBias: p.h_bias, lossScale: p.loss_scale, dfaFeedback: p.dfa_feedback, signal: p.alignment_signal, randomnnClip: p.randomnn_clip_mode,
          windowSummary: p.window_summary,
        },
        perNeuron: p.per_neuron,
        perNeuronEvery: p.per_neuron_every ?? null,
      },
      {
        x: (tx!.data as Float32Array).subarray(0, n * dIn),
        y: (ty!.data as Float32Array).subarray(0, n * dOut),
        n,
      },
      { x: vx!.data as Float32Array, y: vy!.data as Float32Array, n: vx!.shape[0]! },
      { log: (m) => ctx.log(m), progress: (d, t) => ctx.progress(d, t) },
    );
    const m = result.metrics;
    await writeFile(join(ctx.outDir, 'metrics.json'), JSON.stringify(m));
    await writeFile(join(ctx.outDir, 'weights.json'), JSON.stringify({ config: p, steps: m.steps, params: paramsToJson(result.params) }));
    const rep = m.alignment[m.reportedLayer];
    ctx.log(
      `${p.rule} γ=${p.gamma} σ=${p.sigma} seed=${p.seed}: ${m.status}, ${m.reportedLayer} alignment ${rep?.signal.toFixed(3)} ` +
        `(full ${rep?.full.toFixed(3)}), val MSE ${m.loss.valFinal.toExponential(3)}, ${steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${kernels.value.name === 'native' ? kernels.value.tag : 'wasm'} kernels`,
    );
  },
});
