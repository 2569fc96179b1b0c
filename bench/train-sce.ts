/**
 * Benchmark: the SCE step at paper shape (MLP 3072 → 128 → 128 → 10, tanh, batch 256, softmax CE)
 * on seeded random images. hebb's step on the tfjs twin and on each available kernel build
 * (src/ml/sce/stepper.ts) next to the numpy peer (1 thread, bench/peers/mlp.py with `ce`),
 * interleaved in rounds so that load hits every contender alike: medians of the bare step
 * (gradients only, as the peer) and of a measured step (+ H for every layer and the cosines).
 * Then batch assembly (uint8 → standardised float32) and a short training run on the kernels the
 * stage would pick (kernels-select.ts; HEBB_KERNELS forces a build) in a paper cell's proportions
 * (50 epochs of 50,000 = 9,800 steps: the last 2% of the steps measured every step, every 5th
 * measured elsewhere, a 2,000-image test evaluation every 98 steps), projected to a paper cell.
 * HEBB_BENCH_SCE_REPS (default 20) timed steps per contender and round, HEBB_BENCH_SCE_STEPS
 * (default 400) steps in the run: set both small to check that the bench runs.
 * Reference (issue 6): ~28 ms/step on tfjs wasm with the hand-written gradient; numpy ~6-7x faster per core.
 */
import type { KernelsChoice } from '../src/ml/kernels-select.ts';
import { peakRssMiB, timedReps, type Benchmark, type Figure } from './harness.ts';
import { runPeer } from './peers.ts';

const ROUNDS = 3;
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] ?? NaN;
const envInt = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
};

/** A contender of the side-by-side: `run(reps)` times that many steps (ms each), or says why it is absent. */
export interface StepContender {
  readonly name: string;
  readonly run: (reps: number) => number[] | string;
}

/**
 * hebb's SCE step (tanh, no batch norm) on the tfjs twin, the wasm kernels and, when given, the
 * native kernels, on one random model and batch of `B` rows: one contender each; `measured` adds
 * H for every layer (the alignment's input) to each step.
 */
export async function sceStepContenders(sizes: readonly number[], B: number, native: KernelsChoice | undefined, measured = false): Promise<StepContender[]> {
  const { initBackend } = await import('../src/ml/backend.ts');
  const { rngFor } = await import('../src/ml/rng.ts');
  const { initSceModel } = await import('../src/ml/sce/model.ts');
  const { sceBuffers } = await import('../src/ml/sce/step.ts');
  const { kernelSceSteppers, TFJS_SCE_STEPPERS } = await import('../src/ml/sce/stepper.ts');
  const { tf } = await initBackend(process.env.HEBB_BACKEND);
  const m = initSceModel(sizes, 0, 1, false);
  const r = rngFor(1, 'bench');
  const C = sizes[sizes.length - 1]!;
  const x = r.fillNormal(new Float32Array(B * sizes[0]!));
  const y = new Float32Array(B * C);
  for (let i = 0; i < B; i++) y[i * C + (i % C)] = 1;
  const bufs = sceBuffers(sizes);
  const net = { activation: 'tanh' as const, bnEps: 1e-5 };
  const sources: [string, Awaited<ReturnType<typeof kernelSceSteppers>>][] = [['hebb tfjs', TFJS_SCE_STEPPERS], ['hebb wasm', await kernelSceSteppers({ name: 'wasm' })]];
  if (native?.name === 'native') sources.push([`hebb ${native.tag}`, await kernelSceSteppers(native)]);
  return sources.map(([name, src]) => {
    const s = src.create(tf, net, sizes, B);
    // As the trainer runs it: in the stepper's own memory where it offers it (the kernel arena).
    const sh = s.shared?.(m);
    sh?.x.set(x);
    sh?.y.set(y);
    const [sm, sx, sy, sb] = sh ? [sh.model, sh.x, sh.y, sh.bufs] : [m, x, y, bufs];
    const once = (): void => void s.step(sm, sx, sy, B, { hebb: measured, rule: null, loss: false }, sb);
    return {
      name,
      run: (reps) => timedReps(once, reps),
    };
  });
}

/** Rounds of every contender in turn; the median ms of each (and why the absent ones are absent). */
function interleaved(contenders: readonly StepContender[], reps: number): { ms: Map<string, number>; absent: Map<string, string> } {
  const all = new Map<string, number[]>();
  const absent = new Map<string, string>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of contenders) {
      if (absent.has(c.name)) continue;
      const t = c.run(reps);
      if (typeof t === 'string') absent.set(c.name, t);
      else all.set(c.name, [...(all.get(c.name) ?? []), ...t]);
    }
  }
  return { ms: new Map([...all].map(([k, v]) => [k, median(v)])), absent };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'train-sce: SCE CIFAR MLP step, paper shape (batch 256): hebb tfjs / wasm / native vs numpy',
    async run() {
      const { initBackend } = await import('../src/ml/backend.ts');
      const { selectKernels } = await import('../src/ml/kernels-select.ts');
      const { rngFor } = await import('../src/ml/rng.ts');
      const { assembleBatch, standardiseTable, IMAGE_DIM } = await import('../src/ml/sce/data.ts');
      const { kernelSceSteppers } = await import('../src/ml/sce/stepper.ts');
      const { trainSce } = await import('../src/ml/sce/train.ts');
      const { tf, info } = await initBackend(process.env.HEBB_BACKEND);
      const reps = envInt('HEBB_BENCH_SCE_REPS', 20);
      const steps = envInt('HEBB_BENCH_SCE_STEPS', 400);
      const B = 256;
      const C = 10;
      const sizes = [IMAGE_DIM, 128, 128, C];
      const k = selectKernels();
      if (!k.ok) throw new Error(k.error.message);
      const native = k.value.name === 'native' ? k.value : undefined;
      const notes: string[] = [];
      if (!native) notes.push(`hebb native absent (${k.value.name === 'wasm' ? k.value.why ?? 'HEBB_KERNELS=wasm' : ''})`);

      const numpy: StepContender = {
        name: 'numpy 1 thread',
        run: (n) => {
          const p = runPeer<{ ms: number[] }>('numpy', 'mlp.py', ['numpy', sizes.join(','), 'ce', String(B), String(n)], 1);
          return p.ok ? p.value.ms : p.error;
        },
      };
      const bare = interleaved([...(await sceStepContenders(sizes, B, native)), numpy], reps);
      const measured = interleaved(await sceStepContenders(sizes, B, native, true), reps);
      const best = Math.min(...[...bare.ms].filter(([name]) => name.startsWith('hebb')).map(([, v]) => v));
      const figures: Figure[] = [];
      for (const [name, v] of bare.ms) figures.push({ name: `step, gradients only: ${name}`, value: v, unit: `ms · ${(v / best).toFixed(2)}x hebb's best`, ...(name === 'hebb tfjs' ? { target: '~28 (issue 6)' } : {}) });
      for (const [name, v] of measured.ms) figures.push({ name: `step + H (measured): ${name}`, value: v, unit: 'ms' });
      notes.push(...[...bare.absent].map(([name, why]) => `${name} absent (${why})`));

      // Batch assembly and a short run on the kernels the stage would pick.
      const n = 10_240;
      const rng = rngFor(1, 'bench');
      const images = new Uint8Array(n * IMAGE_DIM);
      for (let i = 0; i < images.length; i++) images[i] = rng.nextU32() & 255;
      const labels = Uint8Array.from({ length: n }, (_, i) => i % C);
      const set = { images, labels, n, dim: IMAGE_DIM };
      const lut = standardiseTable([125.3, 123.0, 113.9], [63.0, 62.1, 66.7]);
      const x = new Float32Array(B * IMAGE_DIM);
      const y = new Float32Array(B * C);
      const idx = rng.permutation(n).subarray(0, B);
      for (let i = 0; i < 20; i++) assembleBatch(set, idx, lut, x, y, C); // past the JIT tiers
      const tA = performance.now();
      for (let i = 0; i < reps; i++) assembleBatch(set, idx, lut, x, y, C);
      const tAssemble = (performance.now() - tA) / reps;
      const evalN = Math.min(2000, n);
      // A paper cell's proportions: K = 200 of 9,800 steps, a trajectory point every 98.
      const windowK = Math.max(1, Math.round((steps * 200) / 9800));
      const trajectoryEvery = Math.min(steps, 98);
      const t0 = performance.now();
      const { metrics } = trainSce(tf, { ...info, steppers: await kernelSceSteppers(k.value) }, {
        sizes, activation: 'tanh', rule: 'sgd', hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: null }, oja: { signal: 'pre', layers: 'hidden' },
        lr: 0.01, gamma: 5e-4, l1: 0, batchNorm: false, bnEps: 1e-5, bnMomentum: 0.1, initScale: 1, seed: 0,
        steps, batch: B, dropLast: false, windowK, trajectoryEvery,
        measureEvery: 5, curveWindow: Math.max(1, Math.floor(steps / 5)), evalN, trainEvalN: evalN, stationaryThreshold: 0.02,
        collapse: { normRatio: 0.2, lossRatio: 0.9 }, reportedLayer: 'W2', snapshot: { layer: 'W2', size: 20 },
      }, { train: set, test: { images: images.subarray(0, evalN * IMAGE_DIM), labels: labels.subarray(0, evalN), n: evalN, dim: IMAGE_DIM }, lut, classes: C });
      const msRun = (performance.now() - t0) / steps;
      const runOn = native ? native.tag : 'wasm';
      figures.push(
        { name: 'batch assembly (uint8 → float32)', value: tAssemble, unit: 'ms' },
        { name: `ms per step, ${steps}-step run on ${runOn} (all in)`, value: msRun, unit: 'ms' },
        { name: `projected paper cell on ${runOn} (9,800 steps)`, value: (msRun * 9800) / 1000, unit: 's' },
        { name: 'peak RSS', value: peakRssMiB(), unit: 'MiB' },
      );
      notes.push(
        `${ROUNDS} interleaved rounds of ${reps} steps per contender; run: ${steps} steps (last ${windowK} measured every step, else every 5th; ` +
          `test eval of ${evalN} every ${trajectoryEvery}), status ${metrics.status}; timings mean something only on a quiet host`,
      );
      return { backend: `${info.name} ${info.version}; run on ${runOn} kernels`, figures, notes: notes.join('\n  ') };
    },
  },
];
