/**
 * The image datasets the SCE cells train on, behind one reader: the `cifar10` stage's outputs
 * (cifar10.json) or the `fashion-mnist` stage's (fashion-mnist.json). Both stages write the same
 * arrays (uint8 images [N, C·H·W] channel-major, uint8 labels [N]), so a training cell needs to
 * know only the image shape, the per-channel statistics and what the data is.
 *
 * fashion-mnist.json: format 'hebb-fashion-mnist/1', image_shape [1, 28, 28], classes, counts and
 * label counts per split, channel_mean/channel_std over the training images used (pixel units),
 * the source and the SHA-256 of each decompressed payload, the subset taken (or null), and a note
 * saying the data is a stand-in for the paper's CIFAR-10.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readCifarOutputs } from './cifar-files.ts';
import { FASHION_CLASSES, FASHION_IMAGE_BYTES, FASHION_SIDE, pixelStats, type FashionData, type FashionSplit } from './fashion-mnist.ts';
import { decodeNpy, encodeNpy } from '../util/npy.ts';

/** Which dataset a directory holds. */
export type DatasetName = 'cifar10' | 'fashion-mnist';

/** The label on everything computed from Fashion-MNIST. */
export const FASHION_NOTE = 'Fashion-MNIST: a real-image stand-in for the paper\'s CIFAR-10, not the paper\'s dataset';

/** The declared outputs of the fashion-mnist stage. */
export const FASHION_OUTPUTS = ['train_images.npy', 'train_labels.npy', 'test_images.npy', 'test_labels.npy', 'fashion-mnist.json'] as const;

/** One split as the training loop reads it. */
export interface ImageSplit {
  readonly count: number;
  /** [count, C·H·W] uint8, channel-major. */
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
}

/** A dataset directory, loaded. */
export interface ImageDataset {
  readonly dataset: DatasetName;
  /** [C, H, W]. */
  readonly imageShape: readonly [number, number, number];
  readonly classes: readonly string[];
  /** Per channel, over the training images, in pixel units. */
  readonly channelMean: readonly number[];
  readonly channelStd: readonly number[];
  /** Generator settings when the data is synthetic, else null. */
  readonly synthetic: Readonly<Record<string, unknown>> | null;
  /** What the report must say about the data (synthetic, or a stand-in), or null for the paper's own dataset. */
  readonly note: string | null;
  readonly train: ImageSplit;
  readonly test: ImageSplit;
}

const splitMeta = z.object({ count: z.number().int().min(1), label_counts: z.array(z.number().int().min(0)) });

const fashionMetaSchema = z.object({
  format: z.literal('hebb-fashion-mnist/1'),
  layout: z.literal('CHW'),
  image_shape: z.tuple([z.literal(1), z.literal(FASHION_SIDE), z.literal(FASHION_SIDE)]),
  classes: z.array(z.string()).length(FASHION_CLASSES.length),
  train: splitMeta,
  test: splitMeta,
  channel_mean: z.array(z.number()).length(1),
  channel_std: z.array(z.number().positive()).length(1),
  source: z.object({ source: z.string(), payload_sha256: z.record(z.string(), z.string()) }),
  subset: z.object({ n_train: z.number().int().nullable(), n_test: z.number().int().nullable() }),
  synthetic: z.null(),
  note: z.string(),
}).strict();

/** The contents of fashion-mnist.json. */
export type FashionMeta = z.infer<typeof fashionMetaSchema>;

function head(split: FashionSplit, n: number | null): FashionSplit {
  if (n === null || n >= split.count) return split;
  return { count: n, images: split.images.subarray(0, n * FASHION_IMAGE_BYTES), labels: split.labels.subarray(0, n) };
}

function labelCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(FASHION_CLASSES.length).fill(0);
  for (const l of labels) counts[l]! += 1;
  return counts;
}

/**
 * Writes the fashion-mnist stage's five outputs: the first `nTrain`/`nTest` records of each split
 * (null: all; the upstream order is already shuffled across classes), and the metadata.
 */
export async function writeFashionOutputs(
  outDir: string, data: FashionData, source: string, subset: { n_train: number | null; n_test: number | null },
): Promise<FashionMeta> {
  const train = head(data.train, subset.n_train);
  const test = head(data.test, subset.n_test);
  const { mean, std } = pixelStats(train);
  const meta: FashionMeta = {
    format: 'hebb-fashion-mnist/1',
    layout: 'CHW',
    image_shape: [1, FASHION_SIDE, FASHION_SIDE],
    classes: [...FASHION_CLASSES],
    train: { count: train.count, label_counts: labelCounts(train.labels) },
    test: { count: test.count, label_counts: labelCounts(test.labels) },
    channel_mean: [mean],
    channel_std: [std],
    source: { source, payload_sha256: { ...data.payloadSha256 } },
    subset,
    synthetic: null,
    note: FASHION_NOTE,
  };
  for (const [name, split] of [['train', train], ['test', test]] as const) {
    await writeFile(join(outDir, `${name}_images.npy`), encodeNpy({ dtype: 'uint8', shape: [split.count, FASHION_IMAGE_BYTES], data: split.images }));
    await writeFile(join(outDir, `${name}_labels.npy`), encodeNpy({ dtype: 'uint8', shape: [split.count], data: split.labels }));
  }
  await writeFile(join(outDir, 'fashion-mnist.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

async function readFashionOutputs(dir: string): Promise<ImageDataset> {
  const file = join(dir, 'fashion-mnist.json');
  const parsed = fashionMetaSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a fashion-mnist stage output: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta = parsed.data;
  const load = async (name: 'train' | 'test'): Promise<ImageSplit> => {
    const images = decodeNpy(await readFile(join(dir, `${name}_images.npy`)), `${name}_images.npy`);
    const labels = decodeNpy(await readFile(join(dir, `${name}_labels.npy`)), `${name}_labels.npy`);
    const count = meta[name].count;
    if (images.dtype !== 'uint8' || images.shape.join() !== `${count},${FASHION_IMAGE_BYTES}`) {
      throw new Error(`${join(dir, `${name}_images.npy`)}: expected uint8 [${count}, ${FASHION_IMAGE_BYTES}], got ${images.dtype} [${images.shape.join(', ')}]`);
    }
    if (labels.dtype !== 'uint8' || labels.shape.join() !== `${count}`) {
      throw new Error(`${join(dir, `${name}_labels.npy`)}: expected uint8 [${count}], got ${labels.dtype} [${labels.shape.join(', ')}]`);
    }
    return { count, images: images.data as Uint8Array, labels: labels.data as Uint8Array };
  };
  return {
    dataset: 'fashion-mnist', imageShape: meta.image_shape, classes: meta.classes, channelMean: meta.channel_mean, channelStd: meta.channel_std,
    synthetic: null, note: meta.note, train: await load('train'), test: await load('test'),
  };
}

/** Loads whichever dataset `dir` holds (the outputs of the cifar10 or the fashion-mnist stage). */
export async function readImageDataset(dir: string): Promise<ImageDataset> {
  if (existsSync(join(dir, 'fashion-mnist.json'))) return readFashionOutputs(dir);
  if (!existsSync(join(dir, 'cifar10.json'))) throw new Error(`${dir}: holds neither cifar10.json nor fashion-mnist.json; its 'data' dep must be the cifar10 or the fashion-mnist stage`);
  const { meta, train, test } = await readCifarOutputs(dir);
  return {
    dataset: 'cifar10', imageShape: [...meta.image_shape], classes: meta.classes, channelMean: meta.channel_mean, channelStd: meta.channel_std,
    synthetic: meta.synthetic, note: meta.note, train, test,
  };
}

/** What a dataset directory is, from its metadata file alone (no arrays loaded): for labels on figures. */
export async function readDatasetMeta(dir: string): Promise<{ dataset: DatasetName; synthetic: boolean; note: string | null }> {
  if (existsSync(join(dir, 'fashion-mnist.json'))) {
    const m = JSON.parse(await readFile(join(dir, 'fashion-mnist.json'), 'utf8')) as { note?: unknown };
    return { dataset: 'fashion-mnist', synthetic: false, note: typeof m.note === 'string' ? m.note : FASHION_NOTE };
  }
  const m = JSON.parse(await readFile(join(dir, 'cifar10.json'), 'utf8')) as { synthetic?: unknown; note?: unknown };
  return { dataset: 'cifar10', synthetic: m.synthetic !== null && m.synthetic !== undefined, note: typeof m.note === 'string' ? m.note : null };
}
