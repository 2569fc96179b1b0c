/**
 * The IDX file format of the MNIST family (Fashion-MNIST included): a 4-byte magic number
 * (two zero bytes, a type code, the number of dimensions), one big-endian uint32 per dimension,
 * then the data, row-major. Only unsigned bytes (type code 0x08) occur in these datasets, so only
 * they are accepted; anything else is reported, never guessed at.
 */
import { err, ok, type Result } from '../util/result.ts';

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  readonly shape: readonly number[];
  /** The payload, a view into the decompressed buffer (no copy). */
  readonly data: Uint8Array;
}

/** Why a buffer is not the IDX file it should be; `file` names it. */
export type IdxFailure =
  | { readonly reason: 'too-short'; readonly file: string; readonly bytes: number }
  | { readonly reason: 'bad-magic'; readonly file: string; readonly magic: string }
  | { readonly reason: 'rank'; readonly file: string; readonly expected: number; readonly got: number }
  | { readonly reason: 'length'; readonly file: string; readonly expected: number; readonly got: number };

const UBYTE = 0x08;

/** Parses `buf` as an IDX file of rank `rank`; the payload must be exactly the size the header says. */
export function parseIdx(buf: Uint8Array, file: string, rank: number): Result<IdxArray, IdxFailure> {
  if (buf.length < 4) return err({ reason: 'too-short', file, bytes: buf.length });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== UBYTE) {
    return err({ reason: 'bad-magic', file, magic: Array.from(buf.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('') });
  }
  if (buf[3] !== rank) return err({ reason: 'rank', file, expected: rank, got: buf[3]! });
  const header = 4 + 4 * rank;
  if (buf.length < header) return err({ reason: 'too-short', file, bytes: buf.length });
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = header + shape.reduce((a, b) => a * b, 1);
  if (buf.length !== expected) return err({ reason: 'length', file, expected, got: buf.length });
  return ok({ shape, data: buf.subarray(header) });
}

/** Builds an IDX file of unsigned bytes (for tests and synthetic fixtures). */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, UBYTE, shape.length]);
  shape.forEach((n, d) => view.setUint32(4 + 4 * d, n, false));
  out.set(data, header);
  return out;
}

/** One line for an IdxFailure. */
export function describeIdxFailure(f: IdxFailure): string {
  switch (f.reason) {
    case 'too-short':
      return `${f.file}: ${f.bytes} bytes is too short for an IDX header`;
    case 'bad-magic':
      return `${f.file}: magic number ${f.magic} is not an IDX file of unsigned bytes (expected 000008xx)`;
    case 'rank':
      return `${f.file}: an IDX file of ${f.got} dimensions where ${f.expected} were expected`;
    case 'length':
      return `${f.file}: ${f.got} bytes where the header promises ${f.expected} (truncated or padded)`;
  }
}
