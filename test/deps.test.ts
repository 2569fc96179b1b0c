/**
 * package.json lists exactly what the code imports: every bare import in the project's own code
 * (src/, stages/, bin/, bench/, scripts/, test/ and the root config files) is a declared
 * dependency (node: builtins excepted), and every declared dependency is imported somewhere or
 * is one of the few documented tools used from the command line (EXCEPTIONS below; the README's
 * "Dependencies" section says what each package is for).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf } from '../src/engine/code-identity.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIRS = ['src', 'stages', 'bin', 'bench', 'scripts', 'test'];
const CODE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

/**
 * Declared, yet imported by no file: used as a command, not a module. Keep this list small, and
 * say in the README why each one is here.
 */
const EXCEPTIONS: Record<string, string> = {
  // None at present: typescript (`tsc`), tsx and vitest are CLI tools too, but the code imports
  // each of them as well (src/engine/code-identity.ts, bin/hebb.js, the tests).
};

/**
 * Imported by a name held in a table rather than an import statement: the optional native tfjs
 * backends, which src/ml/backend-select.ts tries in turn. The test checks that the file names them.
 */
const LOADED_BY_NAME: Record<string, string> = {
  '@tensorflow/tfjs-node': 'src/ml/backend-select.ts',
  '@tensorflow/tfjs-node-gpu': 'src/ml/backend-select.ts',
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') out.push(...files(p));
    } else if (CODE.test(e.name)) out.push(p);
  }
  return out;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (spec: string): string => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const builtins = new Set(builtinModules);
const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtins.has(packageOf(spec));

/** Every bare import, by package, with the files importing it. */
function bareImports(): Map<string, string[]> {
  const sources = [...DIRS.flatMap((d) => files(join(ROOT, d))), ...readdirSync(ROOT).filter((f) => CODE.test(f)).map((f) => join(ROOT, f))];
  const out = new Map<string, string[]>();
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    const specs = [...importsOf(text), ...[...text.matchAll(/\brequire\.resolve\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!)];
    for (const spec of specs) {
      if (spec.startsWith('.') || spec.startsWith('/') || isBuiltin(spec)) continue;
      const name = packageOf(spec);
      out.set(name, [...(out.get(name) ?? []), relative(ROOT, file)]);
    }
  }
  return out;
}

describe('dependencies', () => {
  const imported = bareImports();

  it('every bare import is a declared dependency', () => {
    const undeclared = [...imported].filter(([name]) => !declared.has(name)).map(([name, by]) => `${name} (imported by ${[...new Set(by)].join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  it('every declared dependency is imported somewhere, or is a documented exception', () => {
    const used = (name: string): boolean => {
      if (imported.has(name) || name in EXCEPTIONS || name in LOADED_BY_NAME) return true;
      // Type packages serve the package they type (@types/node: the node: builtins).
      const typed = /^@types\/(.+)$/.exec(name)?.[1];
      if (typed === 'node') return true; // the code imports node: builtins throughout
      return typed !== undefined && imported.has(typed.includes('__') ? `@${typed.replace('__', '/')}` : typed);
    };
    expect([...declared].filter((n) => !used(n))).toEqual([]);
  });

  it('the exceptions are declared and really not imported (else they are not exceptions)', () => {
    for (const name of Object.keys(EXCEPTIONS)) {
      expect(declared.has(name), name).toBe(true);
      expect(imported.has(name), `${name} is imported: drop it from EXCEPTIONS`).toBe(false);
    }
  });

  it('the packages loaded by name are named, as a string, in the file that loads them', () => {
    for (const [name, file] of Object.entries(LOADED_BY_NAME)) {
      expect(declared.has(name), name).toBe(true);
      expect(readFileSync(join(ROOT, file), 'utf8'), `${file} should name '${name}'`).toContain(`'${name}'`);
    }
  });

  it('esbuild, which bin/hebb.js bundles the CLI with, is declared at an exact version', () => {
    expect(imported.get('esbuild')).toContain('bin/hebb.js');
    expect(pkg.dependencies?.esbuild).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
