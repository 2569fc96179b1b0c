/**
 * Stage: the SRE transformer teacher (docs/definitions.md §Setups). One cell: a teacher transformer from its own
 * seed, token sequences uniform over the vocabulary, targets = teacher(tokens), standardised per
 * output over the training set (the decision `standardize_targets` (docs/definitions.md §Setups)). Writes the sequences as
 * int32 .npy [n, T], the targets as float32 .npy [n, d_out], and teacher.json (config, the
 * standardisation, the target variance and the parameters).
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';

const params = z
  .object({
    /** The teacher's own seed (parameters and tokens). */
    seed: z.number().int().nonnegative(),
    n_train: z.number().int().positive(),
    n_val: z.number().int().positive().default(2000),
    vocab: z.number().int().min(2).default(16),
    seq_len: z.number().int().positive().default(32),
    d_model: z.number().int().positive().default(32),
    heads: z.number().int().positive().default(4),
    d_ff: z.number().int().positive().default(32),
    layers: z.number().int().positive().default(2),
    /** The MLP head's widths, input first (input = d_model). */
    head: z.array(z.number().int().positive()).min(2).default([32, 128, 128, 32]),
    /** Multiplies the uniform(±1/√fan_in) bound of every linear layer (1 = PyTorch). */
    init_scale: z.number().positive().default(1),
    /** Decision: token and position embeddings ~ N(0, embed_init_std²) (1 = torch.nn.Embedding). */
    embed_init_std: z.number().positive().default(1),
    /** The attention projections' init (as train-transformer's attention_init): it sets the raw targets' variance. */
    attention_init: z.enum(['fan_in', 'pytorch']).default('fan_in'),
    /** Zero mean, unit variance per output over the training set (docs/definitions.md §Setups; the paper's setup is false). */
    standardize_targets: z.boolean().default(true),
  })
  .strict();

export default defineStage({
  params,
  async run(ctx) {
    const { join } = await import('node:path');
    const { writeFile } = await import('node:fs/promises');
    const { makeTransformerTeacher } = await import('../src/ml/transformer/teacher.ts');
    const { transformerToJson } = await import('../src/ml/transformer/model.ts');
    const { writeNpy } = await import('../src/util/npy.ts');
    const { targetVariance } = await import('../src/ml/alignment.ts');
    const p = ctx.params;
    const model = { vocab: p.vocab, seqLen: p.seq_len, dModel: p.d_model, heads: p.heads, dFF: p.d_ff, layers: p.layers, head: p.head };
    const t0 = Date.now();
    const d = makeTransformerTeacher({
      seed: p.seed,
      model,
      nTrain: p.n_train,
      nVal: p.n_val,
      init: { scale: p.init_scale, embedStd: p.embed_init_std, attention: p.attention_init },
      standardize: p.standardize_targets,
    });
    const dOut = p.head[p.head.length - 1]!;
    await writeNpy(join(ctx.outDir, 'train_tokens.npy'), { dtype: 'int32', shape: [p.n_train, p.seq_len], data: d.trainTokens });
    await writeNpy(join(ctx.outDir, 'train_y.npy'), { dtype: 'float32', shape: [p.n_train, dOut], data: d.trainY });
    await writeNpy(join(ctx.outDir, 'val_tokens.npy'), { dtype: 'int32', shape: [p.n_val, p.seq_len], data: d.valTokens });
    await writeNpy(join(ctx.outDir, 'val_y.npy'), { dtype: 'float32', shape: [p.n_val, dOut], data: d.valY });
    const targetVar = targetVariance(d.valY, p.n_val, dOut);
    const rawVar = d.rawStd.reduce((s, v) => s + v * v, 0) / dOut;
    const teacher = {
      config: p,
      standardization: { applied: p.standardize_targets, rawMean: d.rawMean, rawStd: d.rawStd, rawTrainVariance: rawVar },
      targetVarVal: targetVar,
      params: transformerToJson(d.params),
    };
    await writeFile(join(ctx.outDir, 'teacher.json'), JSON.stringify(teacher));
    ctx.log(
      `transformer teacher seed ${p.seed}: ${p.n_train} train / ${p.n_val} val sequences, raw target variance ${rawVar.toExponential(3)}` +
        `${p.standardize_targets ? ' (standardised)' : ''}, val target variance ${targetVar.toExponential(3)}, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  },
});
