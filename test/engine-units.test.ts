import { describe, expect, it } from 'vitest';
import { formatScalar, interpolate } from '../src/pipeline/interpolate.ts';
import { CodeIdentityResolver, tokenStream, importsOf } from '../src/engine/code-identity.ts';
import { canonicalJson } from '../src/util/hash.ts';
import { explainChange } from '../src/engine/fingerprint.ts';
import { findCycle } from '../src/pipeline/graph.ts';

describe('interpolation', () => {
  const scope = { profile: { name: 'smoke', lr: { sgd: 2, adam: 0.001 }, seeds: [0, 1] }, matrix: { rule: 'adam', gamma: 5e-4 } };
  it('keeps the type of a whole-string reference and indexes by matrix values', () => {
    expect(interpolate('${profile.seeds}', scope)).toEqual({ ok: true, value: [0, 1] });
    expect(interpolate('${profile.lr[rule]}', scope)).toEqual({ ok: true, value: 0.001 });
    expect(interpolate({ a: ['${gamma}'] }, scope)).toEqual({ ok: true, value: { a: [5e-4] } });
  });
  it('interpolates text with short numbers', () => {
    expect(interpolate('mlp-${rule}-${gamma}', scope)).toEqual({ ok: true, value: 'mlp-adam-5e-4' });
    expect(interpolate('reports/${profile.name}', scope)).toEqual({ ok: true, value: 'reports/smoke' });
  });
  it('names the unknown variable', () => {
    const r = interpolate('${profile.lr[seed]}', scope);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/unknown matrix axis 'seed'/);
    expect(interpolate('x-${profile.seeds}', scope).ok).toBe(false);
  });
  it('formats scalars short and stable', () => {
    expect([0, 5e-5, 5e-4, 0.005, 0.01, 0.3, 2, 1e-2, 3.2e-4, 200000].map(formatScalar)).toEqual(['0', '5e-5', '5e-4', '5e-3', '0.01', '0.3', '2', '0.01', '3.2e-4', '2e5']);
  });
});

describe('code identity tokens', () => {
  it('ignores comments and whitespace, not code', () => {
    const a = 'const x = 1; // one\nexport function f(a: number) { return a / x / 2; }';
    const b = '/* hi */ const  x=1;\n\nexport function f(a: number) {\n  return a / x / 2; // same\n}';
    const c = 'const x = 2; export function f(a: number) { return a / x / 2; }';
    expect(tokenStream(a)).toBe(tokenStream(b));
    expect(tokenStream(a)).not.toBe(tokenStream(c));
  });
  it('sees inside template literals and regexes', () => {
    expect(tokenStream('const s = `a ${b} // c`;')).not.toBe(tokenStream('const s = `a ${b} // d`;'));
    expect(tokenStream('const r = /x\\/ y/;')).not.toBe(tokenStream('const r = /x\\/ z/;'));
    expect(tokenStream('const s = "a // b";')).not.toBe(tokenStream('const s = "a // c";'));
  });
  it('finds static, dynamic and re-export imports', () => {
    const src = "import { a } from './a.ts';\nexport * from './b.ts';\nconst m = await import('../c.ts');\nimport type { T } from 'zod';";
    expect(importsOf(src).sort()).toEqual(['../c.ts', './a.ts', './b.ts', 'zod']);
  });
  it('counts local files referenced as new URL(…, import.meta.url) as code, not other URLs', () => {
    const src = "const k = new URL('./assembly/kernels.ts', import.meta.url);\nconst w = new URL(\"../data/x.bin\", import.meta.url);\nconst u = new URL('https://example.org/a.ts');";
    expect(importsOf(src).sort()).toEqual(['../data/x.bin', './assembly/kernels.ts']);
  });
  it("the transformer stage's identity includes its AssemblyScript kernels and the compiler's version", () => {
    const id = new CodeIdentityResolver(process.cwd()).identify('stages/train-transformer.ts');
    for (const f of ['kernels', 'dense', 'elementwise', 'attention', 'common']) expect(Object.keys(id.files)).toContain(`src/ml/transformer/assembly/${f}.ts`);
    expect(id.packages.assemblyscript).toMatch(/^\d+\.\d+\.\d+/);
    // The native kernels' sources are code; their build output is not (it may be absent, and differs per machine).
    for (const f of ['native/dense.cc', 'native/attention.cc', 'native/binding.gyp']) expect(Object.keys(id.files)).toContain(f);
    expect(Object.keys(id.files).filter((f) => f.startsWith('native/build'))).toEqual([]);
  });
});

describe('fingerprints', () => {
  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } })).toBe('{"a":{"c":3,"d":[2,{"y":2,"z":1}]},"b":1}');
  });
  it('explains changes in words', () => {
    const before = { params: { gamma: 5e-4, lr: 1 }, code: { files: { 'a.ts': '1', 'b.ts': '2' }, packages: { zod: '4.0.0' } }, env: { backend: 'wasm' } };
    const after = { params: { gamma: 5e-3, lr: 1 }, code: { files: { 'a.ts': '1', 'b.ts': '3' }, packages: { zod: '4.1.0' } }, env: { backend: 'cpu' } };
    expect(explainChange(before, after)).toEqual(['params.gamma 0.0005 → 0.005', 'code: b.ts changed', 'package zod 4.0.0 → 4.1.0', 'env.backend wasm → cpu']);
  });
  it('finds a cycle and names it', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', []]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeUndefined();
  });
});
