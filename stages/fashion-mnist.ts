/**
 * The `fashion-mnist` stage: reads Fashion-MNIST's four `.gz` files from a directory (default:
 * where Debian's `dataset-fashion-mnist` package installs them) or downloads them from a URL,
 * checks them (src/data/fashion-mnist.ts) and writes the arrays the SCE cells read, in the same
 * layout as the cifar10 stage (src/data/image-dataset.ts, docs/data.md).
 * Top level: zod and types only; the data modules are imported inside `run`.
 */
import { z } from 'zod';
import { defineStage, type StageContext } from '../src/stage-api.ts';

/** The stage's parameters. */
export const fashionMnistParams = z.object({
  /** A directory holding the four files, or an http(s) URL of a directory serving them. */
  source: z.string().min(1).default('/usr/share/datasets/fashion-mnist'),
  /** Compare each decompressed payload with the upstream release's SHA-256 (false only for test fixtures). */
  verify_payload: z.boolean().default(true),
  /** Keep the first n training / test records (null: all); the smoke profile trains on a subset. */
  n_train: z.number().int().min(1).nullable().default(null),
  n_test: z.number().int().min(1).nullable().default(null),
  /** Extra download attempts after a transient failure (URL sources only). */
  retries: z.number().int().min(0).max(10).default(3),
}).strict();

/** The validated parameters. */
export type FashionMnistParams = z.infer<typeof fashionMnistParams>;

async function run(ctx: StageContext<FashionMnistParams>): Promise<void> {
  const { mkdir, rm } = await import('node:fs/promises');
  const { join, resolve } = await import('node:path');
  const { FASHION_FILES, readFashionMnist, describeFashionFailure } = await import('../src/data/fashion-mnist.ts');
  const { writeFashionOutputs } = await import('../src/data/image-dataset.ts');
  const p = ctx.params;
  const scratch = join(ctx.outDir, '.download');
  try {
    let dir = resolve(p.source);
    if (/^https?:\/\//.test(p.source)) {
      const { fetchToFile, describeDownloadFailure } = await import('../src/data/download.ts');
      await mkdir(scratch, { recursive: true });
      const base = p.source.endsWith('/') ? p.source : `${p.source}/`;
      for (const { name } of Object.values(FASHION_FILES)) {
        const got = await fetchToFile({ source: base + name, dest: join(scratch, name), md5: null, retries: p.retries });
        if (!got.ok) {
          throw new Error([
            `fashion-mnist: could not get ${name}: ${describeDownloadFailure(got.error)}.`,
            `  Fix: install the files locally (apt-get install dataset-fashion-mnist) and drop the URL,`,
            `  or --set fashion-mnist.source=/path/to/dir-with-the-four-gz-files (docs/data.md).`,
          ].join('\n'));
        }
      }
      dir = scratch;
    }
    const data = await readFashionMnist(dir, { verifyDigests: p.verify_payload });
    if (!data.ok) throw new Error(describeFashionFailure(data.error));
    const meta = await writeFashionOutputs(ctx.outDir, data.value, p.source, { n_train: p.n_train, n_test: p.n_test });
    ctx.log(`wrote ${meta.train.count} training and ${meta.test.count} test images (28×28) from ${p.source}; pixel mean ${meta.channel_mean[0]!.toFixed(2)}, std ${meta.channel_std[0]!.toFixed(2)}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The stage module. */
export default defineStage({ params: fashionMnistParams, run });
