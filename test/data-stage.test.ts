import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import stage, { cifar10Params, type Cifar10Params } from '../stages/cifar10.ts';
import { CIFAR10_OUTPUTS, readCifarOutputs, SYNTHETIC_NOTE } from '../src/data/cifar-files.ts';
import { CIFAR10_MD5, CIFAR10_URL } from '../src/data/cifar-format.ts';
import { buildSyntheticCifarArchive } from '../src/data/synthetic-cifar.ts';
import { closedPort, sendAll, startServer, type TestServer } from './fixtures/data-server.ts';

let server: TestServer | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await server?.close();
  server = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the stage in a fresh outDir with `params` (validated like the engine does); returns the dir and log. */
async function runStage(params: Record<string, unknown>) {
  const outDir = mkdtempSync(join(tmpdir(), 'hebb-data-stage-'));
  dirs.push(outDir);
  const lines: string[] = [];
  const run = stage.run({
    params: cifar10Params.parse(params), inputs: {}, outDir, cell: 'cifar10', profile: 'test', env: {},
    log: (m) => lines.push(m), progress: () => {},
  });
  return { outDir, lines, run };
}

describe('the cifar10 stage', () => {
  it('downloads a served archive, checks it and writes the declared outputs', async () => {
    const archive = buildSyntheticCifarArchive({ seed: 2, recordsPerBatch: 30 });
    const md5 = createHash('md5').update(archive).digest('hex');
    server = await startServer((_req, res) => sendAll(res, archive));
    const source = `${server.url}/cifar-10-binary.tar.gz`;
    const { outDir, lines, run } = await runStage({ source, md5, expect_records_per_batch: 30 });
    await run;
    expect(readdirSync(outDir).sort()).toEqual([...CIFAR10_OUTPUTS].sort()); // the scratch download is gone
    const { meta, train, test } = await readCifarOutputs(outDir);
    expect(train.count).toBe(150);
    expect(test.count).toBe(30);
    expect(meta.archive).toMatchObject({ source, md5, bytes: archive.length, sha256: createHash('sha256').update(archive).digest('hex') });
    expect(meta.synthetic).toBeNull();
    expect(meta.note).toBeNull();
    expect(meta.channel_mean).toHaveLength(3);
    expect(meta.channel_std.every((s) => s > 0)).toBe(true);
    expect(lines.some((l) => l.includes(source))).toBe(true);
  });

  it('generates its own synthetic archive for the smoke profile, labelled as such', async () => {
    const { outDir, run } = await runStage({ synthetic: { seed: 7, records_per_batch: 12, test_records: 40 } });
    await run;
    const { meta, train, test } = await readCifarOutputs(outDir);
    expect([train.count, test.count]).toEqual([60, 40]);
    expect(meta.note).toBe(SYNTHETIC_NOTE);
    expect(meta.archive.source).toBe('synthetic');
    expect(meta.synthetic).toEqual({ seed: 7, records_per_batch: 12, test_records: 40 });
  });

  it('offline without a copy: says what it tried and both ways to fix it', async () => {
    const source = `http://127.0.0.1:${await closedPort()}/cifar-10-binary.tar.gz`;
    const { outDir, run } = await runStage({ source, retries: 0 });
    const error = await run.then(() => null, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toContain(`Tried: could not fetch ${source}`);
    expect(error!.message).toContain('ECONNREFUSED');
    expect(error!.message).toContain('--set cifar10.source=https://');
    expect(error!.message).toContain('--set cifar10.source=./cifar-10-binary.tar.gz');
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('a local path that does not exist gets the same advice', async () => {
    const { run } = await runStage({ source: './no-such-cifar-10-binary.tar.gz', retries: 0 });
    await expect(run).rejects.toThrow(/no-such-cifar-10-binary[\s\S]*--set cifar10\.source=\.\/cifar-10-binary\.tar\.gz/);
  });

  it('a wrong checksum names expected and got, and the source', async () => {
    const src = mkdtempSync(join(tmpdir(), 'hebb-data-src-'));
    dirs.push(src);
    const file = join(src, 'cifar-10-binary.tar.gz');
    const bytes = buildSyntheticCifarArchive({ seed: 2, recordsPerBatch: 5 });
    writeFileSync(file, bytes);
    const got = createHash('md5').update(bytes).digest('hex');
    const { outDir, run } = await runStage({ source: file });
    await expect(run).rejects.toThrow(new RegExp(`expected MD5 ${CIFAR10_MD5}, got ${got}[\\s\\S]*${file}`));
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('a real-size expectation on a small archive names the batch and both counts', async () => {
    const src = mkdtempSync(join(tmpdir(), 'hebb-data-src-'));
    dirs.push(src);
    const file = join(src, 'small.tar.gz');
    const bytes = buildSyntheticCifarArchive({ seed: 2, recordsPerBatch: 5 });
    writeFileSync(file, bytes);
    const md5 = createHash('md5').update(bytes).digest('hex');
    const { run } = await runStage({ source: file, md5 });
    await expect(run).rejects.toThrow(/data_batch_1\.bin .* holds 5 records, expected 10000/);
  });
});

describe('cifar10 params', () => {
  it('default to the official archive and its published MD5', () => {
    const p: Cifar10Params = cifar10Params.parse({});
    expect(p).toEqual({ source: CIFAR10_URL, md5: CIFAR10_MD5, retries: 3, synthetic: null, expect_records_per_batch: 10_000 });
  });

  it('reject unknown keys, a malformed MD5 and unknown synthetic settings', () => {
    expect(cifar10Params.safeParse({ sourse: 'x' }).success).toBe(false);
    expect(cifar10Params.safeParse({ md5: 'abc' }).success).toBe(false);
    expect(cifar10Params.safeParse({ synthetic: { seed: 1, records_per_batch: 5, colour: true } }).success).toBe(false);
  });

  it('keep the stage module light: top-level imports are zod and types only', () => {
    const text = readFileSync(new URL('../stages/cifar10.ts', import.meta.url), 'utf8');
    const imports = [...text.matchAll(/^import\s+(type\s+)?.*?from\s+'([^']+)';$/gm)];
    for (const [line, isType, from] of imports) {
      // stage-api.ts itself imports only zod types.
      const allowed = isType !== undefined || from === 'zod' || from === '../src/stage-api.ts';
      expect(allowed, line).toBe(true);
    }
    expect(imports).toHaveLength(text.match(/^import\b/gm)!.length); // every import line was checked
  });
});

describe('pipeline.d/30-cifar.yaml', () => {
  /** Resolves whole-string `${profile.a.b}` references, as the engine does. */
  function resolve(value: unknown, profile: Record<string, unknown>): unknown {
    if (typeof value === 'string') {
      const m = /^\$\{profile\.([\w.]+)\}$/.exec(value);
      if (!m) return value;
      return m[1]!.split('.').reduce<unknown>((o, k) => {
        if (o === null || typeof o !== 'object' || !(k in o)) throw new Error(`no ${k} in profile for ${value}`);
        return (o as Record<string, unknown>)[k];
      }, profile);
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, profile)]));
    }
    return value;
  }

  const doc = parse(readFileSync(new URL('../pipeline.d/30-cifar.yaml', import.meta.url), 'utf8')) as {
    profiles: Record<string, Record<string, unknown>>;
    stages: { cifar10: { run: string; params: Record<string, unknown>; outs: string[] } };
  };

  it('declares exactly the outputs the stage writes', () => {
    expect(doc.stages.cifar10.run).toBe('stages/cifar10.ts');
    expect(doc.stages.cifar10.outs).toEqual([...CIFAR10_OUTPUTS]);
  });

  it('uses the real archive in paper and synthetic data in smoke, with valid params', () => {
    const paper = cifar10Params.parse(resolve(doc.stages.cifar10.params, doc.profiles.paper!));
    expect(paper).toMatchObject({ source: CIFAR10_URL, md5: CIFAR10_MD5, synthetic: null, expect_records_per_batch: 10_000 });
    const smoke = cifar10Params.parse(resolve(doc.stages.cifar10.params, doc.profiles.smoke!));
    expect(smoke.synthetic).not.toBeNull();
    const images = 5 * smoke.synthetic!.records_per_batch + (smoke.synthetic!.test_records ?? smoke.synthetic!.records_per_batch);
    expect(images).toBeGreaterThanOrEqual(200); // "a few hundred images"
    expect(images).toBeLessThanOrEqual(1000);
  });
});
