// Seeded RNG, .npy round trip and backend selection: the pieces that need no tfjs.
import { describe, expect, it } from 'vitest';
import { rngFor } from '../src/ml/rng.ts';
import { decodeNpy, encodeNpy } from '../src/util/npy.ts';
import { selectBackend, type Probe } from '../src/ml/backend-select.ts';

describe('rng', () => {
  it('same (seed, stream) gives the same sequence; different seeds or streams differ', () => {
    const a = rngFor(7, 'init').fillUniform(new Float32Array(64), -1, 1);
    const b = rngFor(7, 'init').fillUniform(new Float32Array(64), -1, 1);
    const c = rngFor(8, 'init').fillUniform(new Float32Array(64), -1, 1);
    const d = rngFor(7, 'noise').fillUniform(new Float32Array(64), -1, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a)).not.toEqual(Array.from(d));
  });

  it('uniform draws stay in range and normal draws have mean 0, variance 1', () => {
    const u = rngFor(1, 'u').fillUniform(new Float32Array(20000), -0.5, 0.25);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...u)).toBeLessThan(0.25);
    const n = rngFor(1, 'n').fillNormal(new Float32Array(40000));
    const m = n.reduce((s, v) => s + v, 0) / n.length;
    const v = n.reduce((s, x) => s + (x - m) ** 2, 0) / n.length;
    expect(Math.abs(m)).toBeLessThan(0.02);
    expect(Math.abs(v - 1)).toBeLessThan(0.03);
  });

  it('permutation is a permutation', () => {
    const p = rngFor(3, 'shuffle').permutation(100);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect([...p]).not.toEqual([...Array(100).keys()]);
  });
});

describe('npy', () => {
  it('round-trips float32 and int32 arrays with a v1.0, 64-byte aligned header', () => {
    const f = { dtype: 'float32' as const, shape: [3, 2], data: Float32Array.from([1.5, -2, 3.25, 1e-30, -0, 7]) };
    const bytes = encodeNpy(f);
    expect(Buffer.from(bytes.subarray(0, 8))).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    const headerLen = bytes.readUInt16LE(8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(bytes.toString('latin1', 10, 10 + headerLen)).toContain("'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)");
    const back = decodeNpy(bytes);
    expect(back.dtype).toBe('float32');
    expect(back.shape).toEqual([3, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(f.data));
    const i = decodeNpy(encodeNpy({ dtype: 'int32', shape: [4], data: Int32Array.from([1, -2, 2147483647, 0]) }));
    expect(i.shape).toEqual([4]);
    expect(Array.from(i.data)).toEqual([1, -2, 2147483647, 0]);
  });

  it('rejects a wrong shape, a truncated file and a foreign dtype', () => {
    expect(() => encodeNpy({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) })).toThrow(/holds 4/);
    const bytes = encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) });
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    const f8 = Buffer.from(bytes);
    f8.write("'<f8'", bytes.indexOf("'<f4'"), 'latin1');
    expect(() => decodeNpy(f8)).toThrow(/<f8/);
  });
});

/** A fake installation: packages → version, plus which native bindings exist. */
function fakeProbe(installed: Record<string, string>, binding: string[] = []): Probe {
  return {
    packageJson: (pkg) => (pkg in installed ? `/nm/${pkg}/package.json` : null),
    version: (path) => installed[path.slice(4, -'/package.json'.length)] ?? '?',
    list: (dir) => (binding.some((b) => dir === `/nm/${b}/lib`) ? ['napi-v8'] : []),
    exists: (path) => binding.some((b) => path === `/nm/${b}/lib/napi-v8/tfjs_binding.node`),
  };
}

describe('selectBackend', () => {
  const all = {
    '@tensorflow/tfjs-node-gpu': '4.22.0',
    '@tensorflow/tfjs-node': '4.22.0',
    '@tensorflow/tfjs-backend-wasm': '4.22.1',
    '@tensorflow/tfjs-backend-cpu': '4.22.2',
  };

  it('prefers tfjs-node-gpu, then tfjs-node, then wasm, then cpu, skipping native packages without a binding', () => {
    const pick = (probe: Probe) => {
      const s = selectBackend({ env: {}, probe });
      return s.ok ? `${s.value.name}@${s.value.version}` : s.error.reason;
    };
    expect(pick(fakeProbe(all, ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']))).toBe('tensorflow-gpu@4.22.0');
    expect(pick(fakeProbe(all, ['@tensorflow/tfjs-node']))).toBe('tensorflow@4.22.0');
    expect(pick(fakeProbe(all))).toBe('wasm@4.22.1');
    expect(pick(fakeProbe({ '@tensorflow/tfjs-backend-cpu': '4.22.2' }))).toBe('cpu@4.22.2');
    expect(pick(fakeProbe({}))).toBe('unavailable');
  });

  it('HEBB_BACKEND or an explicit name forces a backend; an unavailable or unknown one is an error value', () => {
    const probe = fakeProbe(all);
    const env = selectBackend({ env: { HEBB_BACKEND: 'cpu' }, probe });
    expect(env.ok && env.value).toMatchObject({ name: 'cpu', tfName: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu' });
    const forced = selectBackend({ forced: 'wasm', env: { HEBB_BACKEND: 'cpu' }, probe });
    expect(forced.ok && forced.value.name).toBe('wasm');
    const missing = selectBackend({ forced: 'tensorflow', env: {}, probe });
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.error.reason).toBe('unavailable');
      expect(missing.error.message).toMatch(/native binding/);
    }
    const unknown = selectBackend({ env: { HEBB_BACKEND: 'webgpu' }, probe });
    expect(!unknown.ok && unknown.error.reason).toBe('unknown-backend');
  });

  it('finds the real wasm backend in this installation', () => {
    const s = selectBackend({ env: { HEBB_BACKEND: 'wasm' } });
    expect(s.ok && s.value.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
