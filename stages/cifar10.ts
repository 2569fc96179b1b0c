/**
 * The `cifar10` stage: gets the CIFAR-10 binary archive (download from a URL, copy from a local
 * path, or — for the smoke profile — generate a small synthetic one), verifies its MD5, reads it
 * safely and writes the arrays the training stages read (see src/data/cifar-files.ts, docs/data.md).
 * Top level: zod and types only; the data modules are imported inside `run`.
 */
import { z } from 'zod';
import { defineStage, type StageContext } from '../src/stage-api.ts';
import type { DownloadFailure } from '../src/data/download.ts';

/** The official archive and its published MD5 (the same values as src/data/cifar-format.ts). */
const OFFICIAL_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
const OFFICIAL_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

/** Settings of the synthetic stand-in (smoke profile): a few hundred seeded images. */
const syntheticParams = z.object({
  seed: z.number().int().min(0),
  records_per_batch: z.number().int().min(1).max(10_000),
  test_records: z.number().int().min(1).max(10_000).optional(),
}).strict();

/** The stage's parameters. */
export const cifar10Params = z.object({
  /** An http(s) URL (the official one, or a lab mirror), a `file:` URL, or a local path (relative to the working directory). */
  source: z.string().min(1).default(OFFICIAL_URL),
  /** The MD5 the archive must have. */
  md5: z.string().regex(/^[0-9a-fA-F]{32}$/, 'expected an MD5: 32 hex digits').default(OFFICIAL_MD5),
  /** Extra attempts after a transient failure (back-off 1 s, 2 s, 4 s, ...). */
  retries: z.number().int().min(0).max(10).default(3),
  /** When set, generate a synthetic archive instead of fetching `source` (code path only, not evidence). */
  synthetic: syntheticParams.nullable().default(null),
  /** Records each batch must hold (10000 for the real dataset; null: any). Ignored when `synthetic` is set. */
  expect_records_per_batch: z.number().int().min(1).nullable().default(10_000),
}).strict();

/** The validated parameters. */
export type Cifar10Params = z.infer<typeof cifar10Params>;

/** Network error codes that mean "cannot reach the host" rather than "the host misbehaved". */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT']);

async function run(ctx: StageContext<Cifar10Params>): Promise<void> {
  const { mkdir, rm, writeFile } = await import('node:fs/promises');
  const { createHash } = await import('node:crypto');
  const { join } = await import('node:path');
  const { readCifarArchive, describeCifarFailure } = await import('../src/data/cifar.ts');
  const { writeCifarOutputs, SYNTHETIC_NOTE } = await import('../src/data/cifar-files.ts');
  const p = ctx.params;
  // Scratch space inside outDir (same filesystem as the cache); removed before run returns.
  const scratch = join(ctx.outDir, '.download');
  await mkdir(scratch, { recursive: true });
  try {
    const archive = join(scratch, 'cifar-10-binary.tar.gz');
    let provenance: { source: string; bytes: number; md5: string; sha256: string; synthetic: Record<string, unknown> | null };
    if (p.synthetic) {
      const { buildSyntheticCifarArchive } = await import('../src/data/synthetic-cifar.ts');
      const bytes = buildSyntheticCifarArchive({
        seed: p.synthetic.seed, recordsPerBatch: p.synthetic.records_per_batch, testRecords: p.synthetic.test_records,
      });
      await writeFile(archive, bytes);
      const md5 = createHash('md5').update(bytes).digest('hex');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      provenance = { source: 'synthetic', bytes: bytes.length, md5, sha256, synthetic: { ...p.synthetic } };
      ctx.log(`generated a synthetic CIFAR-10-layout archive (${bytes.length} bytes, MD5 ${md5}): ${SYNTHETIC_NOTE}`);
    } else {
      const { fetchToFile } = await import('../src/data/download.ts');
      const { downloadReporter } = await import('../src/data/download-progress.ts');
      const reporter = downloadReporter(ctx);
      const got = await fetchToFile({ source: p.source, dest: archive, md5: p.md5, retries: p.retries, onEvent: reporter.onEvent });
      reporter.stop();
      if (!got.ok) throw new Error(await fetchErrorMessage(p, got.error));
      provenance = { source: p.source, bytes: got.value.bytes, md5: got.value.md5, sha256: got.value.sha256, synthetic: null };
    }
    const synth = p.synthetic;
    const parsed = await readCifarArchive(archive, synth
      ? { expectRecordsPerBatch: synth.records_per_batch, expectTestRecords: synth.test_records ?? synth.records_per_batch }
      : { expectRecordsPerBatch: p.expect_records_per_batch });
    if (!parsed.ok) throw new Error(`cifar10: ${describeCifarFailure(parsed.error)}`);
    const meta = await writeCifarOutputs(ctx.outDir, parsed.value, provenance);
    ctx.log(`wrote ${meta.train.count} training and ${meta.test.count} test images; channel mean ${meta.channel_mean.map((m) => m.toFixed(2)).join(', ')}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The error for a failed fetch: what was tried, what went wrong, and how to fix it. */
export async function fetchErrorMessage(p: Cifar10Params, f: DownloadFailure): Promise<string> {
  const { describeDownloadFailure } = await import('../src/data/download.ts');
  const tried = describeDownloadFailure(f);
  if (f.reason === 'checksum') {
    return [
      `cifar10: ${tried}.`,
      `  The file at '${p.source}' is not the CIFAR-10 binary archive, or it is damaged.`,
      `  Fetch it again (from ${OFFICIAL_URL}), or, if you deliberately use a different archive, set its MD5:`,
      `  --set cifar10.md5=${f.got}`,
    ].join('\n');
  }
  const offline = f.reason === 'network' && f.code !== null && UNREACHABLE.has(f.code);
  return [
    `cifar10: could not get the CIFAR-10 archive.`,
    `  Tried: ${tried}.`,
    ...(offline ? ['  This machine cannot reach that host (offline, or behind a firewall).'] : []),
    `  Fix it either way:`,
    `    1. point the stage at a mirror you can reach:  --set cifar10.source=https://<your-lab-mirror>/cifar-10-binary.tar.gz`,
    `    2. use a copy you already have:                --set cifar10.source=./cifar-10-binary.tar.gz`,
    `  (the official file is ${OFFICIAL_URL}, MD5 ${OFFICIAL_MD5}; see docs/data.md).`,
    `  With --keep-going, everything that does not need CIFAR-10 still runs.`,
  ].join('\n');
}

/** The stage module. */
export default defineStage({ params: cifar10Params, run });
