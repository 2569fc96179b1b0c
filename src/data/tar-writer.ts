/**
 * Writes ustar archives from in-memory entries, byte for byte reproducibly (fixed mtime, owner and
 * mode). Used to build the synthetic CIFAR-10 archive, and by tests to hand-craft malicious
 * archives (absolute paths, `..`, links, devices) that the `tar` package would refuse to create.
 */
import { gzipSync } from 'node:zlib';

/** The entry kinds this writer can produce. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

/** One archive member. */
export interface TarEntrySpec {
  /** The stored name, written verbatim (no normalisation: tests need `../x` and `/x`). */
  readonly path: string;
  /** Defaults to `file`. */
  readonly type?: TarEntryType;
  /** Contents of a `file` entry. */
  readonly data?: Uint8Array;
  /** Target of a `symlink` or `hardlink` entry. */
  readonly linkpath?: string;
  /** A raw typeflag character overriding `type` (tests use it for types no writer should emit). */
  readonly typeflag?: string;
}

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', directory: '5', fifo: '6',
};

/** A fixed timestamp (2009-04-08, CIFAR-10's release) so archives are reproducible. */
const MTIME = 1239148800;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(entry: TarEntrySpec, size: number): Buffer {
  const h = Buffer.alloc(512);
  const type = entry.type ?? 'file';
  if (Buffer.byteLength(entry.path) > 100) throw new Error(`tar-writer: path longer than 100 bytes: ${entry.path}`);
  h.write(entry.path, 0, 100, 'utf8');
  h.write(octal(type === 'directory' ? 0o755 : 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(MTIME, 12), 136, 'ascii');
  h.write(entry.typeflag ?? TYPEFLAG[type], 156, 'ascii');
  if (entry.linkpath !== undefined) h.write(entry.linkpath, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  // Checksum: the sum of all header bytes with the checksum field read as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

/** The uncompressed tar bytes for `entries` (in order), ending with two zero blocks. */
export function writeTar(entries: readonly TarEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = (entry.type ?? 'file') === 'file' ? entry.data ?? new Uint8Array(0) : new Uint8Array(0);
    parts.push(header(entry, data.length));
    if (data.length > 0) {
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const pad = (512 - (data.length % 512)) % 512;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The gzip-compressed tar (`.tar.gz`) bytes for `entries`; deterministic for a given zlib. */
export function writeTarGz(entries: readonly TarEntrySpec[]): Buffer {
  return gzipSync(writeTar(entries), { level: 6 });
}
