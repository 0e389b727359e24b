/**
 * NumPy's NPY format (magic, version, little-endian header length, a Python dict literal header, then the
 * raw C-order array): the exchange format of `opto data export` and `opto eval --sequences`, readable by
 * `numpy.load` with no other dependency. Only little-endian float32/float64/int32/int64 in C order is
 * read, because anything else would have to be reinterpreted silently.
 */

export type NpyDtype = '<f4' | '<f8' | '<i4' | '<i8';

export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  /** Integer arrays come back as numbers (int64 values must fit a double exactly). */
  values: Float32Array | Float64Array | Int32Array | number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ITEM_SIZE: Record<NpyDtype, number> = { '<f4': 4, '<f8': 8, '<i4': 4, '<i8': 8 };

/**
 * Parse an NPY file (format versions 1, 2, 3). `where` prefixes every error (e.g. `feature file x.npy`);
 * `accept` lists the dtypes the caller can use, and the error for any other names them.
 */
export function parseNpyArray(where: string, bytes: Uint8Array, accept: readonly NpyDtype[]): NpyArray {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not an NPY file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerStart = 10;
    headerLen = view.getUint16(8, true);
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated NPY header');
    headerStart = 12;
    headerLen = view.getUint32(8, true);
  } else {
    return fail(`unsupported NPY format version ${major}.${bytes[7]}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) fail('truncated NPY header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`malformed NPY header ${JSON.stringify(header.trim())}`);
  }
  if (fortran === 'True') fail('fortran_order arrays are not supported (save a C-order array)');
  const expected = accept.map((d) => `'${d}'`).join(' or ');
  const kind = accept.every((d) => d.startsWith('<f')) ? 'float' : accept.every((d) => d.startsWith('<i')) ? 'an integer type' : 'supported';
  if (!(accept as readonly string[]).includes(descr!)) {
    if (/^>/.test(descr!)) fail(`dtype '${descr}' is big-endian; expected ${expected}`);
    fail(`dtype '${descr}' is not ${kind}; expected ${expected}`);
  }
  const dtype = descr as NpyDtype;
  const itemSize = ITEM_SIZE[dtype];
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`bad shape entry '${s}' in NPY header`)));
  const count = shape.reduce((a, b) => a * b, 1);
  const expectBytes = count * itemSize;
  if (bytes.length - dataStart !== expectBytes) {
    fail(`data has ${bytes.length - dataStart} bytes, shape (${shape.join(', ')}) of '${descr}' needs ${expectBytes}`);
  }
  // Read through a DataView: the data offset need not be aligned within a pooled Buffer, and it keeps
  // the little-endian reading explicit on any host.
  let values: NpyArray['values'];
  if (dtype === '<f4') {
    values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(dataStart + 4 * i, true);
  } else if (dtype === '<f8') {
    values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat64(dataStart + 8 * i, true);
  } else if (dtype === '<i4') {
    values = new Int32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getInt32(dataStart + 4 * i, true);
  } else {
    values = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      const v = view.getBigInt64(dataStart + 8 * i, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`element ${i} (${v}) is too large`);
      values[i] = Number(v);
    }
  }
  return { shape, dtype, values };
}

/** An NPY (version 1) file of a float32 or int32 C-order array; the data starts 64-byte aligned. */
export function encodeNpy(shape: readonly number[], data: Float32Array | Int32Array): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`encodeNpy: ${data.length} values for shape (${shape.join(', ')})`);
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(10 + head.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + head.length); // x86/ARM are little-endian
  return out;
}
