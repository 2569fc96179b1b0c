/**
 * A minimal NumPy `.npy` (format 1.0) writer and reader for the dtypes the data stages store.
 * Files written here open with `numpy.load` unchanged, so a reader can check our arrays in Python.
 */
import { readFile } from 'node:fs/promises';

/** The element types supported: uint8 (`|u1`) and little-endian float32 (`<f4`). */
export type NpyDtype = 'uint8' | 'float32';

/** A typed array with its shape, as stored in (or read from) an `.npy` file. */
export type NpyArray =
  | { readonly dtype: 'uint8'; readonly shape: readonly number[]; readonly data: Uint8Array }
  | { readonly dtype: 'float32'; readonly shape: readonly number[]; readonly data: Float32Array };

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"
const DESCR: Record<NpyDtype, string> = { uint8: '|u1', float32: '<f4' };

/** The `.npy` bytes for `array` (header padded to a multiple of 64 bytes, as NumPy writes it). */
export function encodeNpy(array: NpyArray): Buffer {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (count !== array.data.length) {
    throw new Error(`npy: shape [${array.shape.join(', ')}] holds ${count} elements, data has ${array.data.length}`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1; // magic, version, length, header, \n
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1; // major version
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  // Float32Array is little-endian on every platform Node supports, so its bytes are `<f4`.
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

/** Parses `.npy` bytes written by {@link encodeNpy} (or NumPy, for `|u1` / `<f4` C-order arrays); throws on anything else. */
export function decodeNpy(bytes: Uint8Array, name = 'array'): NpyArray {
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
    throw new Error(`${name}: unreadable .npy header ${JSON.stringify(header)}`);
  }
  if (fortran !== 'False') throw new Error(`${name}: Fortran-order arrays are not supported`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (descr === '|u1') {
    if (buf.length - offset !== count) throw new Error(`${name}: expected ${count} bytes of data, got ${buf.length - offset}`);
    return { dtype: 'uint8', shape, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, count) };
  }
  if (descr === '<f4') {
    if (buf.length - offset !== count * 4) throw new Error(`${name}: expected ${count * 4} bytes of data, got ${buf.length - offset}`);
    // Copy: the data offset inside a pooled Buffer need not be 4-byte aligned.
    const data = new Float32Array(count);
    Buffer.from(data.buffer).set(buf.subarray(offset));
    return { dtype: 'float32', shape, data };
  }
  throw new Error(`${name}: unsupported dtype ${descr} (expected |u1 or <f4)`);
}

/** Reads and parses an `.npy` file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await readFile(path), path);
}
