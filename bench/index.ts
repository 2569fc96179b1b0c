/**
 * `npm run bench [-- --json] [-- --only NAME]`: runs every registered benchmark in sequence
 * (never in parallel: timings on a 2-core machine are only meaningful one at a time).
 */
import { machine, type Benchmark } from './harness.ts';

const modules: Array<() => Promise<{ benchmarks: readonly Benchmark[] }>> = [
  () => import('./engine.ts'),
  () => import('./train-sre.ts'),
  () => import('./train-sce.ts'),
  () => import('./train-transformer.ts'),
  () => import('./side-by-side.ts'),
  // Each bench module registers here.
];

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

const all: Benchmark[] = [];
for (const load of modules) all.push(...(await load()).benchmarks);
const selected = only ? all.filter((b) => b.name.includes(only)) : all;
if (selected.length === 0) {
  console.error(only ? `no benchmark matches '${only}'` : 'no benchmarks registered');
  process.exitCode = 2;
}
for (const b of selected) {
  const result = await b.run();
  if (json) {
    console.log(JSON.stringify({ name: b.name, figures: result.figures, backend: result.backend ?? null, notes: result.notes ?? null, machine: machine() }));
  } else {
    console.log(`\n${b.name}${result.backend ? ` (backend: ${result.backend})` : ''}`);
    for (const f of result.figures) {
      const v = Number.isInteger(f.value) ? String(f.value) : f.value.toPrecision(4);
      console.log(`  ${f.name.padEnd(40)} ${v.padStart(12)} ${f.unit}${f.target ? `   (target ${f.target})` : ''}`);
    }
    if (result.notes) console.log(`  ${result.notes}`);
  }
}
