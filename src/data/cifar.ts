/**
 * Reads the CIFAR-10 binary archive (`cifar-10-binary.tar.gz`) safely and parses its batches.
 *
 * The archive is never unpacked onto disk: the `tar` package's parser streams it, every member is
 * checked (no absolute paths, no `..`, no symlinks, hard links, devices or unknown types — any of
 * them fails the whole archive), and only the seven files we need are read into memory. Each batch
 * must be a whole number of 3073-byte records (1 label byte + 3072 pixel bytes, channel-major:
 * 1024 red, 1024 green, 1024 blue, rows top to bottom) and, when asked, exactly N records.
 */
import { createReadStream } from 'node:fs';
import { Parser, type ReadEntry } from 'tar';
import {
  CIFAR10_CHANNELS, CIFAR10_DIR, CIFAR10_IMAGE_BYTES, CIFAR10_META_FILE, CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES,
} from './cifar-format.ts';
import { err, ok, unreachable, type Result } from '../util/result.ts';
import { tarPathProblem, tarTypeProblem, type TarMemberProblemKind } from '../util/tar-member.ts';

/** Images and labels of one split, records in archive order. */
export interface CifarSplit {
  /** Number of images N. */
  readonly count: number;
  /** [N] class indices. */
  readonly labels: Uint8Array;
  /** [N, 3072] pixel bytes, each row channel-major (CHW) exactly as stored. */
  readonly images: Uint8Array;
}

/** The parsed dataset. */
export interface CifarData {
  /** Class names in label order, from batches.meta.txt. */
  readonly classes: readonly string[];
  /** The five training batches, concatenated in order. */
  readonly train: CifarSplit;
  readonly test: CifarSplit;
}

/** What a member of the archive did wrong. */
export type UnsafeProblem = TarMemberProblemKind;

/** Why an archive was rejected; every case names the archive and the member or file at fault. */
export type CifarFailure =
  /** A member that could escape the extraction directory or is not a plain file or directory. */
  | { readonly reason: 'unsafe-entry'; readonly archive: string; readonly entry: string; readonly problem: UnsafeProblem; readonly detail: string }
  /** Not a readable gzip/tar stream (corrupt, truncated, or not an archive at all). */
  | { readonly reason: 'bad-archive'; readonly archive: string; readonly message: string }
  /** A required file is absent; `found` lists the members that were there. */
  | { readonly reason: 'missing-file'; readonly archive: string; readonly file: string; readonly found: readonly string[] }
  /** The same required file appears twice. */
  | { readonly reason: 'duplicate-entry'; readonly archive: string; readonly entry: string }
  /** A batch whose size is not a multiple of the 3073-byte record. */
  | { readonly reason: 'batch-size'; readonly archive: string; readonly file: string; readonly bytes: number; readonly recordBytes: number }
  /** A batch with a whole number of records, but not the number expected. */
  | { readonly reason: 'record-count'; readonly archive: string; readonly file: string; readonly expected: number; readonly got: number }
  /** A label byte outside the class list. */
  | { readonly reason: 'bad-label'; readonly archive: string; readonly file: string; readonly record: number; readonly label: number; readonly classes: number }
  /** batches.meta.txt does not list the expected number of class names. */
  | { readonly reason: 'bad-meta'; readonly archive: string; readonly file: string; readonly expected: number; readonly got: number };

/** What to insist on beyond the layout. */
export interface CifarReadOptions {
  /** Records each training batch must hold (10000 for the real dataset); null accepts any count. */
  readonly expectRecordsPerBatch: number | null;
  /** Records the test batch must hold (default: `expectRecordsPerBatch`). */
  readonly expectTestRecords?: number | null;
  /** Class names batches.meta.txt must list (default 10). */
  readonly expectClasses?: number;
}

const WANTED = [CIFAR10_META_FILE, ...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].map((f) => `${CIFAR10_DIR}/${f}`);

/** Why a member is unsafe to extract, or null when it is a plain file or directory inside the root (src/util/tar-member.ts). */
export function unsafeEntry(path: string, type: string): { problem: UnsafeProblem; detail: string } | null {
  const p = tarPathProblem(path) ?? tarTypeProblem(path, type, { directories: true });
  return p ? { problem: p.kind, detail: p.detail } : null;
}

/** Reads and checks the archive at `archive`, returning the parsed dataset or the first problem found. */
export async function readCifarArchive(archive: string, opts: CifarReadOptions): Promise<Result<CifarData, CifarFailure>> {
  const files = await collect(archive, opts);
  if (!files.ok) return files;
  return assemble(archive, files.value, opts);
}

/** Streams the archive, vetting every member and keeping the wanted files' bytes. */
function collect(archive: string, opts: CifarReadOptions): Promise<Result<Map<string, Buffer>, CifarFailure>> {
  return new Promise((resolve) => {
    const files = new Map<string, Buffer>();
    const seen: string[] = [];
    let failure: CifarFailure | null = null;
    let settled = false;
    const input = createReadStream(archive);
    const parser = new Parser({ strict: true });
    const finish = () => {
      if (settled) return;
      settled = true;
      resolve(failure ? err(failure) : ok(files));
    };
    const fail = (f: CifarFailure) => {
      if (failure) return;
      failure = f;
      input.unpipe(parser);
      input.destroy();
      finish();
    };
    const onEntry = (entry: ReadEntry) => {
      if (failure) return void entry.resume();
      const unsafe = unsafeEntry(entry.path, String(entry.type));
      if (unsafe) return fail({ reason: 'unsafe-entry', archive, entry: entry.path, ...unsafe });
      const name = entry.path.replace(/^(\.\/)+/, '');
      seen.push(name);
      if (!WANTED.includes(name)) return void entry.resume();
      if (files.has(name)) return fail({ reason: 'duplicate-entry', archive, entry: entry.path });
      const file = name.slice(CIFAR10_DIR.length + 1);
      if (file !== CIFAR10_META_FILE) {
        const sizeProblem = checkBatchSize(archive, file, entry.size, opts);
        if (sizeProblem) return fail(sizeProblem);
      }
      const chunks: Buffer[] = [];
      entry.on('data', (c: Buffer) => chunks.push(c));
      entry.on('end', () => files.set(name, Buffer.concat(chunks)));
    };
    parser.on('entry', onEntry);
    // Entries of unknown type are skipped by the parser, not emitted: reject them too.
    parser.on('ignoredEntry', (entry: ReadEntry) => {
      if (!entry.meta) onEntry(entry);
    });
    parser.on('error', (e: unknown) => fail({ reason: 'bad-archive', archive, message: e instanceof Error ? e.message : String(e) }));
    parser.on('end', () => {
      if (failure) return;
      const missing = WANTED.find((w) => !files.has(w));
      if (missing) fail({ reason: 'missing-file', archive, file: missing, found: seen });
      else finish();
    });
    input.on('error', (e) => fail({ reason: 'bad-archive', archive, message: e.message }));
    input.pipe(parser);
  });
}

/** The size problem of a batch member, judged from its header before its bytes are read. */
function checkBatchSize(archive: string, file: string, bytes: number, opts: CifarReadOptions): CifarFailure | null {
  if (bytes % CIFAR10_RECORD_BYTES !== 0) {
    return { reason: 'batch-size', archive, file, bytes, recordBytes: CIFAR10_RECORD_BYTES };
  }
  const expected = file === CIFAR10_TEST_FILE
    ? (opts.expectTestRecords === undefined ? opts.expectRecordsPerBatch : opts.expectTestRecords)
    : opts.expectRecordsPerBatch;
  const got = bytes / CIFAR10_RECORD_BYTES;
  if (expected !== null && got !== expected) return { reason: 'record-count', archive, file, expected, got };
  return null;
}

/** Parses the collected files: class names, then the batches into labels and images. */
function assemble(archive: string, files: Map<string, Buffer>, opts: CifarReadOptions): Result<CifarData, CifarFailure> {
  const metaName = `${CIFAR10_DIR}/${CIFAR10_META_FILE}`;
  const classes = files.get(metaName)!.toString('utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const expectClasses = opts.expectClasses ?? 10;
  if (classes.length !== expectClasses) {
    return err({ reason: 'bad-meta', archive, file: metaName, expected: expectClasses, got: classes.length });
  }
  const train = parseBatches(archive, CIFAR10_TRAIN_FILES, files, classes.length);
  if (!train.ok) return train;
  const test = parseBatches(archive, [CIFAR10_TEST_FILE], files, classes.length);
  if (!test.ok) return test;
  return ok({ classes, train: train.value, test: test.value });
}

/** Concatenates the records of `names` (in order) into one split, checking every label. */
function parseBatches(archive: string, names: readonly string[], files: Map<string, Buffer>, classes: number): Result<CifarSplit, CifarFailure> {
  const buffers = names.map((n) => files.get(`${CIFAR10_DIR}/${n}`)!);
  const count = buffers.reduce((a, b) => a + b.length / CIFAR10_RECORD_BYTES, 0);
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
  let row = 0;
  for (const [i, buf] of buffers.entries()) {
    const n = buf.length / CIFAR10_RECORD_BYTES;
    for (let r = 0; r < n; r++, row++) {
      const at = r * CIFAR10_RECORD_BYTES;
      const label = buf[at]!;
      if (label >= classes) return err({ reason: 'bad-label', archive, file: names[i]!, record: r, label, classes });
      labels[row] = label;
      images.set(buf.subarray(at + 1, at + CIFAR10_RECORD_BYTES), row * CIFAR10_IMAGE_BYTES);
    }
  }
  return ok({ count, labels, images });
}

/** Per-channel mean and (population) standard deviation over all images, in pixel units (0–255). */
export function channelStats(split: CifarSplit): { mean: number[]; std: number[] } {
  const plane = CIFAR10_IMAGE_BYTES / CIFAR10_CHANNELS;
  const sum = [0, 0, 0];
  const sumSq = [0, 0, 0];
  const { images, count } = split;
  for (let c = 0; c < CIFAR10_CHANNELS; c++) {
    // Integer sums stay exact in a double: 50000 × 1024 × 255² < 2^53.
    let s = 0;
    let q = 0;
    for (let r = 0; r < count; r++) {
      const at = r * CIFAR10_IMAGE_BYTES + c * plane;
      for (let p = at; p < at + plane; p++) {
        const v = images[p]!;
        s += v;
        q += v * v;
      }
    }
    sum[c] = s;
    sumSq[c] = q;
  }
  const n = count * plane;
  const mean = sum.map((s) => s / n);
  const std = sumSq.map((q, c) => Math.sqrt(Math.max(0, q / n - mean[c]! ** 2)));
  return { mean, std };
}

/** A one-line, human-readable account of an archive problem. */
export function describeCifarFailure(f: CifarFailure): string {
  switch (f.reason) {
    case 'unsafe-entry':
      return `unsafe entry in ${f.archive}: ${f.detail} (${f.problem}); refusing to extract anything from it`;
    case 'bad-archive':
      return `${f.archive} is not a readable .tar.gz: ${f.message}`;
    case 'missing-file':
      return `${f.archive} has no ${f.file} (members seen: ${f.found.slice(0, 12).join(', ') || 'none'})`;
    case 'duplicate-entry':
      return `${f.archive} contains ${f.entry} twice`;
    case 'batch-size':
      return `${f.file} in ${f.archive} is ${f.bytes} bytes, not a multiple of the ${f.recordBytes}-byte record (1 label + 3072 pixels)`;
    case 'record-count':
      return `${f.file} in ${f.archive} holds ${f.got} records, expected ${f.expected}`;
    case 'bad-label':
      return `${f.file} in ${f.archive}: record ${f.record} has label ${f.label}, expected 0..${f.classes - 1}`;
    case 'bad-meta':
      return `${f.file} in ${f.archive} lists ${f.got} class names, expected ${f.expected}`;
    default:
      return unreachable(f);
  }
}
