// Issue 11, items 8 and 12 (bundles): I/O errors are reported with the path, the code and a fix
// (exit 1, store consistent, no internal error), and bundle reading is bounded by what the
// manifest declares and a configurable cap, checked before anything is written; export and
// import agree on the compression-ratio limit.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/store/bundle-read.ts';
import { ioFailure, formatIoFailure } from '../src/util/io-error.ts';
import { Rig } from './rig.ts';

const isRoot = process.getuid?.() === 0;
/** A small tmpfs (root only: mounting is how a full or read-only disk is made for real). */
function tmpfs(options: string): string | undefined {
  if (!isRoot) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'hebb-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
function unmount(dir: string | undefined): void {
  if (!dir) return;
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
/** A directory this process cannot write: a read-only tmpfs as root, else mode 555. */
function readOnlyDir(): { dir: string; dispose(): void } {
  const mounted = tmpfs('size=1m');
  if (mounted) {
    mkdirSync(join(mounted, 'x'));
    execFileSync('mount', ['-o', 'remount,ro', mounted], { stdio: 'ignore' });
    return { dir: mounted, dispose: () => unmount(mounted) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'hebb-ro-'));
  mkdirSync(join(dir, 'x'));
  chmodSync(dir, 0o555);
  chmodSync(join(dir, 'x'), 0o555);
  return { dir, dispose: () => (chmodSync(dir, 0o755), rmSync(dir, { recursive: true, force: true })) };
}

const ZEROS = `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
export default { params: z.object({ mib: z.number() }).strict(), async run(ctx: { params: { mib: number }; outDir: string }) { writeFileSync(join(ctx.outDir, 'zeros.bin'), Buffer.alloc(ctx.params.mib * 2 ** 20)); } };
`;

describe('bundles: bounds and I/O (issue 11, items 8 and 12)', () => {
  let rig: Rig;
  let bundle: string;
  beforeAll(async () => {
    rig = Rig.create();
    rig.write('stages/zeros.ts', ZEROS);
    rig.edit('pipeline.yaml', 'stages:\n', 'stages:\n  zeros:\n    run: stages/zeros.ts\n    params: { mib: 12 }\n    outs: [zeros.bin]\n');
    const r = await rig.hebb(['repro', 'zeros']);
    expect(r.code, r.stderr).toBe(0);
    bundle = rig.path('zeros.tar.gz');
  }, 60_000);
  afterAll(() => rig.dispose());

  it('outputs that compress over 1000:1 export and import (export and import agree on the limit)', async () => {
    const e = await rig.hebb(['bundle', 'export', 'zeros', '-o', bundle]);
    expect(e.code, e.stderr).toBe(0);
    const other = mkdtempSync(join(tmpdir(), 'hebb-store-'));
    const i = await rig.hebb(['bundle', 'import', bundle, '--artifacts', other]);
    expect(i.stderr).not.toMatch(/decompression ratio|copy it again/);
    expect(i.code, i.stderr).toBe(0);
    rmSync(other, { recursive: true, force: true });
  });

  it('a bundle declaring more than the cap is refused before anything is written (--max-bytes, $HEBB_BUNDLE_MAX_BYTES)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'hebb-store-'));
    for (const [args, env] of [[['--max-bytes', '5M'], {}], [[], { HEBB_BUNDLE_MAX_BYTES: '5M' }]] as const) {
      const r = await rig.hebb(['bundle', 'import', bundle, '--artifacts', other, ...args], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/manifest\.json: it declares 12\.\d MiB unpacked, more than the limit of 5\.0 MiB \[too-large\]\n\s+fix: if you trust the sender and have the space, raise the cap: hebb bundle import --max-bytes/);
      expect(existsSync(join(other, 'cas'))).toBe(false);
      expect(readdirSync(join(other, 'tmp'))).toEqual([]);
    }
    const bad = await rig.hebb(['bundle', 'verify', bundle, '--max-bytes', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-bytes "lots": expected a size such as 500M/);
    rmSync(other, { recursive: true, force: true });
  });

  it.skipIf(!isRoot)('a full disk: import is refused before writing (ENOSPC), the store unchanged', async () => {
    const small = tmpfs('size=4m');
    if (!small) return;
    try {
      const r = await rig.hebb(['bundle', 'import', bundle, '--artifacts', small]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/its objects need 12\.\d MiB, and the filesystem of .* has \d+\.\d (KiB|MiB) free \(ENOSPC before writing anything\) \[no-space\]\n\s+fix: free space on that filesystem/);
      expect(existsSync(join(small, 'cas'))).toBe(false);
    } finally {
      unmount(small);
    }
  });

  it('a read-only store: import and repro say EROFS/EACCES with the path and a fix, exit 1', async () => {
    const ro = readOnlyDir();
    try {
      for (const args of [['bundle', 'import', bundle], ['repro', 'gen@a-s0']]) {
        const r = await rig.hebb([...args, '--artifacts', join(ro.dir, 'x')]);
        expect(r.stderr).not.toMatch(/internal error/);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/hebb: cannot write \S+: (EROFS \(read-only filesystem\)|EACCES \(permission denied\))\n\s+fix: /);
      }
      // The extraction step itself (objects are written while the archive streams by): a value, not an uncaught throw.
      const read = await readBundle(bundle, { extractTo: join(ro.dir, 'x') });
      expect(read.ok).toBe(false);
      if (!read.ok) {
        expect(read.error.reason).toBe('io-error');
        expect(read.error.message).toMatch(/^(EROFS|EACCES) .* while extracting cas\//);
      }
    } finally {
      ro.dispose();
    }
  });
});

describe('I/O errors during a run (issue 11, item 8)', () => {
  it.skipIf(!isRoot)('a disk that fills during a run fails the cell with the path, ENOSPC and the fix; the store stays consistent', async () => {
    const rig = Rig.create();
    const small = tmpfs('size=512k');
    try {
      if (!small) return;
      rig.write('stages/zeros.ts', ZEROS);
      rig.edit('pipeline.yaml', 'stages:\n', 'stages:\n  zeros:\n    run: stages/zeros.ts\n    params: { mib: 2 }\n    outs: [zeros.bin]\n');
      // -j 1: with two cells at once, another cell may write while zeros still fills the disk and
      // fail with ENOSPC too (correctly, but not what this test is about).
      const r = await rig.hebb(['repro', '--plain', '-j', '1', '--artifacts', small]);
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/FAILED {2}zeros: the stage cannot write under \S+: ENOSPC \(no space left on device\)\n\s+fix: free space on that filesystem/);
      expect(r.stderr).toMatch(/7 ran, 0 cached, 1 failed/);
      // Consistent: no temp dir left, every record's objects present; the other cells are cached.
      expect(readdirSync(join(small, 'tmp')).filter((f) => !f.startsWith('.object'))).toEqual([]);
      const again = await rig.hebb(['repro', '--plain', '--artifacts', small, 'sum']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/0 ran, 7 cached/);
    } finally {
      unmount(small);
      rig.dispose();
    }
  }, 60_000);

  it('an fs error names its path and code; one without a path is given one', () => {
    const e = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const f = ioFailure(e)!;
    expect(formatIoFailure(f, 'cannot write', '/store')).toBe('cannot write under /store: ENOSPC (no space left on device)\n  fix: free space on that filesystem (df -h shows it), or point --artifacts at a larger one, then run the same command again; finished work is kept');
    expect(ioFailure(new Error('boom'))).toBeUndefined();
  });
});
