/**
 * Benchmark: the SRE transformer step at batch 256 (docs/definitions.md §Setups model: 32 tokens, 2 post-norm layers,
 * 4 heads, MLP head), fast hand-written step vs the plain tfjs twin (autograd) in the same
 * process, and one smoke-profile cell. Issue 4's reference points on this machine: a
 * straightforward tfjs-wasm step ~234 ms; goal ≤ 60 ms. `npm run bench -- --only transformer`,
 * or alone: `node bin/run-ts.js bench/train-transformer.ts`.
 */
import { pathToFileURL } from 'node:url';
import { peakRssMiB, type Benchmark, type Figure } from './harness.ts';

/** Mean ms of `reps` calls after `warm` warm-up calls. */
function timeIt(f: () => void, warm: number, reps: number): number {
  for (let i = 0; i < warm; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'train-transformer: one SRE transformer step, batch 256 (fast step vs plain tfjs twin) and one smoke cell',
    async run() {
      const { initBackend } = await import('../src/ml/backend.ts');
      const { rngFor } = await import('../src/ml/rng.ts');
      const { initTransformer, SRE_TRANSFORMER } = await import('../src/ml/transformer/model.ts');
      const { gradBuffers, transformerStep, workspace } = await import('../src/ml/transformer/step.ts');
      const { simdModule } = await import('../src/ml/transformer/simd.ts');
      const { twinLossAndGrads } = await import('../src/ml/transformer/twin.ts');
      const { makeTransformerTeacher } = await import('../src/ml/transformer/teacher.ts');
      const { trainTransformer } = await import('../src/ml/transformer/train.ts');
      const { tf, info } = await initBackend(process.env.HEBB_BACKEND);
      const c = SRE_TRANSFORMER;
      const p = initTransformer(c, rngFor(0, 'init'), { scale: 1, embedStd: 1 });
      const B = 256;
      const r = rngFor(1, 'bench');
      const tokens = new Int32Array(B * c.seqLen).map(() => r.int(c.vocab));
      const y = r.fillNormal(new Float32Array(B * 32));
      const ws = workspace(c, B, await simdModule());
      const g = gradBuffers(p);
      const step = (hebb: boolean) => () => transformerStep(p, { tokens, y, B }, { mode: 'bp', hebb }, g, ws);
      const fast = timeIt(step(false), 3, 10);
      const measured = timeIt(step(true), 2, 5);
      const twin = timeIt(() => twinLossAndGrads(tf, p, tokens, y, B), 2, 5);
      // One smoke cell (pipeline.yaml's smoke profile: 2,048 sequences, batch 64, 500 steps, 512 validation; raw targets).
      const t0 = performance.now();
      const data = makeTransformerTeacher({ seed: 4321, model: c, nTrain: 2048, nVal: 512, init: { scale: 1, embedStd: 1 }, standardize: false });
      const tTeacher = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const { metrics } = await trainTransformer(
        tf,
        info,
        {
          model: c, rule: 'sgd', lr: 0.3, gamma: 5e-3, sigma: 0, seed: 0, steps: 500, batch: 64, dropLast: false, windowK: 100, trajectoryEvery: 25,
          init: { scale: 1, embedStd: 1 }, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.5 },
          adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 }, dfa: { feedbackScale: 1, clip: 5 },
          randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [128, 128, 128], outputs: 4, driveBiases: true }, reportedLayer: 'W2',
        },
        { tokens: data.trainTokens, y: data.trainY, n: 2048 },
        { tokens: data.valTokens, y: data.valY, n: 512 },
      );
      const tCell = (performance.now() - t1) / 1000;
      const figures: Figure[] = [
        { name: 'fast step (G only), ms/step', value: fast, unit: 'ms', target: '≤ 60 (issue 4); straightforward ~234' },
        { name: 'fast step + H of every matrix, ms/step', value: measured, unit: 'ms' },
        { name: 'plain tfjs twin (autograd), ms/step', value: twin, unit: 'ms' },
        { name: 'speed-up over the twin', value: twin / fast, unit: 'x' },
        { name: 'smoke teacher (2,048 + 512 sequences)', value: tTeacher, unit: 's' },
        { name: 'smoke cell (500 steps, batch 64)', value: tCell, unit: 's' },
        { name: 'peak RSS', value: peakRssMiB(), unit: 'MiB' },
      ];
      return { backend: `${info.name} ${info.version}`, figures, notes: `smoke cell status ${metrics.status}; timings are wall-clock and depend on the machine's load` };
    },
  },
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const b of benchmarks) {
    const res = await b.run();
    console.log(`${b.name} (backend: ${res.backend})`);
    for (const f of res.figures) console.log(`  ${f.name.padEnd(42)} ${f.value.toPrecision(4).padStart(10)} ${f.unit}${f.target ? `   (target ${f.target})` : ''}`);
    if (res.notes) console.log(`  ${res.notes}`);
  }
}
