/**
 * Minimal NumPy `.npy` (format v1.0) reader and writer for little-endian float32 / int32 arrays
 * in C order, so Python users can `np.load` the teacher data and we can read it back.
 */

/** An n-dimensional array as stored in a .npy file. */
export interface NpyArray {
  readonly dtype: 'float32' | 'int32';
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const DESCR = { float32: '<f4', int32: '<i4' } as const;

/** Serialises an array to .npy bytes (v1.0 header padded so the data starts 64-byte aligned). */
export function encodeNpy(arr: NpyArray): Buffer {
  const size = arr.shape.reduce((a, b) => a * b, 1);
  if (size !== arr.data.length) {
    throw new Error(`npy: shape [${arr.shape.join(', ')}] holds ${size} values, data has ${arr.data.length}`);
  }
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  if (header.length > 65535) throw new Error('npy: header too long for format v1.0');
  const pre = Buffer.alloc(MAGIC.length + 4);
  Buffer.from(MAGIC).copy(pre, 0);
  pre[6] = 1; // major
  pre[7] = 0; // minor
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(arr.data.length * 4);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (arr.dtype === 'float32') for (let i = 0; i < arr.data.length; i++) view.setFloat32(i * 4, arr.data[i]!, true);
  else for (let i = 0; i < arr.data.length; i++) view.setInt32(i * 4, arr.data[i]!, true);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

/** Parses .npy bytes (v1.0-v3.0 headers; '<f4' or '<i4'; C order); throws on anything else. */
export function decodeNpy(bytes: Uint8Array): NpyArray {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new Error('npy: not a .npy file (bad magic)');
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`npy: cannot parse header ${JSON.stringify(header)}`);
  }
  if (fortran !== 'False') throw new Error('npy: fortran_order arrays are not supported');
  const dtype = descr === '<f4' ? 'float32' : descr === '<i4' ? 'int32' : null;
  if (!dtype) throw new Error(`npy: expected dtype '<f4' or '<i4', got '${descr}'`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const size = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLen;
  if (bytes.byteLength - offset < size * 4) {
    throw new Error(`npy: truncated data: expected ${size * 4} bytes, got ${bytes.byteLength - offset}`);
  }
  const data = dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
  for (let i = 0; i < size; i++) {
    data[i] = dtype === 'float32' ? dv.getFloat32(offset + i * 4, true) : dv.getInt32(offset + i * 4, true);
  }
  return { dtype, shape, data };
}

/** Writes an array as a .npy file. */
export async function writeNpy(path: string, arr: NpyArray): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, encodeNpy(arr));
}

/** Reads a .npy file. */
export async function readNpy(path: string): Promise<NpyArray> {
  const { readFile } = await import('node:fs/promises');
  return decodeNpy(await readFile(path));
}
