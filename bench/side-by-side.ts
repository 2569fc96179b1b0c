/**
 * Benchmark (issue 13 part 3): per model (transformer, SRE MLP, SCE MLP), hebb's step on each available kernel build next to the
 * peers present on this machine (numpy on 1 thread; torch on 1 and 2 threads; bench/peers/), run
 * interleaved in rounds (hebb wasm, hebb native, each peer, then again) so that load on the
 * machine hits every contender alike; medians of all steps, ratios to hebb's fastest build, the
 * machine's fp32 sgemm peak on one thread (numpy's BLAS) and each step's fraction of it.
 * `npm run bench -- --only side-by-side`.
 */
import type { KernelsChoice } from '../src/ml/kernels-select.ts';
import type { MlpStepperSource } from '../src/ml/mlp-stepper.ts';
import { timedReps, type Benchmark, type Figure } from './harness.ts';
import { runPeer } from './peers.ts';
import { sceStepContenders } from './train-sce.ts';

const ROUNDS = 3;
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1] ?? NaN;

/** A contender: its name and a function running `reps` timed steps (ms each), or why it is absent. */
interface Contender {
  readonly name: string;
  readonly run: (reps: number) => number[] | string;
}

function peer(lib: 'numpy' | 'torch', threads: number, script: string, args: readonly string[]): Contender {
  return {
    name: `${lib} ${threads} thread${threads > 1 ? 's' : ''}`,
    run: (reps) => {
      const r = runPeer<{ ms: number[] }>(lib, script, [...args, String(reps)], threads);
      return r.ok ? r.value.ms : r.error;
    },
  };
}

/** Interleaved rounds of every contender; one figure per contender (median ms, ratio, % of peak) or a note why absent. */
function compare(model: string, contenders: readonly Contender[], reps: number, flops: number, peak: number | null): { figures: Figure[]; notes: string[] } {
  const ms = new Map<string, number[]>();
  const absent = new Map<string, string>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of contenders) {
      if (absent.has(c.name)) continue;
      const t = c.run(reps);
      if (typeof t === 'string') absent.set(c.name, t);
      else ms.set(c.name, [...(ms.get(c.name) ?? []), ...t]);
    }
  }
  const meds = new Map([...ms].map(([k, v]) => [k, median(v)]));
  const hebbBest = Math.min(...[...meds].filter(([k]) => k.startsWith('hebb')).map(([, v]) => v));
  const figures: Figure[] = [];
  for (const c of contenders) {
    const m = meds.get(c.name);
    if (m === undefined) continue;
    const pct = peak ? ` · ${((flops / (m / 1000) / 1e9 / peak) * 100).toFixed(1)}% of peak` : '';
    figures.push({ name: `${model}: ${c.name}`, value: m, unit: `ms/step · ${(m / hebbBest).toFixed(2)}x hebb's best${pct}` });
  }
  return { figures, notes: [...absent].map(([k, why]) => `${model}: ${k} absent (${why})`) };
}

export const benchmarks: Benchmark[] = [
  {
    name: 'side-by-side: hebb (each kernel build) vs numpy / torch, one step per model, interleaved',
    async run() {
      const { rngFor } = await import('../src/ml/rng.ts');
      const { initTransformer, SRE_TRANSFORMER } = await import('../src/ml/transformer/model.ts');
      const { gradBuffers, transformerStep, workspace } = await import('../src/ml/transformer/step.ts');
      const { simdModule } = await import('../src/ml/transformer/simd.ts');
      const { selectKernels } = await import('../src/ml/kernels-select.ts');
      const { transformerStepFlops } = await import('./flops.ts');
      const sg = runPeer<{ gflops: number }>('numpy', 'sgemm.py', ['2048'], 1);
      const peak = sg.ok ? sg.value.gflops : null;
      const figures: Figure[] = [{ name: 'sgemm peak, 1 thread (numpy float32 2048²)', value: peak ?? NaN, unit: 'GFLOP/s' }];
      const notes: string[] = sg.ok ? [] : [`no sgemm peak: ${sg.error}`];

      // The transformer (the sizes of docs/definitions.md "Setups", batch 256), gradients only.
      const c = SRE_TRANSFORMER;
      const B = 256;
      const p = initTransformer(c, rngFor(0, 'init'), { scale: 1, embedStd: 1 });
      const r = rngFor(1, 'bench');
      const batch = { tokens: new Int32Array(B * c.seqLen).map(() => r.int(c.vocab)), y: r.fillNormal(new Float32Array(B * 32)), B };
      const g = gradBuffers(p);
      const mod = await simdModule();
      const hebb = (name: string, ws: ReturnType<typeof workspace>): Contender => ({
        name,
        run: (reps) => timedReps(() => transformerStep(p, batch, { mode: 'bp', hebb: false }, g, ws), reps),
      });
      const k = selectKernels({ env: {} });
      const builds = [hebb('hebb wasm', workspace(c, B, mod, { name: 'wasm' }))]; // explicitly: the default is the selected build (native when built)
      if (k.ok && k.value.name === 'native') builds.push(hebb(`hebb ${k.value.tag}`, workspace(c, B, mod, k.value)));
      else notes.push(`transformer: hebb native absent (${k.ok && k.value.name === 'wasm' ? k.value.why ?? 'not selected' : 'selection failed'})`);
      const tArgs = [[c.vocab, c.seqLen, c.dModel, c.heads, c.dFF, c.layers].join(','), c.head.join(','), String(B)];
      const tr = compare('transformer', [...builds, peer('torch', 1, 'transformer_torch.py', tArgs), peer('torch', 2, 'transformer_torch.py', tArgs)], 10, transformerStepFlops(c, B), peak);
      figures.push(...tr.figures);
      notes.push(...tr.notes);

      // The SRE MLP: hebb's step on the tfjs twin and on each kernel build (src/ml/mlp-stepper.ts), gradients only as the peers.
      const sre = [32, 128, 128, 32];
      const mlpArgs = (sizes: readonly number[], loss: string): string[] => [sizes.join(','), loss, '256'];
      // Forward, weight gradients, and input gradients of every layer but the first (nothing needs ∂L/∂x).
      const mlpFlops = (sizes: readonly number[]): number => 2 * 256 * (3 * sizes.slice(1).reduce((s, o, i) => s + sizes[i]! * o, 0) - sizes[0]! * sizes[1]!);
      const mlpBuilds = await sreMlpContenders(sre, 256, k.ok && k.value.name === 'native' ? k.value : undefined);
      const sr = compare('SRE MLP', [...mlpBuilds, peer('numpy', 1, 'mlp.py', ['numpy', ...mlpArgs(sre, 'mse')]), peer('torch', 1, 'mlp.py', ['torch', ...mlpArgs(sre, 'mse')]), peer('torch', 2, 'mlp.py', ['torch', ...mlpArgs(sre, 'mse')])], 200, mlpFlops(sre), peak);
      figures.push(...sr.figures);
      notes.push(...sr.notes);
      // The SCE MLP: hebb's step on the tfjs twin and on each kernel build (src/ml/sce/stepper.ts, bench/train-sce.ts), gradients only as the peers.
      const sce = [3072, 128, 128, 10];
      const sceBuilds = await sceStepContenders(sce, 256, k.ok && k.value.name === 'native' ? k.value : undefined);
      const res = compare('SCE MLP', [...sceBuilds, peer('numpy', 1, 'mlp.py', ['numpy', ...mlpArgs(sce, 'ce')]), peer('torch', 1, 'mlp.py', ['torch', ...mlpArgs(sce, 'ce')]), peer('torch', 2, 'mlp.py', ['torch', ...mlpArgs(sce, 'ce')])], 20, mlpFlops(sce), peak);
      figures.push(...res.figures);
      notes.push(...res.notes);
      return { backend: k.ok ? (k.value.name === 'native' ? k.value.tag : 'wasm kernels') : 'wasm kernels', figures, notes: notes.join('\n  ') };
    },
  },
];

/**
 * hebb's SRE MLP step (backprop, no H, as the peers) on the tfjs twin, the wasm kernels and,
 * when given, the native kernels: one contender each, on the same random MLP and batch.
 */
async function sreMlpContenders(sizes: readonly number[], B: number, native: KernelsChoice | undefined): Promise<Contender[]> {
  const { initBackend } = await import('../src/ml/backend.ts');
  const { rngFor } = await import('../src/ml/rng.ts');
  const { initMlp } = await import('../src/ml/mlp.ts');
  const { stepBuffers } = await import('../src/ml/mlp-tf.ts');
  const { kernelSteppers, TFJS_STEPPERS } = await import('../src/ml/mlp-stepper.ts');
  const { tf } = await initBackend(process.env.HEBB_BACKEND);
  const p = initMlp(sizes, rngFor(0, 'init'));
  const r = rngFor(1, 'bench');
  const x = r.fillNormal(new Float32Array(B * sizes[0]!));
  const y = r.fillNormal(new Float32Array(B * sizes[sizes.length - 1]!));
  const bufs = stepBuffers(sizes);
  const sources: [string, MlpStepperSource][] = [['hebb tfjs', TFJS_STEPPERS], ['hebb wasm', await kernelSteppers({ name: 'wasm' })]];
  if (native?.name === 'native') sources.push([`hebb ${native.tag}`, await kernelSteppers(native)]);
  return sources.map(([name, src]) => {
    const s = src.create(tf, sizes, B);
    const once = (): number => s.step(p, x, y, B, { mode: 'bp', hebb: false, loss: false }, bufs);
    return {
      name,
      run: (reps) => timedReps(once, reps),
    };
  });
}
