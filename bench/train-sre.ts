/**
 * Benchmark: one SRE MLP cell at paper scale (20,000 examples, batch 256, 50 epochs = 3,950
 * steps, SGD η = 0.01, γ = 5e-4, alignment measured as the run needs it: the last K = 200
 * iterations plus a trajectory point every 40 steps). Reference points on this machine (issue 3):
 * numpy/OpenBLAS 0.67 ms/step; plain tfjs-wasm 18 ms/step; target ~2 ms/step on wasm. The step runs
 * on the training kernels kernels-select.ts picks (as the stage does: HEBB_KERNELS forces a build).
 */
import { peakRssMiB, type Benchmark } from './harness.ts';

export const benchmarks: Benchmark[] = [
  {
    name: 'train-sre: one SRE MLP cell, paper scale (3,950 steps, batch 256)',
    async run() {
      const { initBackend } = await import('../src/ml/backend.ts');
      const { makeTeacher } = await import('../src/ml/teacher.ts');
      const { trainMlp } = await import('../src/ml/train.ts');
      const { selectKernels } = await import('../src/ml/kernels-select.ts');
      const { kernelSteppers } = await import('../src/ml/mlp-stepper.ts');
      const k = selectKernels();
      if (!k.ok) throw new Error(k.error.message);
      const steppers = await kernelSteppers(k.value);
      const t0 = performance.now();
      const { tf, info } = await initBackend(process.env.HEBB_BACKEND);
      const tInit = performance.now() - t0;
      const sizes = [32, 128, 128, 32];
      const t1 = performance.now();
      const data = makeTeacher({ seed: 1234, sizes, nTrain: 20000, nVal: 2000, initScale: 1 });
      const tTeacher = performance.now() - t1;
      const steps = 50 * Math.ceil(20000 / 256);
      const t2 = performance.now();
      const { metrics } = trainMlp(
        tf,
        { ...info, steppers },
        {
          sizes,
          rule: 'sgd',
          lr: 0.01,
          gamma: 5e-4,
          sigma: 0,
          noiseMode: 'persistent',
          seed: 0,
          steps,
          batch: 256,
          dropLast: false,
          windowK: 200,
          trajectoryEvery: 40,
          initScale: 1,
          stationaryThreshold: 0.02,
          collapse: { normRatio: 0.2, lossRatio: 0.5 },
          adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
          dfa: { feedbackScale: 1, clip: 5 },
          randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [128, 128, 128], outputs: 4, driveBiases: true },
          reportedLayer: 'W2',
        },
        { x: data.trainX, y: data.trainY, n: 20000 },
        { x: data.valX, y: data.valY, n: 2000 },
      );
      const total = (performance.now() - t2) / 1000;
      return {
        backend: `${info.name} ${info.version}, ${k.value.name === 'native' ? k.value.tag : 'wasm'} kernels`,
        figures: [
          { name: 'ms per step', value: (total * 1000) / steps, unit: 'ms', target: '~2 (wasm); numpy 0.67' },
          { name: 'cell total', value: total, unit: 's', target: '~8 (wasm)' },
          { name: 'backend init', value: tInit, unit: 'ms' },
          { name: 'teacher data (20k + 2k examples)', value: tTeacher, unit: 'ms' },
          { name: 'peak RSS', value: peakRssMiB(), unit: 'MiB' },
        ],
        notes: `${steps} steps; status ${metrics.status}; W2 alignment ${metrics.alignment.W2?.signal.toFixed(3)}`,
      };
    },
  },
];
