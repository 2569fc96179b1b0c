/**
 * Benchmark: the SCE step at paper shape (MLP 3072 → 128 → 128 → 10, batch 256, softmax CE) on
 * seeded random uint8 images. Prints ms/step of the bare step (gradients only), of a measured step
 * (+ H for every layer and the cosines), of batch assembly (uint8 → standardised float32 through
 * the per-channel tables), and of a short training run with the default measurement pattern, and
 * projects a paper cell (50 epochs of 50,000 = 9,800 steps). Reference (issue 6): ~28 ms/step on
 * wasm with a custom-gradient dense layer; the default tfjs gradient ~340 ms.
 */
import { peakRssMiB, type Benchmark } from './harness.ts';

export const benchmarks: Benchmark[] = [
  {
    name: 'train-sce: SCE CIFAR MLP step, paper shape (batch 256)',
    async run() {
      const { initBackend } = await import('../src/ml/backend.ts');
      const { rngFor } = await import('../src/ml/rng.ts');
      const { initSceModel } = await import('../src/ml/sce/model.ts');
      const { sceBuffers, sceStep } = await import('../src/ml/sce/step.ts');
      const { assembleBatch, standardiseTable, IMAGE_DIM } = await import('../src/ml/sce/data.ts');
      const { sceAlignments } = await import('../src/ml/sce/measure.ts');
      const { trainSce } = await import('../src/ml/sce/train.ts');
      const { tf, info } = await initBackend(process.env.HEBB_BACKEND);
      const n = 10_240;
      const B = 256;
      const C = 10;
      const sizes = [IMAGE_DIM, 128, 128, C];
      const rng = rngFor(1, 'bench');
      const images = new Uint8Array(n * IMAGE_DIM);
      for (let i = 0; i < images.length; i++) images[i] = rng.nextU32() & 255;
      const labels = Uint8Array.from({ length: n }, (_, i) => i % C);
      const set = { images, labels, n, dim: IMAGE_DIM };
      const lut = standardiseTable([125.3, 123.0, 113.9], [63.0, 62.1, 66.7]);
      const x = new Float32Array(B * IMAGE_DIM);
      const y = new Float32Array(B * C);
      const idx = rng.permutation(n).subarray(0, B);
      const time = (reps: number, f: () => void): number => {
        for (let i = 0; i < 3; i++) f();
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) f();
        return (performance.now() - t0) / reps;
      };
      const tAssemble = time(40, () => assembleBatch(set, idx, lut, x, y, C));
      const m = initSceModel(sizes, 0, 1, false);
      const bufs = sceBuffers(sizes);
      const net = { activation: 'tanh' as const, bnEps: 1e-5 };
      const xt = tf.tensor2d(x, [B, IMAGE_DIM]);
      const yt = tf.tensor2d(y, [B, C]);
      const tBare = time(40, () => void sceStep(tf, net, m, xt, yt, { hebb: false, rule: null, loss: false }, bufs));
      const tMeasured = time(40, () => {
        sceStep(tf, net, m, xt, yt, { hebb: true, rule: null, loss: false }, bufs);
        for (let l = 0; l < 3; l++) sceAlignments(bufs.gW[l]!, m.mlp.W[l]!, bufs.H[l]!, 5e-4, 0);
      });
      tf.dispose([xt, yt]);
      const steps = 400;
      const t0 = performance.now();
      const { metrics } = trainSce(tf, info, {
        sizes, activation: 'tanh', rule: 'sgd', hebbSignal: 'pre', hebbLayers: 'hidden', hebbTargetStd: null,
        lr: 0.01, gamma: 5e-4, l1: 0, batchNorm: false, bnEps: 1e-5, bnMomentum: 0.1, initScale: 1, seed: 0,
        steps, batch: B, dropLast: false, windowK: 80, trajectoryEvery: 40, measureEvery: 5, curveWindow: 80,
        evalN: 2000, trainEvalN: 2000, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.9 },
        reportedLayer: 'W2', snapshot: { layer: 'W2', size: 20 },
      }, { train: set, test: { images: images.subarray(0, 2000 * IMAGE_DIM), labels: labels.subarray(0, 2000), n: 2000, dim: IMAGE_DIM }, lut, classes: C });
      const run = (performance.now() - t0) / 1000;
      const msRun = (run * 1000) / steps;
      return {
        backend: `${info.name} ${info.version}`,
        figures: [
          { name: 'ms per step (bare: gradients only)', value: tBare, unit: 'ms', target: '~28 (wasm, issue 6)' },
          { name: 'ms per measured step (+ H, cosines)', value: tMeasured, unit: 'ms' },
          { name: 'batch assembly (uint8 → float32)', value: tAssemble, unit: 'ms' },
          { name: `ms per step, ${steps}-step run (all in)`, value: msRun, unit: 'ms' },
          { name: 'projected paper cell (9,800 steps)', value: (msRun * 9800) / 1000, unit: 's' },
          { name: 'peak RSS', value: peakRssMiB(), unit: 'MiB' },
        ],
        notes: `run: ${steps} steps (last 80 measured every step, else every 5th; test eval of 2,000 every 40), status ${metrics.status}`,
      };
    },
  },
];
