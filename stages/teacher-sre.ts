/**
 * Stage: the SRE teacher (docs/definitions.md §Setups). One cell: a teacher MLP from its own seed, inputs
 * x ~ N(0, I), targets y = teacher(x); writes the train/validation sets as .npy (float32,
 * [n, d]) so a Python user can np.load them, and teacher.json (config + parameters in PyTorch's
 * [out][in] layout).
 */
import { z } from 'zod';
import { defineStage } from '../src/stage-api.ts';

const params = z
  .object({
    /** The teacher's own seed (parameters and inputs). */
    seed: z.number().int().nonnegative(),
    n_train: z.number().int().positive(),
    n_val: z.number().int().positive().default(2000),
    /** Layer widths, input first. */
    sizes: z.array(z.number().int().positive()).min(2).default([32, 128, 128, 32]),
    /** Multiplies the PyTorch init bound of the teacher's parameters (1 = PyTorch). */
    init_scale: z.number().positive().default(1),
  })
  .strict();

export default defineStage({
  params,
  async run(ctx) {
    const { join } = await import('node:path');
    const { writeFile } = await import('node:fs/promises');
    const { makeTeacher } = await import('../src/ml/teacher.ts');
    const { writeNpy } = await import('../src/util/npy.ts');
    const { paramsToJson } = await import('../src/ml/mlp.ts');
    const { targetVariance } = await import('../src/ml/alignment.ts');
    const p = ctx.params;
    const d = makeTeacher({ seed: p.seed, sizes: p.sizes, nTrain: p.n_train, nVal: p.n_val, initScale: p.init_scale });
    const dIn = p.sizes[0]!;
    const dOut = p.sizes[p.sizes.length - 1]!;
    await writeNpy(join(ctx.outDir, 'train_x.npy'), { dtype: 'float32', shape: [p.n_train, dIn], data: d.trainX });
    await writeNpy(join(ctx.outDir, 'train_y.npy'), { dtype: 'float32', shape: [p.n_train, dOut], data: d.trainY });
    await writeNpy(join(ctx.outDir, 'val_x.npy'), { dtype: 'float32', shape: [p.n_val, dIn], data: d.valX });
    await writeNpy(join(ctx.outDir, 'val_y.npy'), { dtype: 'float32', shape: [p.n_val, dOut], data: d.valY });
    const targetVar = targetVariance(d.valY, p.n_val, dOut);
    const teacher = { config: p, activation: 'tanh', targetVarVal: targetVar, params: paramsToJson(d.params) };
    await writeFile(join(ctx.outDir, 'teacher.json'), JSON.stringify(teacher));
    ctx.log(`teacher seed ${p.seed}: ${p.n_train} train / ${p.n_val} val examples, target variance ${targetVar.toExponential(3)}`);
  },
});
