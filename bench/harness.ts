/**
 * The benchmark harness behind `npm run bench`: each bench module exports `benchmarks`, a list
 * of named async functions returning figures. People get a table; `--json` prints one JSON
 * object per benchmark (name, figures, units, backend, machine) for scripts. Benchmarks never
 * assert: targets are printed beside the figures, and the reader judges.
 */
import os from 'node:os';

/** One measured figure. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** An optional target printed beside the value (e.g. '< 1000 ms'). */
  readonly target?: string;
}

/** What a benchmark returns. */
export interface BenchResult {
  readonly figures: readonly Figure[];
  /** The compute backend used, where it matters ('wasm', 'tensorflow', ...). */
  readonly backend?: string;
  readonly notes?: string;
}

/** A benchmark: a name and an async function. */
export interface Benchmark {
  readonly name: string;
  run(): Promise<BenchResult>;
}

/** A short description of this machine for the JSON output. */
export function machine(): { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string } {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs `step` once to warm up, then `reps` times, timing each: the milliseconds of every timed call. */
export function timedReps(step: () => unknown, reps: number): number[] {
  step();
  return Array.from({ length: reps }, () => {
    const t0 = performance.now();
    step();
    return performance.now() - t0;
  });
}
