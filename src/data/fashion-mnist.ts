/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; 60,000 + 10,000 grayscale 28×28 images, 10 classes),
 * the real-image stand-in for CIFAR-10 on machines that cannot download CIFAR-10 (docs/data.md).
 *
 * The four upstream `.gz` files are read from a directory (Debian's `dataset-fashion-mnist`
 * package puts them under /usr/share/datasets/fashion-mnist) and checked like the CIFAR archive:
 * gzip integrity, the IDX magic numbers and shapes, record counts that agree between images and
 * labels, labels in range, and the SHA-256 of each **decompressed** payload (packagers recompress
 * the files, so the `.gz` digests differ between copies while the payload does not).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describeIdxFailure, parseIdx, type IdxFailure } from './idx.ts';
import { err, ok, type Result } from '../util/result.ts';

/** The Debian package's location of the four files. */
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** The upstream mirror (for machines with network access); the file names are appended. */
export const UPSTREAM_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** Class names in label order (upstream README). */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

/** Side of the square images, and pixels per image. */
export const FASHION_SIDE = 28;
export const FASHION_IMAGE_BYTES = FASHION_SIDE * FASHION_SIDE;

/** The four files, their IDX rank, and the SHA-256 of their decompressed payload (upstream release). */
export const FASHION_FILES = {
  train_images: { name: 'train-images-idx3-ubyte.gz', rank: 3, sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888' },
  train_labels: { name: 'train-labels-idx1-ubyte.gz', rank: 1, sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9' },
  test_images: { name: 't10k-images-idx3-ubyte.gz', rank: 3, sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b' },
  test_labels: { name: 't10k-labels-idx1-ubyte.gz', rank: 1, sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34' },
} as const;

/** A key of FASHION_FILES. */
export type FashionFile = keyof typeof FASHION_FILES;

/** Images ([count, 784], row-major) and labels of one split. */
export interface FashionSplit {
  readonly count: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** The parsed dataset, with the payload digests it was checked against. */
export interface FashionData {
  readonly train: FashionSplit;
  readonly test: FashionSplit;
  /** File name → SHA-256 of its decompressed payload. */
  readonly payloadSha256: Readonly<Record<string, string>>;
}

/** Why the files were rejected; each case names the file at fault. */
export type FashionFailure =
  | { readonly reason: 'missing-file'; readonly dir: string; readonly file: string }
  | { readonly reason: 'bad-gzip'; readonly file: string; readonly message: string }
  | { readonly reason: 'idx'; readonly failure: IdxFailure }
  | { readonly reason: 'digest'; readonly file: string; readonly expected: string; readonly got: string }
  | { readonly reason: 'image-shape'; readonly file: string; readonly shape: readonly number[] }
  | { readonly reason: 'count-mismatch'; readonly split: 'train' | 'test'; readonly images: number; readonly labels: number }
  | { readonly reason: 'bad-label'; readonly file: string; readonly record: number; readonly label: number };

/** What to insist on. */
export interface FashionReadOptions {
  /** Compare each payload with the upstream SHA-256 (off only for test fixtures). */
  readonly verifyDigests: boolean;
}

/** Reads and checks the four files in `dir`. */
export async function readFashionMnist(dir: string, opts: FashionReadOptions): Promise<Result<FashionData, FashionFailure>> {
  const arrays: Partial<Record<FashionFile, { shape: readonly number[]; data: Uint8Array }>> = {};
  const payloadSha256: Record<string, string> = {};
  for (const [key, spec] of Object.entries(FASHION_FILES) as [FashionFile, (typeof FASHION_FILES)[FashionFile]][]) {
    const path = join(dir, spec.name);
    if (!existsSync(path)) return err({ reason: 'missing-file', dir, file: spec.name });
    let payload: Uint8Array;
    try {
      payload = gunzipSync(await readFile(path));
    } catch (e) {
      return err({ reason: 'bad-gzip', file: path, message: (e as Error).message });
    }
    const sha = createHash('sha256').update(payload).digest('hex');
    payloadSha256[spec.name] = sha;
    if (opts.verifyDigests && sha !== spec.sha256) return err({ reason: 'digest', file: path, expected: spec.sha256, got: sha });
    const parsed = parseIdx(payload, path, spec.rank);
    if (!parsed.ok) return err({ reason: 'idx', failure: parsed.error });
    if (spec.rank === 3 && (parsed.value.shape[1] !== FASHION_SIDE || parsed.value.shape[2] !== FASHION_SIDE)) {
      return err({ reason: 'image-shape', file: path, shape: parsed.value.shape });
    }
    arrays[key] = parsed.value;
  }
  const split = (name: 'train' | 'test'): Result<FashionSplit, FashionFailure> => {
    const images = arrays[`${name}_images`]!;
    const labels = arrays[`${name}_labels`]!;
    if (images.shape[0] !== labels.shape[0]) return err({ reason: 'count-mismatch', split: name, images: images.shape[0]!, labels: labels.shape[0]! });
    const bad = labels.data.findIndex((l) => l >= FASHION_CLASSES.length);
    if (bad >= 0) return err({ reason: 'bad-label', file: join(dir, FASHION_FILES[`${name}_labels`].name), record: bad, label: labels.data[bad]! });
    return ok({ count: labels.shape[0]!, images: images.data, labels: labels.data });
  };
  const train = split('train');
  if (!train.ok) return train;
  const test = split('test');
  if (!test.ok) return test;
  return ok({ train: train.value, test: test.value, payloadSha256 });
}

/** One message for a FashionFailure, ending with what to do about it. */
export function describeFashionFailure(f: FashionFailure): string {
  switch (f.reason) {
    case 'missing-file':
      return [
        `fashion-mnist: ${f.file} is not in ${f.dir}.`,
        `  Get the four files one of three ways:`,
        `    1. install Debian's package:   apt-get install dataset-fashion-mnist   (puts them in ${DEBIAN_DIR})`,
        `    2. point at a directory:       --set fashion-mnist.source=/path/to/dir-with-the-four-gz-files`,
        `    3. download them:              --set fashion-mnist.source=${UPSTREAM_URL}`,
      ].join('\n');
    case 'bad-gzip':
      return `fashion-mnist: ${f.file} is not a readable gzip file (${f.message}); fetch it again or reinstall the package`;
    case 'idx':
      return `fashion-mnist: ${describeIdxFailure(f.failure)}; fetch the file again`;
    case 'digest':
      return `fashion-mnist: ${f.file} decompresses to SHA-256 ${f.got}, not the upstream release's ${f.expected}: the file is damaged or not Fashion-MNIST; fetch it again`;
    case 'image-shape':
      return `fashion-mnist: ${f.file} holds images of shape [${f.shape.slice(1).join(', ')}], not [28, 28]: not Fashion-MNIST`;
    case 'count-mismatch':
      return `fashion-mnist: the ${f.split} split has ${f.images} images but ${f.labels} labels; one of its two files is from another release`;
    case 'bad-label':
      return `fashion-mnist: ${f.file}: record ${f.record} has label ${f.label}, outside the 10 classes`;
  }
}

/** Mean and standard deviation of all pixels of `split` (pixel units 0–255; one channel). */
export function pixelStats(split: FashionSplit): { mean: number; std: number } {
  let s = 0;
  let q = 0;
  // Integer sums stay exact in a double: 60000 × 784 × 255² < 2^53.
  for (const v of split.images) {
    s += v;
    q += v * v;
  }
  const n = split.images.length;
  const mean = s / n;
  return { mean, std: Math.sqrt(Math.max(0, q / n - mean * mean)) };
}
