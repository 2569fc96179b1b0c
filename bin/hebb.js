#!/usr/bin/env node
// The `hebb` CLI entry. The CLI's own code (src/, TypeScript) runs from a bundle that esbuild
// rebuilds in ~0.1 s whenever a source file changed (a stamp of every file's mtime and size),
// so start-up does not pay for a TypeScript loader; stage modules are loaded through tsx when
// needed (src/util/ts-loader.ts). HEBB_NO_BUNDLE=1 runs the sources through tsx instead.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.env.HEBB_BIN ??= fileURLToPath(import.meta.url);

function stampOf(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const s = statSync(p);
        out.push(`${p}:${s.mtimeMs}:${s.size}`);
      }
    }
  };
  walk(dir);
  return out.sort().join('\n');
}

async function bundled() {
  if (process.env.HEBB_NO_BUNDLE) return undefined;
  const cache = join(root, 'node_modules', '.cache', 'hebb');
  const out = join(cache, 'cli.mjs');
  const stampFile = join(cache, 'cli.stamp');
  const stamp = stampOf(join(root, 'src'));
  if (!existsSync(out) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    try {
      const esbuild = await import('esbuild');
      mkdirSync(cache, { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      await esbuild.build({ entryPoints: [join(root, 'src', 'cli', 'main.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: tmp, logLevel: 'silent', target: 'node20' });
      renameSync(tmp, out);
      writeFileSync(`${stampFile}.${process.pid}.tmp`, stamp);
      renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
    } catch {
      return undefined; // no esbuild, or a build error: run the sources through tsx (which reports errors in full)
    }
  }
  return import(pathToFileURL(out).href);
}

let mod = await bundled();
if (!mod) {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis.__hebbTsLoader = true;
  mod = await import('../src/cli/main.ts');
}
process.exitCode = await mod.main(process.argv.slice(2));
