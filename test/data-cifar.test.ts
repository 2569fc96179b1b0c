import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelStats, describeCifarFailure, readCifarArchive, type CifarReadOptions } from '../src/data/cifar.ts';
import { CIFAR10_DIR, CIFAR10_RECORD_BYTES } from '../src/data/cifar-format.ts';
import { decodeNpy, encodeNpy } from '../src/util/npy.ts';
import { buildSyntheticCifarArchive, syntheticCifarFiles } from '../src/data/synthetic-cifar.ts';
import { writeTarGz, type TarEntrySpec } from '../src/data/tar-writer.ts';

const PER_BATCH = 20;
const opts: CifarReadOptions = { expectRecordsPerBatch: PER_BATCH };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hebb-data-cifar-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The synthetic archive's members as tar entries, so tests can add, drop or alter some. */
function members(perBatch = PER_BATCH): TarEntrySpec[] {
  const files = syntheticCifarFiles({ seed: 5, recordsPerBatch: perBatch });
  return [{ path: `${CIFAR10_DIR}/`, type: 'directory' }, ...[...files].map(([name, data]) => ({ path: `${CIFAR10_DIR}/${name}`, data }))];
}

let counter = 0;
async function read(entries: readonly TarEntrySpec[] | Buffer, o: CifarReadOptions = opts) {
  const path = join(dir, `a${counter++}.tar.gz`);
  writeFileSync(path, Buffer.isBuffer(entries) ? entries : writeTarGz(entries));
  return { path, result: await readCifarArchive(path, o) };
}

describe('readCifarArchive', () => {
  it('parses the synthetic archive: labels and CHW images exactly as stored', async () => {
    const files = syntheticCifarFiles({ seed: 5, recordsPerBatch: PER_BATCH });
    const { result } = await read(buildSyntheticCifarArchive({ seed: 5, recordsPerBatch: PER_BATCH }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { classes, train, test } = result.value;
    expect(classes).toHaveLength(10);
    expect(classes[0]).toBe('airplane');
    expect(train.count).toBe(5 * PER_BATCH);
    expect(test.count).toBe(PER_BATCH);
    // Record 3 of data_batch_2 is training row PER_BATCH + 3.
    const batch2 = files.get('data_batch_2.bin')!;
    const at = 3 * CIFAR10_RECORD_BYTES;
    expect(train.labels[PER_BATCH + 3]).toBe(batch2[at]);
    expect(Buffer.from(train.images.subarray((PER_BATCH + 3) * 3072, (PER_BATCH + 4) * 3072)).equals(batch2.subarray(at + 1, at + CIFAR10_RECORD_BYTES))).toBe(true);
    expect(Array.from(test.labels)).toEqual(Array.from({ length: PER_BATCH }, (_, r) => files.get('test_batch.bin')![r * CIFAR10_RECORD_BYTES]));
  });

  it('accepts ./-prefixed member names and ignores extra files', async () => {
    const entries = members().map((e) => ({ ...e, path: `./${e.path}` }));
    const { result } = await read([...entries, { path: 'other/notes.txt', data: Buffer.from('hi') }]);
    expect(result.ok).toBe(true);
  });

  const unsafe: Array<[string, TarEntrySpec, string]> = [
    ['a ../ entry', { path: `${CIFAR10_DIR}/../../evil.txt`, data: Buffer.from('x') }, 'parent-dir'],
    ['an absolute path', { path: '/tmp/hebb-evil.txt', data: Buffer.from('x') }, 'absolute-path'],
    ['a symlink', { path: `${CIFAR10_DIR}/link`, type: 'symlink', linkpath: '/etc/passwd' }, 'symlink'],
    ['a hard link', { path: `${CIFAR10_DIR}/hard`, type: 'hardlink', linkpath: `${CIFAR10_DIR}/data_batch_1.bin` }, 'hardlink'],
    ['a device', { path: `${CIFAR10_DIR}/dev`, type: 'chardev' }, 'device'],
    ['a FIFO', { path: `${CIFAR10_DIR}/fifo`, type: 'fifo' }, 'device'],
    ['an unknown entry type', { path: `${CIFAR10_DIR}/odd`, typeflag: 'Z', data: Buffer.from('x') }, 'unsupported-type'],
    ['an inode-metadata entry', { path: `${CIFAR10_DIR}/inode`, typeflag: 'I' }, 'unsupported-type'],
  ];
  for (const [what, entry, problem] of unsafe) {
    it(`rejects the whole archive for ${what}, naming the entry`, async () => {
      // The bad entry comes last: everything before it was fine.
      const { path, result } = await read([...members(), entry]);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toMatchObject({ reason: 'unsafe-entry', problem, entry: entry.path, archive: path });
      expect(describeCifarFailure(result.error)).toContain(entry.path);
    });
  }

  it('wrote nothing while rejecting unsafe archives', () => {
    expect(readdirSync(dir).every((f) => f.endsWith('.tar.gz'))).toBe(true);
  });

  it('rejects a batch that is not a whole number of records, naming file and size', async () => {
    const entries = members().map((e) => e.path.endsWith('data_batch_3.bin') ? { ...e, data: Buffer.concat([Buffer.from(e.data!), Buffer.alloc(5)]) } : e);
    const { result } = await read(entries);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const bytes = PER_BATCH * CIFAR10_RECORD_BYTES + 5;
    expect(result.error).toMatchObject({ reason: 'batch-size', file: 'data_batch_3.bin', bytes });
    expect(describeCifarFailure(result.error)).toContain(`${bytes} bytes`);
  });

  it('rejects a batch with the wrong number of records (10000 for the real dataset)', async () => {
    const { result } = await read(members(), { expectRecordsPerBatch: 10_000 });
    expect(!result.ok && result.error).toMatchObject({ reason: 'record-count', file: 'data_batch_1.bin', expected: 10_000, got: PER_BATCH });
  });

  it('names a missing file', async () => {
    const { result } = await read(members().filter((e) => !e.path.endsWith('test_batch.bin')));
    expect(!result.ok && result.error).toMatchObject({ reason: 'missing-file', file: `${CIFAR10_DIR}/test_batch.bin` });
  });

  it('rejects a label outside the class list', async () => {
    const entries = members().map((e) => {
      if (!e.path.endsWith('data_batch_4.bin')) return e;
      const data = Buffer.from(e.data!);
      data[2 * CIFAR10_RECORD_BYTES] = 10;
      return { ...e, data };
    });
    const { result } = await read(entries);
    expect(!result.ok && result.error).toMatchObject({ reason: 'bad-label', file: 'data_batch_4.bin', record: 2, label: 10 });
  });

  it('rejects a truncated or non-gzip archive', async () => {
    const whole = buildSyntheticCifarArchive({ seed: 5, recordsPerBatch: PER_BATCH });
    const cut = await read(whole.subarray(0, whole.length >> 1));
    expect(!cut.result.ok && cut.result.error.reason).toBe('bad-archive');
    const junk = await read(Buffer.from('this is not an archive at all'.repeat(40)));
    expect(!junk.result.ok && junk.result.error.reason).toBe('bad-archive');
  });
});

describe('synthetic archive', () => {
  it('is reproducible from its seed', () => {
    const a = buildSyntheticCifarArchive({ seed: 9, recordsPerBatch: 10 });
    expect(a.equals(buildSyntheticCifarArchive({ seed: 9, recordsPerBatch: 10 }))).toBe(true);
    expect(a.equals(buildSyntheticCifarArchive({ seed: 10, recordsPerBatch: 10 }))).toBe(false);
  });

  it('is learnable: a nearest-class-mean classifier beats chance by far', async () => {
    const { result } = await read(buildSyntheticCifarArchive({ seed: 1, recordsPerBatch: 40, testRecords: 100 }), { expectRecordsPerBatch: 40, expectTestRecords: 100 });
    if (!result.ok) throw new Error(describeCifarFailure(result.error));
    const { train, test } = result.value;
    const means = Array.from({ length: 10 }, () => new Float64Array(3072));
    const counts = new Array<number>(10).fill(0);
    for (let r = 0; r < train.count; r++) {
      const k = train.labels[r]!;
      counts[k]!++;
      for (let p = 0; p < 3072; p++) means[k]![p]! += train.images[r * 3072 + p]!;
    }
    means.forEach((m, k) => m.forEach((v, p) => (m[p] = v / counts[k]!)));
    let correct = 0;
    for (let r = 0; r < test.count; r++) {
      let best = -1;
      let bestD = Infinity;
      means.forEach((m, k) => {
        let d = 0;
        for (let p = 0; p < 3072; p++) d += (test.images[r * 3072 + p]! - m[p]!) ** 2;
        if (d < bestD) [best, bestD] = [k, d];
      });
      if (best === test.labels[r]) correct++;
    }
    expect(correct / test.count).toBeGreaterThan(0.5);
  });
});

describe('channelStats and npy', () => {
  it('matches a direct computation per channel', () => {
    const images = new Uint8Array(2 * 3072);
    images.fill(10, 0, 1024); // image 0: R = 10, G = 0, B = 0
    images.fill(30, 3072, 3072 + 1024); // image 1: R = 30
    images.fill(200, 3072 + 2048, 2 * 3072); // image 1: B = 200
    const { mean, std } = channelStats({ count: 2, labels: new Uint8Array(2), images });
    expect(mean).toEqual([20, 0, 100]);
    expect(std).toEqual([10, 0, 100]);
  });

  it('round-trips uint8 and float32 arrays with a 64-byte-aligned header', () => {
    const u8 = encodeNpy({ dtype: 'uint8', shape: [2, 3], data: Uint8Array.from([1, 2, 3, 4, 5, 255]) });
    expect(u8.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    expect((10 + u8.readUInt16LE(8)) % 64).toBe(0);
    expect(u8.toString('latin1')).toContain(`'descr': '|u1', 'fortran_order': False, 'shape': (2, 3)`);
    const back = decodeNpy(u8);
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 255]);
    const f32 = decodeNpy(encodeNpy({ dtype: 'float32', shape: [3], data: Float32Array.from([0.5, -1, 3]) }));
    expect(f32.dtype).toBe('float32');
    expect(f32.shape).toEqual([3]);
    expect(Array.from(f32.data)).toEqual([0.5, -1, 3]);
    expect(() => encodeNpy({ dtype: 'uint8', shape: [4], data: new Uint8Array(3) })).toThrow(/holds 4 elements/);
  });
});
