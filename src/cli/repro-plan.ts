/**
 * What `hebb repro` says before it runs anything: how many cells will run and how many are
 * cached, an estimate of the CPU time and of the wall time at `-j N`, and what a quick look
 * (`--profile smoke`) costs instead; and whether to ask before starting (a long run, on a
 * terminal, without `--yes`).
 *
 * Where each cell's estimate comes from, best first:
 *  1. the last run of the same cell in the same profile (its run record's `durationMs`);
 *  2. the median `durationMs` of the store's run records of the same stage in the same profile;
 *  3. for a training stage, its steps (from the cell's params) × DEFAULT_MS_PER_STEP; else
 *     DEFAULT_SECONDS, per stage module and profile; both from the measurements in the README
 *     ("Benchmarks" and "Results");
 *  4. FALLBACK_SECONDS.
 * The plan says how many cells each source covered, so a guess is never passed off as a record.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell } from '../pipeline/expand.ts';
import type { StatusEntry } from '../engine/run.ts';

/**
 * Seconds per cell for a stage module that has no run record in this store yet, by profile
 * (`paper` is used for any profile but `smoke`), where the cell's params do not give its steps
 * (DEFAULT_MS_PER_STEP below, measured, is used when they do). The training stages' figures are
 * a paper cell's at the measured costs per step; the transformer teacher (20,000 + 5,000
 * sequences through the float64 reference forward) took 51–66 s; the aggregation stages take seconds.
 */
export const DEFAULT_SECONDS: Readonly<Record<string, { readonly paper: number; readonly smoke: number }>> = {
  'stages/train-sre.ts': { paper: 5, smoke: 2 },
  'stages/teacher-sre.ts': { paper: 2, smoke: 1 },
  'stages/train-transformer.ts': { paper: 90, smoke: 5 },
  'stages/teacher-transformer.ts': { paper: 60, smoke: 2 },
  'stages/train-sce.ts': { paper: 190, smoke: 5 },
  'stages/cifar10.ts': { paper: 60, smoke: 5 },
  'stages/sce-figures.ts': { paper: 10, smoke: 5 },
  'stages/table1.ts': { paper: 5, smoke: 2 },
  'stages/noise-grid.ts': { paper: 10, smoke: 3 },
  'stages/learning-sweep.ts': { paper: 3, smoke: 2 },
  'stages/check.ts': { paper: 3, smoke: 2 },
  'stages/figures.ts': { paper: 20, smoke: 10 },
  'stages/report.ts': { paper: 5, smoke: 3 },
};
/**
 * The training stages' cost per step (ms at batch 256), plus a fixed start-up per cell. Of a step,
 * `fixedMs` (when given) does not scale with the batch and the rest scales linearly. Measured on
 * this 2-core machine (native kernels, avx2, gcc 12.2), one cell at a time (`-j 1`), from the cells'
 * run records (paper profile; targeted runs at `c5d9241` and `62d4627` in a scratch store):
 *  - SRE MLP: a Table 1 cell (3,950 steps, batch 256) took 3.9–4.4 s with its process start-up,
 *    so ≈ 0.9 ms a step (the kernel step alone is ~0.55 ms: README "Benchmarks").
 *  - transformer: a backprop cell (3,950 steps) took 92 s, ≈ 22.5 ms a step all in; RandomNN, which
 *    runs no backward pass, 14.9 s, ≈ 3 ms a step.
 *  - SCE on the Fashion-MNIST stand-in (784 inputs, 60,000 images, 50 epochs), at `77601b7`: batch
 *    256 took 38.3 s for 11,750 steps (3.0 ms a step after 3 s of start-up), batch 32 109.3 s for
 *    93,750 (1.13 ms): 0.87 ms of a step does not scale with the batch (the updates, the
 *    measurements every 5th step). At `62d4627` they took 64.7 s and 3 min 31 s.
 *  - SCE on CIFAR-10 (3,072 inputs): 10.5 ms a step all in (10.2–10.7 in three runs at `77601b7`),
 *    a 490-step run on CIFAR-shaped images in a paper cell's proportions (as `npm run bench --
 *    --only train-sce` runs it; CIFAR-10 itself cannot be downloaded here): a paper cell ≈ 1 min
 *    45 s. Its batch-independent part scales with the weights (the updates, the cosines): the
 *    stand-in's 0.87 ms × ~3.5 ≈ 3 ms, estimated, not measured.
 * Used instead of DEFAULT_SECONDS when a cell's params give its number of steps (`steps`, or
 * `epochs` × the batches per epoch); `byDataset`, then `byRule`, override the stage's cost.
 */
export const DEFAULT_MS_PER_STEP: Readonly<Record<string, StepCost & { readonly startupMs: number; readonly byDataset?: Readonly<Record<string, StepCost>>; readonly byRule?: Readonly<Record<string, StepCost>> }>> = {
  'stages/train-sre.ts': { ms: 0.9, startupMs: 1000, nTrain: 20000 },
  'stages/train-sce.ts': { ms: 10.5, fixedMs: 3, startupMs: 3000, nTrain: 50000, byDataset: { 'fashion-mnist': { ms: 3.0, fixedMs: 0.87, nTrain: 60000 } } },
  'stages/train-transformer.ts': { ms: 22.5, startupMs: 3000, nTrain: 20000, byRule: { randomnn: { ms: 3, nTrain: 20000 } } },
};

/** What a training step costs (ms at batch 256; `fixedMs` of it independent of the batch) and the training set size an epoch runs over when `n_train` is not given. */
export interface StepCost {
  readonly ms: number;
  readonly fixedMs?: number;
  readonly nTrain: number;
}

/** The cost of one step of `cost` at `batch` rows: the fixed part plus the rest scaled from batch 256. */
export function stepMs(cost: StepCost, batch: number): number {
  const fixed = cost.fixedMs ?? 0;
  return fixed + (cost.ms - fixed) * (batch / 256);
}

/** A training cell's steps from its params (`steps`, else `epochs` × ⌈n_train / batch⌉), or undefined. */
export function stepsOf(params: Readonly<Record<string, unknown>>, nTrainDefault: number): number | undefined {
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
  const steps = num(params.steps);
  if (steps) return steps;
  const epochs = num(params.epochs);
  if (!epochs) return undefined;
  return epochs * Math.ceil((num(params.n_train) ?? nTrainDefault) / (num(params.batch) ?? 256));
}

/** Seconds per cell of a stage module that is in no table and has no record. */
export const FALLBACK_SECONDS = 10;
/** Above this estimated wall time, `repro` asks before starting (on a terminal, without --yes). */
export const CONFIRM_ABOVE_MS = 3_600_000;

/** Where a cell's estimate came from. */
export type EstimateSource = 'cell' | 'stage' | 'default' | 'fallback';

/** The durations the store knows: the last run of each cell, and all runs by stage (same profile). */
export interface RunHistory {
  /** The durationMs of the last run of a cell (index/<profile>/<cell> → runs/<key>.json). */
  lastOfCell(cell: string): number | undefined;
  /** The durationMs of every run record of a stage in this profile. */
  ofStage(stage: string): readonly number[];
}

/** The run history of a store directory (`artifacts/`), read lazily; unreadable records are skipped. */
export function storeHistory(storeDir: string, profile: string): RunHistory {
  let byStage: Map<string, number[]> | undefined;
  const json = (path: string): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  return {
    lastOfCell(cell) {
      const key = json(join(storeDir, 'index', encodeURIComponent(profile), `${encodeURIComponent(cell)}.json`))?.key;
      if (typeof key !== 'string' || !/^[0-9a-f]{16,}$/.test(key)) return undefined;
      const d = json(join(storeDir, 'runs', `${key}.json`))?.durationMs;
      return typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : undefined;
    },
    ofStage(stage) {
      if (!byStage) {
        byStage = new Map();
        let names: string[] = [];
        try {
          names = readdirSync(join(storeDir, 'runs')).filter((n) => n.endsWith('.json'));
        } catch {
          /* no store yet */
        }
        for (const n of names) {
          const r = json(join(storeDir, 'runs', n));
          if (!r || r.profile !== profile || typeof r.stage !== 'string' || typeof r.durationMs !== 'number') continue;
          byStage.set(r.stage, [...(byStage.get(r.stage) ?? []), r.durationMs]);
        }
      }
      return byStage.get(stage) ?? [];
    },
  };
}

/** The plan of one `repro`. */
export interface ReproPlan {
  readonly profile: string;
  readonly total: number;
  readonly toRun: number;
  readonly cached: number;
  /** Of `toRun`, the cells whose key is known only once an upstream cell has run (`blocked` in statusOf). */
  readonly blocked: number;
  /** Estimated CPU time of the cells to run (sum of their estimates), ms. */
  readonly cpuMs: number;
  /** Estimated wall time at `jobs` workers, respecting dependencies, ms. */
  readonly wallMs: number;
  readonly jobs: number;
  /** How many of the cells to run each source estimated. */
  readonly sources: Readonly<Record<EstimateSource, number>>;
  /** Per stage with cells to run: count and estimated CPU time. */
  readonly stages: readonly { readonly stage: string; readonly cells: number; readonly cpuMs: number }[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One cell's estimate (ms) and where it came from. */
export function estimateCell(cell: Pick<Cell, 'name' | 'stage' | 'module'> & { readonly params?: Cell['params'] }, profile: string, history: RunHistory): { ms: number; source: EstimateSource } {
  const last = history.lastOfCell(cell.name);
  if (last !== undefined) return { ms: last, source: 'cell' };
  const stage = history.ofStage(cell.stage);
  if (stage.length) return { ms: median(stage), source: 'stage' };
  const module = cell.module.replace(/^\.\//, '');
  const perStep = DEFAULT_MS_PER_STEP[module];
  const dataset = cell.params?.dataset;
  const rule = cell.params?.rule;
  const cost: StepCost | undefined = perStep && ((typeof dataset === 'string' && perStep.byDataset?.[dataset]) || (typeof rule === 'string' && perStep.byRule?.[rule]) || perStep);
  const steps = cost && cell.params ? stepsOf(cell.params, cost.nTrain) : undefined;
  if (perStep && cost && steps) {
    const batch = typeof cell.params?.batch === 'number' ? cell.params.batch : 256;
    return { ms: perStep.startupMs + steps * stepMs(cost, batch), source: 'default' };
  }
  const d = DEFAULT_SECONDS[module];
  if (d) return { ms: 1000 * (profile === 'smoke' ? d.smoke : d.paper), source: 'default' };
  return { ms: 1000 * FALLBACK_SECONDS, source: 'fallback' };
}

/**
 * The plan: `entries` says which cells run (statusOf), `cells` their dependencies. The wall time
 * is a list schedule: cells in dependency order, each started on the first free worker once its
 * upstream cells are done (cached cells take no time).
 */
export function planRepro(cells: readonly Cell[], entries: readonly StatusEntry[], profile: string, jobs: number, history: RunHistory): ReproPlan {
  const state = new Map(entries.map((e) => [e.cell, e.state]));
  const sources: Record<EstimateSource, number> = { cell: 0, stage: 0, default: 0, fallback: 0 };
  const cost = new Map<string, number>();
  const perStage = new Map<string, { cells: number; cpuMs: number }>();
  let toRun = 0;
  let cached = 0;
  let blocked = 0;
  for (const c of cells) {
    const s = state.get(c.name);
    if (s === 'cached') {
      cached++;
      continue;
    }
    if (s === 'blocked') blocked++;
    else toRun++;
    const e = estimateCell(c, profile, history);
    sources[e.source]++;
    cost.set(c.name, e.ms);
    const st = perStage.get(c.stage) ?? { cells: 0, cpuMs: 0 };
    perStage.set(c.stage, { cells: st.cells + 1, cpuMs: st.cpuMs + e.ms });
  }
  const cpuMs = [...cost.values()].reduce((a, b) => a + b, 0);
  return {
    profile,
    total: cells.length,
    toRun: toRun + blocked,
    cached,
    blocked,
    cpuMs,
    wallMs: listSchedule(cells, cost, Math.max(1, jobs)),
    jobs,
    sources,
    stages: [...perStage].map(([stage, v]) => ({ stage, ...v })),
  };
}

/** The makespan of running `cells` (cost 0 when absent from `cost`) on `jobs` workers in dependency order. */
export function listSchedule(cells: readonly Cell[], cost: ReadonlyMap<string, number>, jobs: number): number {
  const names = new Set(cells.map((c) => c.name));
  const finish = new Map<string, number>();
  const free: number[] = Array.from({ length: jobs }, () => 0);
  let remaining = [...cells];
  while (remaining.length) {
    const next: Cell[] = [];
    for (const c of remaining) {
      const ups = c.deps.flatMap((d) => d.cells).filter((u) => names.has(u));
      if (ups.some((u) => !finish.has(u))) {
        next.push(c);
        continue;
      }
      const ready = Math.max(0, ...ups.map((u) => finish.get(u)!));
      const ms = cost.get(c.name) ?? 0;
      if (ms === 0) {
        finish.set(c.name, ready);
        continue;
      }
      let w = 0;
      for (let i = 1; i < free.length; i++) if (free[i]! < free[w]!) w = i;
      const start = Math.max(ready, free[w]!);
      free[w] = start + ms;
      finish.set(c.name, start + ms);
    }
    if (next.length === remaining.length) break; // a cycle: the planner reports it
    remaining = next;
  }
  return Math.max(0, ...finish.values());
}

/** `850 ms`, `42 s`, `12 min`, `3.4 h`, `2.1 days`. */
export function fmtDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 1) return `${Math.round(ms)} ms`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

/** The plan as the lines `repro` prints (to stderr) before it starts. */
export function describePlan(plan: ReproPlan, quick?: ReproPlan | null, executor = 'local'): string[] {
  const out: string[] = [];
  out.push(`hebb: plan for profile '${plan.profile}': ${plan.total} cells, ${plan.toRun} to run, ${plan.cached} cached`);
  if (plan.toRun === 0) return out;
  const src = plan.sources;
  const basis = [
    src.cell ? `${src.cell} from their last run` : '',
    src.stage ? `${src.stage} from earlier runs of their stage` : '',
    src.default ? `${src.default} from the per-stage defaults (src/cli/repro-plan.ts)` : '',
    src.fallback ? `${src.fallback} guessed at ${FALLBACK_SECONDS} s each` : '',
  ].filter(Boolean);
  const wall = executor === 'local' ? `, about ${fmtDuration(plan.wallMs)} of wall time at -j ${plan.jobs}` : ` (wall time depends on the ${executor} cluster)`;
  out.push(`hebb: estimated ${fmtDuration(plan.cpuMs)} of CPU time${wall}; estimates: ${basis.join(', ')}`);
  const big = [...plan.stages].sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 6);
  for (const s of big) out.push(`          ${s.stage}: ${s.cells} cell${s.cells === 1 ? '' : 's'}, ~${fmtDuration(s.cpuMs)}`);
  if (plan.stages.length > big.length) out.push(`          … and ${plan.stages.length - big.length} more stages`);
  if (quick && quick.profile !== plan.profile) {
    out.push(
      quick.toRun
        ? `hebb: a quick look instead: \`hebb repro --profile ${quick.profile}\` runs ${quick.toRun} cells (${quick.cached} cached), about ${fmtDuration(quick.cpuMs)} of CPU, ${fmtDuration(quick.wallMs)} at -j ${quick.jobs}`
        : `hebb: a quick look instead: \`hebb repro --profile ${quick.profile}\` is up to date (${quick.cached} cells cached)`,
    );
  }
  return out;
}

/**
 * Whether to ask before starting: only when a person can answer (stdin and stdout are terminals
 * and CI is unset), the estimated wall time is over CONFIRM_ABOVE_MS, and neither `--yes` nor
 * HEBB_YES=1 said yes already.
 */
export function shouldConfirm(o: { wallMs: number; yes: boolean; stdinTTY: boolean; stdoutTTY: boolean; env: NodeJS.ProcessEnv }): boolean {
  if (o.yes || o.env.HEBB_YES === '1') return false;
  if (o.env.CI && o.env.CI !== 'false' && o.env.CI !== '0') return false;
  if (!o.stdinTTY || !o.stdoutTTY) return false;
  return o.wallMs > CONFIRM_ABOVE_MS;
}

/** Asks on the terminal; true on y/yes. */
export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^\s*y(es)?\s*$/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}
