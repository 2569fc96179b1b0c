/**
 * Environment facts that can change a stage's results (the `env:` of a stage). `node` (the Node
 * major version) is built in; others are modules named under `environment:` in pipeline.yaml
 * that default-export a function returning the fact as a string (e.g. the compute backend).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureTsLoader } from '../util/ts-loader.ts';

/** Computes each named fact once per process. */
export class EnvironmentFacts {
  private readonly values = new Map<string, Promise<string>>();

  /** `modules`: fact name → module path relative to `root`. */
  constructor(private readonly root: string, private readonly modules: Readonly<Record<string, string>>) {}

  /** The facts a stage declared, by name. */
  async select(names: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const n of [...names].sort()) out[n] = await this.get(n);
    return out;
  }

  private get(name: string): Promise<string> {
    let v = this.values.get(name);
    if (!v) {
      v = this.compute(name);
      this.values.set(name, v);
    }
    return v;
  }

  private async compute(name: string): Promise<string> {
    if (name === 'node') return `node${process.versions.node.split('.')[0]}`;
    const path = this.modules[name];
    if (!path) throw new Error(`unknown environment fact '${name}'`);
    await ensureTsLoader();
    const mod = (await import(pathToFileURL(resolve(this.root, path)).href)) as { default?: () => string | Promise<string> };
    if (typeof mod.default !== 'function') throw new Error(`${path}: an environment fact module must default-export a function returning a string`);
    return String(await mod.default());
  }
}
