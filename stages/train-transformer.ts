/**
 * Stage: one SRE transformer training cell (docs/definitions.md §Setups, §Learning rules): a learning rule × γ × seed × the
 * profile's other params. Reads the teacher's sequences and targets from the `data` dep, trains
 * the student, writes metrics.json (src/metrics.ts, model 'transformer', every weight matrix)
 * and weights.json. Every decision is a param with docs/definitions.md's (or docs/transformer.md's) default.
 */
import { z } from 'zod';
import { batchesPerEpoch, exactlyOneLength, lengthParams, loopConfig, statusParams, trainingSteps, windowParams } from '../src/ml/cell-params.ts';
import { RULE_NAMES, RULE_PARAMS, ruleOptions } from '../src/ml/rules/registry.ts';
import { defineStage, single } from '../src/stage-api.ts';

const params = z
  .object({
    /** The learning rule: a name of the rule registry (src/ml/rules/registry.ts: sgd | adam | dfa | randomnn). */
    rule: z.enum(RULE_NAMES),
    /** Weight decay γ (coupled L2, every parameter). */
    gamma: z.number().nonnegative(),
    /** Persistent noise σ added to every parameter at the start of every iteration. */
    sigma: z.number().nonnegative().default(0),
    seed: z.number().int().nonnegative(),
    lr: z.number().positive(),
    ...lengthParams,
    /** Multiplies the uniform(±1/√fan_in) bound of every linear layer (1 = PyTorch). */
    init_scale: z.number().positive().default(1),
    /** Decision: token and position embeddings ~ N(0, embed_init_std²). */
    embed_init_std: z.number().positive().default(1),
    /** The attention projections' init: like every linear layer (ours), or torch.nn.MultiheadAttention's (Xavier in-projection, zero biases). */
    attention_init: z.enum(['fan_in', 'pytorch']).default('fan_in'),
    /** window_k, trajectory_every (each point costs a validation pass; default ⌈T/20⌉). */
    ...windowParams,
    ...statusParams(0.5),
    /** Every rule's hyper-parameters, declared by the rule's module (adam_*, dfa_*, randomnn_*; src/ml/rules/). RandomNN's fixed network reads V (the token histogram). */
    ...RULE_PARAMS,
    /** The matrix Table 1 reports; default W1 (the head's 1st) for DFA, else W2 (the head's 2nd). */
    reported_layer: z.string().min(1).nullish(),
  })
  .strict()
  .refine(...exactlyOneLength);

export default defineStage({
  params,
  async run(ctx) {
    const { join } = await import('node:path');
    const { readFile, writeFile } = await import('node:fs/promises');
    const { readNpy } = await import('../src/util/npy.ts');
    const { initBackend } = await import('../src/ml/backend.ts');
    const { backendNameFromFact, kernelsFromFact } = await import('../src/ml/backend-fact.ts');
    const { kernelsForFact } = await import('../src/ml/kernels-select.ts');
    const { trainTransformer } = await import('../src/ml/transformer/train.ts');
    const { transformerToJson } = await import('../src/ml/transformer/model.ts');
    const p = ctx.params;
    const dir = single(ctx.inputs.data, 'data').path;
    const [tt, ty, vt, vy] = await Promise.all(['train_tokens', 'train_y', 'val_tokens', 'val_y'].map((n) => readNpy(join(dir, `${n}.npy`))));
    const teacher = JSON.parse(await readFile(join(dir, 'teacher.json'), 'utf8')) as {
      config: { vocab: number; seq_len: number; d_model: number; heads: number; d_ff: number; layers: number; head: number[] };
    };
    const tc = teacher.config;
    const model = { vocab: tc.vocab, seqLen: tc.seq_len, dModel: tc.d_model, heads: tc.heads, dFF: tc.d_ff, layers: tc.layers, head: tc.head };
    const T = model.seqLen;
    const dOut = model.head[model.head.length - 1]!;
    const available = tt!.shape[0]!;
    const n = p.n_train ?? available;
    if (n > available) throw new Error(`n_train ${n} exceeds the teacher's ${available} training sequences`);
    const steps = trainingSteps(p, batchesPerEpoch(n, p.batch, p.drop_last));
    const { tf, info } = await initBackend(backendNameFromFact(ctx.env.backend));
    // The kernels the fact (and so the cache key) names, never another build.
    const kernels = kernelsForFact(kernelsFromFact(ctx.env.backend));
    if (!kernels.ok) throw new Error(kernels.error.message);
    const t0 = Date.now();
    const result = await trainTransformer(
      tf,
      { ...info, kernels: kernels.value },
      {
        ...loopConfig(p, steps, 20),
        model,
        rule: p.rule,
        sigma: p.sigma,
        init: { scale: p.init_scale, embedStd: p.embed_init_std, attention: p.attention_init },
        ...ruleOptions(p),
        reportedLayer: p.reported_layer ?? (p.rule === 'dfa' ? 'W1' : 'W2'),
      },
      { tokens: (tt!.data as Int32Array).subarray(0, n * T), y: (ty!.data as Float32Array).subarray(0, n * dOut), n },
      { tokens: vt!.data as Int32Array, y: vy!.data as Float32Array, n: vt!.shape[0]! },
      { log: (m) => ctx.log(m), progress: (d, t) => ctx.progress(d, t) },
    );
    const m = result.metrics;
    await writeFile(join(ctx.outDir, 'metrics.json'), JSON.stringify(m));
    await writeFile(join(ctx.outDir, 'weights.json'), JSON.stringify({ config: p, steps: m.steps, params: transformerToJson(result.params) }));
    const rep = m.alignment[m.reportedLayer];
    ctx.log(
      `transformer ${p.rule} γ=${p.gamma} seed=${p.seed}: ${m.status}, ${m.reportedLayer} alignment ${rep?.signal.toFixed(3)} ` +
        `(full ${rep?.full.toFixed(3)}), val MSE ${m.loss.valFinal.toExponential(3)}, ${m.steps} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
        `(${((Date.now() - t0) / Math.max(1, m.steps)).toFixed(1)} ms/step) on ${info.name}, ${kernels.value.name === 'native' ? kernels.value.tag : 'wasm'} kernels`,
    );
  },
});
