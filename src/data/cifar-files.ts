/**
 * The cifar10 stage's output files, written by the stage and read by the training stages.
 *
 *   train_images.npy   uint8 [50000, 3072]  each row one image, channel-major (CHW) as stored
 *   train_labels.npy   uint8 [50000]        class index 0..9
 *   test_images.npy    uint8 [10000, 3072]
 *   test_labels.npy    uint8 [10000]
 *   cifar10.json       classes, counts, per-channel mean/std of the training images (pixel
 *                      units 0–255), the archive's source, MD5 and SHA-256, and whether it is synthetic
 *
 * Standardise a pixel of channel c as (x − channel_mean[c]) / channel_std[c].
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { channelStats, type CifarData, type CifarSplit } from './cifar.ts';
import { CIFAR10_IMAGE_BYTES } from './cifar-format.ts';
import { decodeNpy, encodeNpy } from '../util/npy.ts';

/** The declared outputs of the cifar10 stage (the `outs:` of its pipeline entry). */
export const CIFAR10_OUTPUTS = ['train_images.npy', 'train_labels.npy', 'test_images.npy', 'test_labels.npy', 'cifar10.json'] as const;

/** The label the report puts on anything computed from synthetic data. */
export const SYNTHETIC_NOTE = 'synthetic data: code path only, not evidence';

/** Where the archive came from and what it hashed to. */
export interface CifarProvenance {
  readonly source: string;
  readonly bytes: number;
  readonly md5: string;
  readonly sha256: string;
  /** The generator settings when the archive was synthetic, else null. */
  readonly synthetic: Readonly<Record<string, unknown>> | null;
}

/** The contents of cifar10.json. */
export interface CifarMeta {
  readonly format: 'hebb-cifar10/1';
  readonly layout: 'CHW';
  readonly image_shape: readonly [3, 32, 32];
  readonly classes: readonly string[];
  readonly train: { readonly count: number; readonly label_counts: readonly number[] };
  readonly test: { readonly count: number; readonly label_counts: readonly number[] };
  /** Over the training images, per channel (R, G, B), in pixel units 0–255. */
  readonly channel_mean: readonly number[];
  readonly channel_std: readonly number[];
  readonly archive: { readonly source: string; readonly bytes: number; readonly md5: string; readonly sha256: string };
  readonly synthetic: Readonly<Record<string, unknown>> | null;
  /** SYNTHETIC_NOTE when synthetic, else null. */
  readonly note: string | null;
}

function labelCounts(split: CifarSplit, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of split.labels) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}

/** Writes the five output files into `outDir`; returns the metadata written to cifar10.json. */
export async function writeCifarOutputs(outDir: string, data: CifarData, from: CifarProvenance): Promise<CifarMeta> {
  const { mean, std } = channelStats(data.train);
  const meta: CifarMeta = {
    format: 'hebb-cifar10/1',
    layout: 'CHW',
    image_shape: [3, 32, 32],
    classes: data.classes,
    train: { count: data.train.count, label_counts: labelCounts(data.train, data.classes.length) },
    test: { count: data.test.count, label_counts: labelCounts(data.test, data.classes.length) },
    channel_mean: mean,
    channel_std: std,
    archive: { source: from.source, bytes: from.bytes, md5: from.md5, sha256: from.sha256 },
    synthetic: from.synthetic,
    note: from.synthetic ? SYNTHETIC_NOTE : null,
  };
  for (const [name, split] of [['train', data.train], ['test', data.test]] as const) {
    await writeFile(join(outDir, `${name}_images.npy`), encodeNpy({ dtype: 'uint8', shape: [split.count, CIFAR10_IMAGE_BYTES], data: split.images }));
    await writeFile(join(outDir, `${name}_labels.npy`), encodeNpy({ dtype: 'uint8', shape: [split.count], data: split.labels }));
  }
  await writeFile(join(outDir, 'cifar10.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** The stage's outputs, loaded back; throws (naming the file) if one does not match its description. */
export async function readCifarOutputs(dir: string): Promise<{ meta: CifarMeta; train: CifarSplit; test: CifarSplit }> {
  const meta = JSON.parse(await readFile(join(dir, 'cifar10.json'), 'utf8')) as CifarMeta;
  if (meta.format !== 'hebb-cifar10/1') throw new Error(`${join(dir, 'cifar10.json')}: unknown format ${String(meta.format)}`);
  const load = async (name: 'train' | 'test'): Promise<CifarSplit> => {
    const images = decodeNpy(await readFile(join(dir, `${name}_images.npy`)), `${name}_images.npy`);
    const labels = decodeNpy(await readFile(join(dir, `${name}_labels.npy`)), `${name}_labels.npy`);
    const count = meta[name].count;
    if (images.dtype !== 'uint8' || images.shape.join() !== `${count},${CIFAR10_IMAGE_BYTES}`) {
      throw new Error(`${name}_images.npy: expected uint8 [${count}, ${CIFAR10_IMAGE_BYTES}], got ${images.dtype} [${images.shape.join(', ')}]`);
    }
    if (labels.dtype !== 'uint8' || labels.shape.join() !== `${count}`) {
      throw new Error(`${name}_labels.npy: expected uint8 [${count}], got ${labels.dtype} [${labels.shape.join(', ')}]`);
    }
    return { count, images: images.data, labels: labels.data };
  };
  return { meta, train: await load('train'), test: await load('test') };
}
