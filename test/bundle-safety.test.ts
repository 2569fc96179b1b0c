/**
 * Malicious and damaged bundles: each is refused, with the reason and the member named, before
 * anything enters the store. A good bundle is made once by the real CLI; the bad ones are that
 * bundle's members repacked by the test tar writer (which can write what `tar` would refuse to).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rig } from './rig.ts';
import { membersOf } from './bundle-members.ts';
import { Store } from '../src/store/store.ts';
import { importBundle } from '../src/store/bundle-import.ts';
import { readBundle } from '../src/store/bundle-read.ts';
import { writeTarGz, type TarEntrySpec } from '../src/data/tar-writer.ts';
import type { BundleManifest, BundleReason } from '../src/store/bundle-format.ts';

interface Member {
  path: string;
  data: Buffer;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` with its digest (empty directories do not count). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = sha(readFileSync(join(d, e.name)));
    }
  };
  walk(dir, '');
  return out;
}

describe('bundle import refuses bad bundles and leaves the store unchanged', () => {
  let rig: Rig;
  let good: Member[];
  let scratch: string;
  let n = 0;
  beforeAll(async () => {
    rig = Rig.create();
    expect((await rig.hebb(['repro', '-j', '2'])).code).toBe(0);
    const r = await rig.hebb(['bundle', 'export', '-o', 'good.tar.gz']);
    expect(r.code, r.stderr).toBe(0);
    good = await membersOf(rig.path('good.tar.gz'));
    scratch = mkdtempSync(join(tmpdir(), 'hebb-bundle-bad-'));
  });
  afterAll(() => {
    rig.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  const manifestOf = (ms: readonly Member[]): BundleManifest => JSON.parse(ms[0]!.data.toString('utf8')) as BundleManifest;
  const withManifest = (ms: Member[], edit: (m: { files: { path: string; sha256: string; size: number }[] }) => void): Member[] => {
    const m = JSON.parse(ms[0]!.data.toString('utf8'));
    edit(m);
    return [{ path: 'manifest.json', data: Buffer.from(JSON.stringify(m)) }, ...ms.slice(1)];
  };
  const firstObject = (): number => good.findIndex((m) => m.path.startsWith('cas/'));
  const firstRecord = (): number => good.findIndex((m) => m.path.startsWith('runs/'));

  /** Packs `entries`, imports them into a store (`seed` lays out its prior content); checks the refusal. */
  async function expectRefused(entries: TarEntrySpec[], reason: BundleReason, entry: string | RegExp, seed?: (store: Store) => void): Promise<void> {
    const file = join(scratch, `bad-${n++}.tar.gz`);
    writeFileSync(file, writeTarGz(entries));
    // verify runs the same checks, except the store's own (a conflict is the store's problem).
    const verified = await readBundle(file);
    expect(verified.ok).toBe(reason === 'store-conflict');
    if (!verified.ok) expect(verified.error.reason).toBe(reason);
    const store = new Store(join(scratch, `store-${n}`));
    seed?.(store);
    const before = snapshot(store.dir);
    const result = await importBundle(store, file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.reason).toBe(reason);
    if (typeof entry === 'string') expect(result.error.entry).toBe(entry);
    else expect(result.error.entry).toMatch(entry);
    expect(snapshot(store.dir)).toEqual(before);
  }
  const asFiles = (ms: readonly Member[]): TarEntrySpec[] => ms.map((m) => ({ path: m.path, data: m.data }));

  it('accepts the untouched members, repacked (the writer itself is not the problem)', async () => {
    const file = join(scratch, 'repacked.tar.gz');
    writeFileSync(file, writeTarGz(asFiles(good)));
    const r = await readBundle(file);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.records).toHaveLength(7);
  });

  it('absolute path', async () => {
    const evil = join(scratch, `evil-${process.pid}`);
    await expectRefused([...asFiles(good), { path: evil, data: Buffer.from('x') }], 'absolute-path', evil);
    expect(existsSync(evil)).toBe(false);
  });

  it('.. in a path', async () => {
    await expectRefused([...asFiles(good.slice(0, 3)), { path: 'cas/../../evil', data: Buffer.from('x') }, ...asFiles(good.slice(3))], 'parent-path', 'cas/../../evil');
  });

  it('symlink, hard link, device file and FIFO in place of an object', async () => {
    const i = firstObject();
    const path = good[i]!.path;
    const replace = (e: TarEntrySpec): TarEntrySpec[] => asFiles(good).map((m, j) => (j === i ? e : m));
    await expectRefused(replace({ path, type: 'symlink', linkpath: '/etc/passwd' }), 'symlink', path);
    await expectRefused(replace({ path, type: 'hardlink', linkpath: 'lock.json' }), 'hardlink', path);
    await expectRefused(replace({ path, type: 'chardev' }), 'special-file', path);
    await expectRefused(replace({ path, type: 'fifo' }), 'special-file', path);
  });

  it('size that does not match the manifest', async () => {
    const path = good[firstObject()]!.path;
    await expectRefused(asFiles(withManifest(good, (m) => void (m.files.find((f) => f.path === path)!.size += 1))), 'size-mismatch', path);
  });

  it('content that does not match the manifest digest', async () => {
    const i = firstObject();
    const ms = good.map((m, j) => (j === i ? { path: m.path, data: Buffer.from(m.data.toString('latin1').replace(/[0-9]/, (d) => String((Number(d) + 1) % 10)), 'latin1') } : m));
    expect(ms[i]!.data.length).toBe(good[i]!.data.length);
    await expectRefused(asFiles(ms), 'digest-mismatch', good[i]!.path);
  });

  it('an object whose name is not its hash (manifest consistent with the content)', async () => {
    const i = firstObject();
    const forged = Buffer.from('{"v":999}');
    const ms = withManifest(good.map((m, j) => (j === i ? { path: m.path, data: forged } : m)), (m) => {
      const f = m.files.find((x) => x.path === good[i]!.path)!;
      f.sha256 = sha(forged);
      f.size = forged.length;
    });
    await expectRefused(asFiles(ms), 'object-name-mismatch', good[i]!.path);
  });

  it('a record altered along with its manifest entry (its key no longer hashes its fingerprint)', async () => {
    const i = firstRecord();
    const record = JSON.parse(good[i]!.data.toString('utf8'));
    record.fingerprint.params.scale = 1000;
    const data = Buffer.from(JSON.stringify(record, null, 1));
    const ms = withManifest(good.map((m, j) => (j === i ? { path: m.path, data } : m)), (m) => {
      const f = m.files.find((x) => x.path === good[i]!.path)!;
      f.sha256 = sha(data);
      f.size = data.length;
    });
    await expectRefused(asFiles(ms), 'bad-record', good[i]!.path);
  });

  it('an extra file the manifest does not list, and a listed file that is missing', async () => {
    await expectRefused([...asFiles(good), { path: 'reports/full/extra.txt', data: Buffer.from('hi') }], 'not-in-manifest', 'reports/full/extra.txt');
    const last = good[good.length - 1]!;
    await expectRefused(asFiles(good.slice(0, -1)), 'missing-entry', last.path);
  });

  it('manifest not first, duplicate member, truncated archive', async () => {
    await expectRefused(asFiles([good[1]!, good[0]!, ...good.slice(2)]), 'manifest-not-first', good[1]!.path);
    await expectRefused(asFiles([...good, good[1]!]), 'duplicate-entry', good[1]!.path);
    const file = join(scratch, 'truncated.tar.gz');
    const whole = writeTarGz(asFiles(good));
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = await importBundle(new Store(join(scratch, 'store-trunc')), file);
    expect(!r.ok && r.error.reason).toBe('bad-archive');
    expect(snapshot(join(scratch, 'store-trunc'))).toEqual({});
  });

  it('never overwrites an object the store holds with other content', async () => {
    const object = good[firstObject()]!;
    await expectRefused(asFiles(good), 'store-conflict', /cas\//, (store) => {
      const p = store.objectPath(object.path.slice(4).replace('/', ''));
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, 'local bytes');
    });
  });

  it('the manifest claims what the CLI exported', () => {
    const m = manifestOf(good);
    expect(m.profile).toBe('full');
    expect(m.cells.map((c) => c.cell)).toEqual(['gen@a-s0', 'gen@b-s0', 'gen@a-s1', 'gen@b-s1', 'gen@a-s2', 'gen@b-s2', 'sum']);
    expect(good.map((g) => g.path).slice(1)).toEqual(m.files.map((f) => f.path));
  });
});
