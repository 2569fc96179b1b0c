/**
 * Runs the peer scripts of bench/peers/ (plain Python, numpy or torch) for the side-by-side
 * benchmark: finds an interpreter that has the library (HEBB_PYTHON, then python3, then
 * /usr/bin/python3: Debian's python3-numpy / python3-torch live under the system interpreter),
 * pins the thread count, and returns the script's JSON, or why the peer is absent.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../src/util/result.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'peers');
const found = new Map<string, string | null>();

/** The first interpreter that imports `lib` ('numpy' | 'torch'), or null (memoised). */
export function pythonWith(lib: string): string | null {
  if (!found.has(lib)) {
    const candidates = [process.env.HEBB_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
    found.set(lib, candidates.find((py) => spawnSync(py, ['-c', `import ${lib}`], { stdio: 'ignore', timeout: 60_000 }).status === 0) ?? null);
  }
  return found.get(lib)!;
}

/** Runs bench/peers/<script> with `args` on `threads` threads under the interpreter that has `lib`; its JSON line, or why not. */
export function runPeer<T>(lib: 'numpy' | 'torch', script: string, args: readonly string[], threads: number): Result<T, string> {
  const py = pythonWith(lib);
  if (!py) return err(`${lib} is not installed (apt-get install python3-${lib})`);
  const n = String(threads);
  const env = { ...process.env, OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n, HEBB_PEER_THREADS: n };
  const r = spawnSync(py, [join(DIR, script), ...args], { env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return err(`${script} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`);
  try {
    return ok(JSON.parse(r.stdout.trim().split('\n').slice(-1)[0]!) as T);
  } catch {
    return err(`${script} printed no JSON`);
  }
}
