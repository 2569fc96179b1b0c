#!/usr/bin/env node
// npm's `install` script: builds the native kernels (native/binding.gyp, -O3 -march=native) with
// the node-gyp that ships with npm, against the local Node headers when they are installed (no
// download). It never fails the install: without a compiler, headers or Python, it says why and
// leaves no addon, and training uses the WebAssembly kernels (src/ml/kernels-select.ts).
// HEBB_NATIVE_BUILD=0 skips it. Run again by hand: `npm run build:native`.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
const say = (m) => console.log(`hebb: ${m}`);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function main() {
  if (process.env.HEBB_NATIVE_BUILD === '0') return say('native kernels not built (HEBB_NATIVE_BUILD=0); the WebAssembly kernels will be used');
  const gyp = nodeGyp();
  if (!gyp) return say('native kernels not built (node-gyp not found beside npm); the WebAssembly kernels will be used');
  const nd = nodeDir();
  const args = [gyp, 'rebuild', ...(nd ? [`--nodedir=${nd}`] : [])];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return say(`native kernels built in ${((Date.now() - t0) / 1000).toFixed(0)} s (native/build/Release/hebb_kernels.node)`);
  const lines = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n');
  const causes = lines.filter((l) => /error:|make: \*\*\*|not found|gyp ERR! stack Error/i.test(l));
  const tail = (causes.length ? causes : lines.filter((l) => l.trim() !== '')).slice(-4).join('\n  ');
  rmSync(join(dir, 'build'), { recursive: true, force: true }); // no half-built addon
  say(`native kernels not built (${r.error ? r.error.message : `node-gyp exited ${r.status}`}); the WebAssembly kernels will be used${tail ? `\n  ${tail}` : ''}`);
}

try {
  main();
} catch (e) {
  say(`native kernels not built (${e instanceof Error ? e.message : String(e)}); the WebAssembly kernels will be used`);
}
process.exitCode = 0;
