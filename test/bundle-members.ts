/** Test helpers: a bundle's members, and a bundle repacked with edited JSON members and a manifest that matches them. */
import { createHash } from 'node:crypto';
import { list, type ReadEntry } from 'tar';
import { writeTarGz } from '../src/data/tar-writer.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every member of the .tar.gz `file`, in archive order. */
export async function membersOf(file: string): Promise<{ path: string; data: Buffer }[]> {
  const out: { path: string; data: Buffer }[] = [];
  await list({
    file,
    onReadEntry: (e: ReadEntry) => {
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => chunks.push(c));
      e.on('end', () => out.push({ path: e.path, data: Buffer.concat(chunks) }));
    },
  });
  return out;
}

/** Rewrites JSON members with `edit` and fixes the manifest's digests and sizes, so only the edit is wrong. */
export function repack(members: { path: string; data: Buffer }[], edit: (path: string, json: Record<string, unknown>) => void): Buffer {
  const edited = members.map((m) => {
    if (m.path === 'manifest.json' || !(m.path === 'lock.json' || m.path.startsWith('runs/'))) return m;
    const json = JSON.parse(m.data.toString('utf8'));
    edit(m.path, json);
    return { path: m.path, data: Buffer.from(JSON.stringify(json)) };
  });
  const manifest = JSON.parse(members[0]!.data.toString('utf8'));
  edit('manifest.json', manifest);
  for (const f of manifest.files as { path: string; sha256: string; size: number }[]) {
    const m = edited.find((x) => x.path === f.path)!;
    f.sha256 = sha(m.data);
    f.size = m.data.length;
  }
  return writeTarGz([{ path: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }, ...edited.slice(1).map((m) => ({ path: m.path, data: m.data }))]);
}

