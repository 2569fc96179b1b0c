/**
 * Calibration of the SRE transformer's Table 1 cells (issue 4; docs/calibration/transformer-smoke.md):
 * trains ONE cell with the same loop as stages/train-transformer.ts and prints one JSON line of
 * the numbers that decide a smoke setting (reported-layer alignment over the last K iterations,
 * its trajectory, full-update alignment, drift, norm ratio, val MSE, status, wall time). The line
 * is also appended to --out (default /tmp/calib/results.jsonl).
 *
 *   node bin/run-ts.js scripts/calibrate-transformer.ts --rule sgd --lr 1 --gamma 5e-3 --seed 0 \
 *     --steps 1000 --batch 256 --n-train 2048 --n-val 512
 *
 * The teacher's data are cached under --cache (default /tmp/calib/teacher) keyed by
 * (seed, n_train, n_val, standardize), so repeated cells do not rebuild it. Backend:
 * HEBB_BACKEND as in the bench. One process = one cell: run sweeps sequentially.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    rule: { type: 'string', default: 'sgd' },
    lr: { type: 'string' },
    gamma: { type: 'string', default: '0' },
    seed: { type: 'string', default: '0' },
    steps: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '256' },
    'n-train': { type: 'string', default: '2048' },
    'n-val': { type: 'string', default: '512' },
    'window-k': { type: 'string' },
    'trajectory-points': { type: 'string', default: '20' },
    'dfa-clip': { type: 'string', default: '5' },
    'teacher-seed': { type: 'string', default: '4321' },
    /** standardize_targets (docs/definitions.md §Setups: true here, the first decision; the pipeline now trains on raw targets); 'false' is a diagnostic only. */
    standardize: { type: 'string', default: 'true' },
    tag: { type: 'string', default: '' },
    out: { type: 'string', default: '/tmp/calib/results.jsonl' },
    cache: { type: 'string', default: '/tmp/calib/teacher' },
  },
  strict: true,
});

const rule = a.rule as 'sgd' | 'adam' | 'dfa' | 'randomnn';
if (!['sgd', 'adam', 'dfa', 'randomnn'].includes(rule)) throw new Error(`unknown rule ${rule}`);
const defaultLr = { sgd: 0.3, adam: 0.001, dfa: 0.3, randomnn: 0.5 }[rule];
const lr = a.lr !== undefined ? Number(a.lr) : defaultLr;
const gamma = Number(a.gamma);
const seed = Number(a.seed);
const steps = Number(a.steps);
const batch = Number(a.batch);
const nTrain = Number(a['n-train']);
const nVal = Number(a['n-val']);
const teacherSeed = Number(a['teacher-seed']);
const standardize = a.standardize !== 'false';
const windowK = a['window-k'] !== undefined ? Number(a['window-k']) : Math.min(200, Math.ceil(steps / 5));
const trajectoryEvery = Math.ceil(steps / Number(a['trajectory-points']));
const reportedLayer = rule === 'dfa' ? 'W1' : 'W2';

const { initBackend } = await import('../src/ml/backend.ts');
const { SRE_TRANSFORMER } = await import('../src/ml/transformer/model.ts');
const { makeTransformerTeacher } = await import('../src/ml/transformer/teacher.ts');
const { trainTransformer } = await import('../src/ml/transformer/train.ts');
const { tf, info } = await initBackend(process.env.HEBB_BACKEND);
const c = SRE_TRANSFORMER;
const T = c.seqLen;
const dOut = c.head[c.head.length - 1]!;

/** The teacher's data, from the cache when present (raw little-endian typed-array bytes). */
function teacherData(): { trainTokens: Int32Array; trainY: Float32Array; valTokens: Int32Array; valY: Float32Array } {
  const dir = join(a.cache!, `s${teacherSeed}-n${nTrain}-v${nVal}-std${standardize ? 1 : 0}`);
  const names = ['train_tokens', 'train_y', 'val_tokens', 'val_y'] as const;
  const read = (n: string): Buffer => readFileSync(join(dir, `${n}.bin`));
  const buf = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  if (names.every((n) => existsSync(join(dir, `${n}.bin`)))) {
    const d = {
      trainTokens: new Int32Array(buf(read('train_tokens'))),
      trainY: new Float32Array(buf(read('train_y'))),
      valTokens: new Int32Array(buf(read('val_tokens'))),
      valY: new Float32Array(buf(read('val_y'))),
    };
    if (d.trainTokens.length === nTrain * T && d.trainY.length === nTrain * dOut && d.valTokens.length === nVal * T && d.valY.length === nVal * dOut) return d;
  }
  const d = makeTransformerTeacher({ seed: teacherSeed, model: c, nTrain, nVal, init: { scale: 1, embedStd: 1 }, standardize });
  mkdirSync(dir, { recursive: true });
  const arrs = { train_tokens: d.trainTokens, train_y: d.trainY, val_tokens: d.valTokens, val_y: d.valY };
  for (const n of names) {
    const x = arrs[n];
    const tmp = join(dir, `${n}.bin.${process.pid}`);
    writeFileSync(tmp, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    renameSync(tmp, join(dir, `${n}.bin`));
  }
  return d;
}

/** The checkout's HEAD (the step's code changes under concurrent work; timings depend on it). */
function gitHead(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const data = teacherData();
const t0 = performance.now();
const { metrics: m } = await trainTransformer(
  tf,
  info,
  {
    model: c, rule, lr, gamma, sigma: 0, seed, steps, batch, dropLast: false, windowK, trajectoryEvery,
    init: { scale: 1, embedStd: 1 }, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.5 },
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 }, dfa: { feedbackScale: 1, clip: Number(a['dfa-clip']) },
    randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [128, 128, 128], outputs: 4 }, reportedLayer,
  },
  { tokens: data.trainTokens, y: data.trainY, n: nTrain },
  { tokens: data.valTokens, y: data.valY, n: nVal },
);
const wall = (performance.now() - t0) / 1000;

const r3 = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const rep = m.alignment[reportedLayer];
const win = rep?.window ?? [];
const meanOf = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
const wMean = meanOf(win);
const wSd = Math.sqrt(meanOf(win.map((x) => (x - wMean) ** 2)));
const half = Math.floor(win.length / 2);
const norms = m.norms[reportedLayer]!;
const st = m.stationarity[reportedLayer]!;
const line = {
  tag: a.tag,
  rule, lr, gamma, seed, steps: m.steps, standardize, stepsAsked: steps, batch, n_train: nTrain, n_val: nVal, K: windowK,
  status: m.status,
  layer: reportedLayer,
  align: r3(rep?.signal),
  alignFull: r3(rep?.full),
  // Spread of the per-iteration cosines inside the window, and the means of its two halves.
  windowSd: r3(wSd),
  windowHalves: [r3(meanOf(win.slice(0, half))), r3(meanOf(win.slice(half)))],
  drift: r3(st.drift),
  balance: r3(st.balance),
  normInit: r3(norms.initial),
  normFinal: r3(norms.final),
  normRatio: r3(norms.final / norms.initial),
  valFinal: r3(m.loss.valFinal),
  valBest: r3(m.loss.valBest),
  trainFinal: r3(m.loss.trainFinal),
  targetVar: r3(m.loss.targetVar),
  trajStep: m.trajectory.step,
  trajAlign: (m.trajectory.alignment[reportedLayer] ?? []).map(r3),
  trajNorm: (m.trajectory.norm[reportedLayer] ?? []).map(r3),
  trajVal: m.trajectory.valLoss.map(r3),
  // Final/initial norm of every weight matrix (LayerNorm makes the encoder nearly scale-invariant).
  normRatioAll: Object.fromEntries(Object.entries(m.norms).map(([k, v]) => [k, r3(v.final / v.initial)])),
  // Window means of every other head matrix, for context.
  alignOther: Object.fromEntries(['W1', 'W2', 'W3'].filter((k) => k !== reportedLayer).map((k) => [k, r3(m.alignment[k]?.signal)])),
  wallS: Math.round(wall * 10) / 10,
  msPerStep: Math.round((wall * 1000) / Math.max(1, m.steps)),
  backend: `${info.name} ${info.version}`,
  commit: gitHead(),
};
const json = JSON.stringify(line);
console.log(json);
mkdirSync(dirname(a.out!), { recursive: true });
appendFileSync(a.out!, json + '\n');
