/**
 * Stage: one SCE training cell (docs/definitions.md §Setups: CIFAR-10 MLP 3072 → 128 → 128 → 10, tanh, softmax
 * cross-entropy, batch 256, η = 0.01, 50 epochs) and every variant the SCE figures need, as
 * params: activation, hidden sizes, batch, η, L2 γ, L1, batch norm, init scale, and the Hebbian
 * rules of Fig. 4. Reads the `cifar10` (or, as its stand-in, the `fashion-mnist`) stage's outputs
 * from the `data` dep, which must be the `dataset` param's; writes metrics.json
 * (src/metrics.ts, model 'sce') and sce.json (curves, accuracy, the Fig. 2 snapshot; see
 * docs/sce.md). Defaults are the paper's SCE. The step runs on the training kernels the backend
 * fact names (docs/kernels.md), as train-sre's does; the tfjs step stays as the tests' twin.
 */
import { z } from 'zod';
import { batchesPerEpoch, exactlyOneLength, lengthParams, loopConfig, perNeuronParams, phasesNeedPerNeuron, statusParams, trainingSteps, windowParams } from '../src/ml/cell-params.ts';
import { CLASSIFICATION } from '../src/ml/rules/registry.ts';
import { defineStage, single } from '../src/stage-api.ts';

/** The stage's parameters. */
export const trainSceParams = z
  .object({
    /** Which data stage the `data` dep is: the paper's CIFAR-10 (input 3072) or the Fashion-MNIST stand-in (784). */
    dataset: z.enum(['cifar10', 'fashion-mnist']).default('cifar10'),
    /** 'sgd', or a Hebbian rule of Fig. 4 (the SCE rule registry's names; the SGD gradient is still computed, to measure alignment). */
    rule: z.enum(CLASSIFICATION.names).default('sgd'),
    /** The rules' hyper-parameters, declared by their modules (src/ml/rules/): hebb_signal, hebb_layers, hebb_target_std. */
    ...CLASSIFICATION.params,
    activation: z.enum(['tanh', 'relu', 'sigmoid', 'gelu']).default('tanh'),
    /** A free label for the architecture (a matrix axis in Fig. 3 right; figures group by it). */
    arch: z.string().nullish(),
    /** Hidden layer widths (the input, 3072 or 784, and the 10 outputs are fixed by the data). */
    hidden: z.array(z.number().int().positive()).min(1).default([128, 128]),
    /** Coupled L2 weight decay γ (biases and BN parameters included). */
    gamma: z.number().nonnegative().default(0),
    /** L1 weight decay λ₁: the update adds η λ₁ sign(θ) (biases and BN parameters included). */
    l1: z.number().nonnegative().default(0),
    /** Batch norm on every hidden pre-activation (before the activation), PyTorch BatchNorm1d semantics. */
    batch_norm: z.boolean().default(false),
    bn_eps: z.number().positive().default(1e-5),
    bn_momentum: z.number().min(0).max(1).default(0.1),
    /** Multiplies the PyTorch init bound (uniform(±s/√fan_in)); Fig. 7 varies it. */
    init_scale: z.number().positive().default(1),
    seed: z.number().int().nonnegative().default(0),
    lr: z.number().positive().default(0.01),
    ...lengthParams,
    /** window_k, trajectory_every (default ⌈T/100⌉). */
    ...windowParams,
    /** Alignment measured every this many steps outside the last K (curves); every step inside them. */
    measure_every: z.number().int().positive().default(5),
    /** Window of the mean ± SD curves; default min(200, ⌈T/5⌉). */
    curve_window: z.number().int().positive().nullish(),
    /** Test images for the trajectory's loss/accuracy (the final numbers use the whole test set). */
    eval_n: z.number().int().positive().default(2000),
    /** Training images for the final training loss/accuracy (default: all). */
    train_eval_n: z.number().int().positive().nullish(),
    /** Decision: collapsed when ‖W‖ < collapse_norm_ratio × initial and test CE > collapse_loss_ratio × ln(10). */
    ...statusParams(0.9),
    reported_layer: z.string().regex(/^W[1-9][0-9]*$/).default('W2'),
    /** Fig. 2: crop size of the end-of-training snapshot of `snapshot_layer` (0: none). */
    snapshot_size: z.number().int().nonnegative().default(20),
    snapshot_layer: z.string().regex(/^W[1-9][0-9]*$/).default('W2'),
    /** Fig. 12: also snapshot the end of the first epoch and the window's lowest-cosine step (sce.json fig12). */
    fig12_snapshots: z.boolean().default(false),
    /** The paper's Section 5: per_neuron, per_neuron_every. */
    ...perNeuronParams,
  })
  .strict()
  .refine(...exactlyOneLength)
  .refine(...phasesNeedPerNeuron);

export default defineStage({
  params: trainSceParams,
  async run(ctx) {
    const { join } = await import('node:path');
    const { writeFile } = await import('node:fs/promises');
    const { readImageDataset } = await import('../src/data/image-dataset.ts');
    const { initBackend } = await import('../src/ml/backend.ts');
    const { backendNameFromFact, kernelsFromFact } = await import('../src/ml/backend-fact.ts');
    const { kernelsForFact } = await import('../src/ml/kernels-select.ts');
    const { kernelSceSteppers } = await import('../src/ml/sce/stepper.ts');
    const { defaultWindow } = await import('../src/ml/alignment.ts');
    const { standardiseTable, headOf } = await import('../src/ml/sce/data.ts');
    const { trainSce } = await import('../src/ml/sce/train.ts');
    const p = ctx.params;
    const dir = single(ctx.inputs.data, 'data').path;
    const ds = await readImageDataset(dir);
    if (ds.dataset !== p.dataset) {
      throw new Error(`the data dep holds ${ds.dataset} but the cell's dataset param is '${p.dataset}': set dataset: ${ds.dataset} on the stage, or point its data dep at the ${p.dataset} stage`);
    }
    const { train, test } = ds;
    const dim = ds.imageShape[0] * ds.imageShape[1] * ds.imageShape[2];
    const n = p.n_train ?? train.count;
    if (n > train.count) throw new Error(`n_train ${n} exceeds the ${train.count} training images`);
    const perEpoch = batchesPerEpoch(n, p.batch, p.drop_last);
    if (perEpoch < 1) throw new Error(`batch ${p.batch} is larger than the ${n} training images with drop_last`);
    const steps = trainingSteps(p, perEpoch);
    const { tf, info } = await initBackend(backendNameFromFact(ctx.env.backend));
    // The step runs on the kernels the fact (and so the cache key) names, never another build.
    const kernels = kernelsForFact(kernelsFromFact(ctx.env.backend));
    if (!kernels.ok) throw new Error(kernels.error.message);
    const steppers = await kernelSceSteppers(kernels.value);
    const classes = ds.classes.length;
    const trainSet = headOf({ images: train.images, labels: train.labels, n: train.count, dim }, n);
    const result = trainSce(
      tf,
      { ...info, steppers },
      {
        ...loopConfig(p, steps, 100),
        sizes: [dim, ...p.hidden, classes],
        activation: p.activation,
        rule: p.rule,
        ...CLASSIFICATION.options(p),
        l1: p.l1,
        batchNorm: p.batch_norm,
        bnEps: p.bn_eps,
        bnMomentum: p.bn_momentum,
        initScale: p.init_scale,
        measureEvery: p.measure_every,
        curveWindow: p.curve_window ?? defaultWindow(steps),
        evalN: p.eval_n,
        trainEvalN: p.train_eval_n ?? n,
        reportedLayer: p.reported_layer,
        snapshot: p.snapshot_size > 0 ? { layer: p.snapshot_layer, size: p.snapshot_size } : null,
        fig12: p.fig12_snapshots,
        perNeuron: p.per_neuron,
        perNeuronEvery: p.per_neuron_every ?? null,
      },
      { train: trainSet, test: { images: test.images, labels: test.labels, n: test.count, dim }, lut: standardiseTable(ds.channelMean, ds.channelStd), classes },
      { log: (msg) => ctx.log(msg), progress: (d, t) => ctx.progress(d, t) },
    );
    const m = result.metrics;
    const synthetic = ds.synthetic !== null;
    await writeFile(join(ctx.outDir, 'metrics.json'), JSON.stringify(m));
    await writeFile(join(ctx.outDir, 'sce.json'), JSON.stringify({ ...result.extras, config: p, dataset: ds.dataset, synthetic, note: ds.note }));
    const rep = m.alignment[m.reportedLayer];
    ctx.log(
      `${m.rule} ${p.activation} [${p.hidden.join(',')}] γ=${p.gamma} λ1=${p.l1}${p.batch_norm ? ' BN' : ''} η=${p.lr} B=${p.batch} seed=${p.seed}: ${m.status}, ` +
        `${m.reportedLayer} alignment ${rep?.signal.toFixed(3)} (full ${rep?.full.toFixed(3)}), test acc ${m.loss.valAcc?.toFixed(3)}, ` +
        `${m.steps} steps, ${result.msPerStep.toFixed(1)} ms/step on ${kernels.value.name === 'native' ? kernels.value.tag : 'wasm'} kernels${ds.note ? ` — ${ds.note}` : ''}`,
    );
  },
});
