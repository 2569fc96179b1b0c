/**
 * The integration rig: a temporary project made from test/fixtures/toy (or given files), and the
 * real `hebb` CLI run in it as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HEBB = join(ROOT, 'bin', 'hebb.js');

/** The result of one CLI call. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A temporary project. */
export class Rig {
  private constructor(readonly dir: string) {}

  /** A copy of a fixture project (default: the toy pipeline) with node_modules linked in. */
  static create(fixture = 'toy'): Rig {
    const dir = mkdtempSync(join(tmpdir(), 'hebb-rig-'));
    cpSync(join(ROOT, 'test', 'fixtures', fixture), dir, { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    return new Rig(dir);
  }

  path(...p: string[]): string {
    return join(this.dir, ...p);
  }

  read(p: string): string {
    return readFileSync(this.path(p), 'utf8');
  }

  write(p: string, content: string): void {
    mkdirSync(dirname(this.path(p)), { recursive: true });
    writeFileSync(this.path(p), content);
  }

  /** Replaces text in a file (throws if absent, so a test cannot silently edit nothing). */
  edit(p: string, from: string | RegExp, to: string): void {
    const before = this.read(p);
    const after = before.replace(from, to);
    if (after === before) throw new Error(`rig.edit: '${String(from)}' not found in ${p}`);
    this.write(p, after);
  }

  /** Cells executed so far, in order (each toy stage appends its cell name to runs.log). */
  runs(): string[] {
    return existsSync(this.path('runs.log')) ? this.read('runs.log').split('\n').filter(Boolean) : [];
  }

  clearRuns(): void {
    rmSync(this.path('runs.log'), { force: true });
  }

  /** Starts `hebb args...` in the project. */
  spawn(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    return spawn(process.execPath, [HEBB, ...args], { cwd: this.dir, env: { ...process.env, CI: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs `hebb args...` to completion. */
  hebb(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const child = this.spawn(args, env);
    return collect(child);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits for a child and gathers its output. */
export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}
