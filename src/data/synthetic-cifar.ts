/**
 * A small, seeded stand-in for CIFAR-10 in the exact binary layout of the real archive: the same
 * directory, file names, 3073-byte records and batches.meta.txt. It lets tests and the smoke
 * profile exercise download → extract → parse → train end to end without the network.
 * Synthetic data shows the code path works; it is not evidence for any claim of the paper.
 *
 * Images are class-dependent so a classifier can learn them: each class has its own base colour
 * and stripe orientation/period; each image adds a random phase, brightness and per-pixel noise.
 * Everything is integer arithmetic on a seeded generator, so the bytes (and the archive's MD5, for
 * a given zlib) are the same on every machine.
 */
import { mulberry32Uint } from '../util/prng.ts';
import {
  CIFAR10_CLASSES, CIFAR10_DIR, CIFAR10_META_FILE, CIFAR10_RECORD_BYTES,
  CIFAR10_SIDE, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES,
} from './cifar-format.ts';
import { writeTarGz, type TarEntrySpec } from './tar-writer.ts';

/** What to generate. */
export interface SyntheticCifarOptions {
  /** Seeds every random choice. */
  readonly seed: number;
  /** Records in each of the five training batches. */
  readonly recordsPerBatch: number;
  /** Records in the test batch (default `recordsPerBatch`). */
  readonly testRecords?: number;
  /** Half-width of the uniform per-pixel noise, in pixel units (default 48). */
  readonly noise?: number;
}

/** A 32-bit seeded generator (mulberry32): integers in [0, 2^32). No unseeded randomness. */
export const seededUint32 = mulberry32Uint;

/** An integer in [0, n) from a uint32 generator. */
function below(next: () => number, n: number): number {
  return next() % n;
}

/** Per-class appearance: base colour per channel and a stripe direction and period. */
interface ClassLook {
  readonly colour: readonly [number, number, number];
  readonly dx: number;
  readonly dy: number;
  readonly period: number;
}

function classLooks(next: () => number): ClassLook[] {
  const directions: ReadonlyArray<readonly [number, number]> = [[1, 0], [0, 1], [1, 1], [1, -1], [2, 1]];
  return CIFAR10_CLASSES.map((_, k) => {
    const [dx, dy] = directions[k % directions.length]!;
    return {
      colour: [48 + below(next, 160), 48 + below(next, 160), 48 + below(next, 160)],
      dx,
      dy,
      period: 4 + 2 * Math.floor(k / directions.length) + below(next, 3),
    };
  });
}

/** One batch file's bytes: `count` records with labels balanced over the classes, shuffled. */
function batch(count: number, looks: readonly ClassLook[], next: () => number, noise: number): Uint8Array {
  const labels = Array.from({ length: count }, (_, i) => i % looks.length);
  for (let i = count - 1; i > 0; i--) {
    const j = below(next, i + 1);
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  const out = new Uint8Array(count * CIFAR10_RECORD_BYTES);
  const plane = CIFAR10_SIDE * CIFAR10_SIDE;
  for (let r = 0; r < count; r++) {
    const label = labels[r]!;
    const look = looks[label]!;
    const base = r * CIFAR10_RECORD_BYTES;
    out[base] = label;
    const phase = below(next, look.period);
    const brightness = below(next, 41) - 20;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < CIFAR10_SIDE; y++) {
        for (let x = 0; x < CIFAR10_SIDE; x++) {
          const t = look.dx * x + look.dy * y + 64 + phase;
          const stripe = Math.floor(t / look.period) % 2 === 0 ? 36 : -36;
          const v = look.colour[c]! + stripe + brightness + below(next, 2 * noise + 1) - noise;
          out[base + 1 + c * plane + y * CIFAR10_SIDE + x] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
  }
  return out;
}

/** The archive's member files (name inside CIFAR10_DIR → bytes), in archive order. */
export function syntheticCifarFiles(opts: SyntheticCifarOptions): Map<string, Uint8Array> {
  if (!Number.isInteger(opts.recordsPerBatch) || opts.recordsPerBatch < 1) {
    throw new Error(`synthetic CIFAR: recordsPerBatch must be a positive integer, got ${opts.recordsPerBatch}`);
  }
  const next = seededUint32(opts.seed);
  const looks = classLooks(next);
  const noise = opts.noise ?? 48;
  const files = new Map<string, Uint8Array>();
  files.set(CIFAR10_META_FILE, Buffer.from(CIFAR10_CLASSES.join('\n') + '\n\n'));
  for (const name of CIFAR10_TRAIN_FILES) files.set(name, batch(opts.recordsPerBatch, looks, next, noise));
  files.set(CIFAR10_TEST_FILE, batch(opts.testRecords ?? opts.recordsPerBatch, looks, next, noise));
  files.set('readme.html', Buffer.from('<p>Synthetic CIFAR-10 stand-in: code path only, not evidence.</p>\n'));
  return files;
}

/** The `.tar.gz` bytes of a synthetic archive laid out like cifar-10-binary.tar.gz. */
export function buildSyntheticCifarArchive(opts: SyntheticCifarOptions): Buffer {
  const entries: TarEntrySpec[] = [{ path: `${CIFAR10_DIR}/`, type: 'directory' }];
  for (const [name, data] of syntheticCifarFiles(opts)) entries.push({ path: `${CIFAR10_DIR}/${name}`, data });
  return writeTarGz(entries);
}
