// The fashion-mnist stage and its readers: IDX parsing, every way the four files can be wrong
// (each named, with the fix), download from a loopback server, the real Debian copy when it is
// installed, and a train-sce cell on it (input 784) next to the dataset-param guard.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import stage, { fashionMnistParams } from '../stages/fashion-mnist.ts';
import trainSce, { trainSceParams } from '../stages/train-sce.ts';
import { encodeIdx, parseIdx } from '../src/data/idx.ts';
import { DEBIAN_DIR, FASHION_FILES, readFashionMnist, describeFashionFailure } from '../src/data/fashion-mnist.ts';
import { FASHION_NOTE, FASHION_OUTPUTS, readImageDataset } from '../src/data/image-dataset.ts';
import { mulberry32 } from '../src/util/prng.ts';
import { closedPort, sendAll, startServer, type TestServer } from './fixtures/data-server.ts';
import type { CellMetrics } from '../src/metrics.ts';

const dirs: string[] = [];
const tmp = (label: string): string => {
  const d = mkdtempSync(join(tmpdir(), `hebb-fmnist-${label}-`));
  dirs.push(d);
  return d;
};
let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes a Fashion-MNIST-shaped fixture (seeded pixels, labels i % 10) into a fresh directory. */
function fixture(nTrain = 40, nTest = 20, over: Partial<Record<keyof typeof FASHION_FILES, Uint8Array>> = {}): string {
  const dir = tmp('fixture');
  const rand = mulberry32(5);
  const images = (n: number) => encodeIdx([n, 28, 28], Uint8Array.from({ length: n * 784 }, () => Math.floor(rand() * 256)));
  const labels = (n: number) => encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 10));
  const files = { train_images: images(nTrain), train_labels: labels(nTrain), test_images: images(nTest), test_labels: labels(nTest), ...over };
  for (const [k, bytes] of Object.entries(files)) writeFileSync(join(dir, FASHION_FILES[k as keyof typeof FASHION_FILES].name), gzipSync(bytes));
  return dir;
}

async function runStage(params: Record<string, unknown>): Promise<{ outDir: string; log: string[]; done: Promise<void> }> {
  const outDir = tmp('out');
  const log: string[] = [];
  const done = stage.run({ params: fashionMnistParams.parse(params), inputs: {}, outDir, cell: 'fashion-mnist', profile: 'test', env: {}, log: (l) => log.push(l), progress: () => {} });
  return { outDir, log, done };
}

describe('IDX files', () => {
  it('parses a well-formed file and names what is wrong with a bad one', () => {
    const good = encodeIdx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    const r = parseIdx(good, 'f', 2);
    expect(r.ok && [r.value.shape, [...r.value.data]]).toEqual([[2, 3], [1, 2, 3, 4, 5, 6]]);
    expect(parseIdx(good, 'f', 3)).toMatchObject({ ok: false, error: { reason: 'rank', expected: 3, got: 2 } });
    expect(parseIdx(good.subarray(0, good.length - 1), 'f', 2)).toMatchObject({ ok: false, error: { reason: 'length', expected: good.length } });
    const float = Uint8Array.from(good);
    float[2] = 0x0d;
    expect(parseIdx(float, 'f', 2)).toMatchObject({ ok: false, error: { reason: 'bad-magic', magic: '00000d02' } });
    expect(parseIdx(new Uint8Array(2), 'f', 1)).toMatchObject({ ok: false, error: { reason: 'too-short' } });
  });
});

describe('the fashion-mnist stage', () => {
  it('reads a directory, writes the declared outputs and a subset, labelled as the stand-in', async () => {
    const { outDir, log, done } = await runStage({ source: fixture(), verify_payload: false, n_train: 30 });
    await done;
    expect(readdirSync(outDir).sort()).toEqual([...FASHION_OUTPUTS].sort());
    const ds = await readImageDataset(outDir);
    expect(ds.dataset).toBe('fashion-mnist');
    expect(ds.imageShape).toEqual([1, 28, 28]);
    expect([ds.train.count, ds.test.count]).toEqual([30, 20]);
    expect(ds.train.images.length).toBe(30 * 784);
    expect(ds.note).toBe(FASHION_NOTE);
    expect(ds.channelStd[0]).toBeGreaterThan(50); // uniform bytes: SD ≈ 73.9
    expect(log.join('\n')).toMatch(/wrote 30 training and 20 test images/);
  });

  it('refuses a payload that is not the upstream release, naming the file and both digests', async () => {
    const { done } = await runStage({ source: fixture() });
    await expect(done).rejects.toThrow(/train-images-idx3-ubyte\.gz decompresses to SHA-256 [0-9a-f]{64}, not the upstream release's c59f468a/);
  });

  it('names each kind of damage with its file', async () => {
    const cases: [Partial<Record<keyof typeof FASHION_FILES, Uint8Array>>, RegExp][] = [
      [{ test_labels: encodeIdx([19], new Uint8Array(19)) }, /the test split has 20 images but 19 labels/],
      [{ train_labels: encodeIdx([40], Uint8Array.from({ length: 40 }, (_, i) => (i === 7 ? 10 : 0))) }, /train-labels-idx1-ubyte\.gz: record 7 has label 10/],
      [{ test_images: encodeIdx([20, 32, 32], new Uint8Array(20 * 1024)) }, /t10k-images-idx3-ubyte\.gz holds images of shape \[32, 32\]/],
      [{ train_images: encodeIdx([40, 28, 28], new Uint8Array(40 * 784)).subarray(0, 5000) }, /train-images-idx3-ubyte\.gz: 5000 bytes where the header promises 31376/],
    ];
    for (const [over, message] of cases) {
      const { done } = await runStage({ source: fixture(40, 20, over), verify_payload: false });
      await expect(done).rejects.toThrow(message);
    }
    const dir = fixture();
    writeFileSync(join(dir, FASHION_FILES.test_images.name), 'not gzip');
    await expect((await runStage({ source: dir, verify_payload: false })).done).rejects.toThrow(/t10k-images-idx3-ubyte\.gz is not a readable gzip file/);
  });

  it('without the files: says the three ways to get them', async () => {
    const empty = tmp('empty');
    const r = await readFashionMnist(empty, { verifyDigests: true });
    expect(r.ok).toBe(false);
    const message = describeFashionFailure(!r.ok ? r.error : (undefined as never));
    expect(message).toContain(`train-images-idx3-ubyte.gz is not in ${empty}`);
    expect(message).toContain('apt-get install dataset-fashion-mnist');
    expect(message).toContain('--set fashion-mnist.source=/path/to/');
    expect(message).toContain('--set fashion-mnist.source=http://');
  });

  it('downloads the four files from a URL (loopback) and checks them the same way', async () => {
    const dir = fixture();
    server = await startServer((req, res) => sendAll(res, readFileSync(join(dir, req.url!.split('/').pop()!))));
    const { outDir, done } = await runStage({ source: `${server.url}/fmnist/`, verify_payload: false });
    await done;
    expect((await readImageDataset(outDir)).train.count).toBe(40);
    expect(readdirSync(outDir)).not.toContain('.download');
    const offline = await runStage({ source: `http://127.0.0.1:${await closedPort()}/`, retries: 0 });
    await expect(offline.done).rejects.toThrow(/could not get train-images-idx3-ubyte\.gz[\s\S]*ECONNREFUSED[\s\S]*apt-get install dataset-fashion-mnist/);
  });

  // CI installs the package (.ci/run), so there the test always runs.
  it.skipIf(!existsSync(DEBIAN_DIR) && !process.env.CI)('reads the real Debian copy: 60,000 + 10,000 images, digests verified', async () => {
    const r = await readFashionMnist(DEBIAN_DIR, { verifyDigests: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([r.value.train.count, r.value.test.count]).toEqual([60_000, 10_000]);
    const counts = new Array<number>(10).fill(0);
    for (const l of r.value.test.labels) counts[l]! += 1;
    expect(counts).toEqual(new Array(10).fill(1000));
  });
});

describe('train-sce on Fashion-MNIST', () => {
  it('trains a 784-input cell, records the dataset, and refuses a dataset param that does not match its data', async () => {
    const data = tmp('data');
    const fixtureDir = fixture(200, 100);
    await stage.run({ params: fashionMnistParams.parse({ source: fixtureDir, verify_payload: false }), inputs: {}, outDir: data, cell: 'fashion-mnist', profile: 'test', env: {}, log: () => {}, progress: () => {} });
    const run = async (params: Record<string, unknown>) => {
      const outDir = tmp('cell');
      await trainSce.run({
        params: trainSceParams.parse({ steps: 10, batch: 50, lr: 0.05, trajectory_every: 5, eval_n: 100, hidden: [16, 16], ...params }),
        inputs: { data: [{ cell: 'fashion-mnist', stage: 'fashion-mnist', matrix: {}, params: {}, path: data }] },
        outDir, cell: 'train-sce@t', profile: 'test', env: {}, log: () => {}, progress: () => {},
      });
      return outDir;
    };
    const out = await run({ dataset: 'fashion-mnist' });
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as CellMetrics;
    expect(m.steps).toBe(10);
    const extras = JSON.parse(readFileSync(join(out, 'sce.json'), 'utf8')) as { dataset: string; note: string; synthetic: boolean };
    expect(extras).toMatchObject({ dataset: 'fashion-mnist', note: FASHION_NOTE, synthetic: false });
    await expect(run({})).rejects.toThrow(/the data dep holds fashion-mnist but the cell's dataset param is 'cifar10'/);
    expect(extras).not.toHaveProperty('fig12');
  });

  it('Fig. 12 snapshots: the end of the first epoch and the lowest cosine of the window, beside the last step', async () => {
    const data = tmp('data12');
    await stage.run({ params: fashionMnistParams.parse({ source: fixture(200, 100), verify_payload: false }), inputs: {}, outDir: data, cell: 'fashion-mnist', profile: 'test', env: {}, log: () => {}, progress: () => {} });
    const outDir = tmp('cell12');
    await trainSce.run({
      params: trainSceParams.parse({ dataset: 'fashion-mnist', steps: 12, batch: 50, lr: 0.05, trajectory_every: 6, window_k: 5, eval_n: 100, hidden: [16, 16], snapshot_size: 8, fig12_snapshots: true, per_neuron: true }),
      inputs: { data: [{ cell: 'fashion-mnist', stage: 'fashion-mnist', matrix: {}, params: {}, path: data }] },
      outDir, cell: 'train-sce@t', profile: 'test', env: {}, log: () => {}, progress: () => {},
    });
    type Snap = { step: number; cosine: number; gradient: number[][] };
    const x = JSON.parse(readFileSync(join(outDir, 'sce.json'), 'utf8')) as { snapshot: Snap; fig12: { firstEpoch: Snap; lowCosine: Snap } };
    expect(x.fig12.firstEpoch.step).toBe(4); // 200 images / batch 50
    expect(x.fig12.firstEpoch.gradient).toHaveLength(8);
    expect(x.fig12.lowCosine.step).toBeGreaterThanOrEqual(8); // inside the last 5 steps
    expect(x.fig12.lowCosine.cosine).toBeLessThanOrEqual(x.snapshot.cosine); // the last step is in the window too
    const m = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8')) as CellMetrics;
    expect(m.perNeuron!.layer).toBe('W2');
    expect(m.perNeuron!.steps).toEqual([6, 12]);
    expect(m.perNeuron!.windowMean).toHaveLength(16);
  });
});
