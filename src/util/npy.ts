/**
 * NumPy `.npy` (format 1.0) reader and writer for the dtypes the pipeline stores — uint8 (`|u1`,
 * CIFAR images), int32 (`<i4`, token ids) and float32 (`<f4`) — in C order, so a Python user can
 * `np.load` every array a stage writes, and we can read it back.
 */
import { readFile, writeFile } from 'node:fs/promises';

/** The element types supported. */
export type NpyDtype = 'uint8' | 'int32' | 'float32';

/** A typed array with its shape, as stored in (or read from) an `.npy` file. */
export type NpyArray =
  | { readonly dtype: 'uint8'; readonly shape: readonly number[]; readonly data: Uint8Array }
  | { readonly dtype: 'int32'; readonly shape: readonly number[]; readonly data: Int32Array }
  | { readonly dtype: 'float32'; readonly shape: readonly number[]; readonly data: Float32Array };

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const DESCR: Record<NpyDtype, string> = { uint8: '|u1', int32: '<i4', float32: '<f4' };
const BYTES: Record<NpyDtype, number> = { uint8: 1, int32: 4, float32: 4 };

/** The `.npy` bytes of `array` (header padded so the data starts 64-byte aligned, as NumPy writes it). */
export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new Error(`npy: shape [${array.shape.join(', ')}] holds ${count} elements, data has ${array.data.length}`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1; // magic, version, length, header, \n
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 65535) throw new Error('npy: header too long for format 1.0');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1; // major version
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  // Typed arrays are little-endian on every platform Node supports: their bytes are `<i4` / `<f4`.
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

/** Parses `.npy` bytes (`|u1`, `<i4` or `<f4`, C order); throws, naming `name`, on anything else. */
export function decodeNpy(bytes: Uint8Array, name = 'npy'): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${name}: not an .npy file (bad magic)`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${name}: cannot parse the .npy header ${JSON.stringify(header)}`);
  }
  if (fortran !== 'False') throw new Error(`${name}: Fortran-order arrays are not supported`);
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((d) => DESCR[d] === descr);
  if (!dtype) throw new Error(`${name}: unsupported dtype '${descr}' (expected |u1, <i4 or <f4)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const want = count * BYTES[dtype];
  if (buf.length - offset < want) throw new Error(`${name}: truncated data: expected ${want} bytes, got ${buf.length - offset}`);
  if (buf.length - offset > want) throw new Error(`${name}: ${buf.length - offset - want} bytes after the data`);
  // Copy: the data offset inside a pooled Buffer need not be aligned for a typed array view.
  const raw = new Uint8Array(buf.subarray(offset, offset + want));
  if (dtype === 'uint8') return { dtype, shape, data: raw };
  if (dtype === 'int32') return { dtype, shape, data: new Int32Array(raw.buffer, 0, count) };
  return { dtype, shape, data: new Float32Array(raw.buffer, 0, count) };
}

/** Writes an array as a .npy file. */
export async function writeNpy(path: string, array: NpyArray): Promise<void> {
  await writeFile(path, encodeNpy(array));
}

/** Reads and parses a .npy file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await readFile(path), path);
}
