/**
 * safetensors reading and writing, byte-level and browser-friendly (no Node APIs).
 *
 * Layout: an 8-byte little-endian unsigned header length n, then n bytes of UTF-8
 * JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {…}}`,
 * then the data section, where each tensor occupies bytes `[begin, end)` counted from
 * the section's start, as little-endian values. Only `F32` is supported. Writers pad
 * the header with spaces to a multiple of 8 bytes so that the data is aligned.
 */

/** What went wrong with a safetensors file. */
export type SafetensorsProblem =
  | 'truncated'
  | 'headerJson'
  | 'dtype'
  | 'missingTensor'
  | 'extraTensor'
  | 'shape'
  | 'offsets';

/** A safetensors file that cannot be used; `problem` classifies it and the message says how to fix it. */
export class SafetensorsError extends Error {
  /** The kind of problem. */
  readonly problem: SafetensorsProblem;

  constructor(problem: SafetensorsProblem, message: string) {
    super(message);
    this.name = 'SafetensorsError';
    this.problem = problem;
  }
}

/** One float32 tensor of a safetensors file. */
export interface NamedTensor {
  /** Its shape, outermost first. */
  readonly shape: readonly number[];
  /** Its elements, row-major. */
  readonly data: Float32Array;
}

/** The contents of a safetensors file: tensors in file order plus string metadata. */
export interface SafetensorsContents {
  /** Tensors by name, in the order of their data offsets. */
  readonly tensors: Map<string, NamedTensor>;
  /** The `__metadata__` entries (string to string), empty when absent. */
  readonly metadata: Record<string, string>;
}

const HEADER_LENGTH_BYTES = 8;
/** A header larger than this is certainly corrupt (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serialises tensors (in the given order) and optional string metadata to safetensors bytes.
 *
 * @example
 * ```ts
 * import { readSafetensors, writeSafetensors } from '@moh/model';
 * const bytes = writeSafetensors([['w', { shape: [2], data: new Float32Array([1, 2]) }]]);
 * readSafetensors(bytes).tensors.get('w')?.data; // Float32Array [1, 2]
 * ```
 */
export function writeSafetensors(
  tensors: Iterable<readonly [string, NamedTensor]>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = { ...metadata };
  const list = [...tensors];
  let offset = 0;
  for (const [name, tensor] of list) {
    if (name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor.');
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) {
      throw new Error(`Tensor "${name}" has shape [${tensor.shape.join(', ')}] but ${tensor.data.length} elements.`);
    }
    header[name] = { dtype: 'F32', shape: [...tensor.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const bytes = new Uint8Array(HEADER_LENGTH_BYTES + json.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, HEADER_LENGTH_BYTES);
  let at = HEADER_LENGTH_BYTES + json.length;
  for (const [, tensor] of list) {
    writeFloat32(bytes, at, tensor.data);
    at += 4 * tensor.data.length;
  }
  return bytes;
}

/**
 * Parses safetensors bytes, checking the header length, the header JSON, dtypes,
 * shapes against byte counts, and that data offsets lie inside the data section
 * without overlapping. Throws {@link SafetensorsError}.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsContents {
  if (bytes.length < HEADER_LENGTH_BYTES) {
    throw new SafetensorsError(
      'truncated',
      `Truncated safetensors file: ${bytes.length} bytes, fewer than the 8-byte header length. Re-export or re-download the file.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError('headerJson', `Header length ${headerLength} is implausible; this is not a safetensors file.`);
  }
  const dataStart = HEADER_LENGTH_BYTES + Number(headerLength);
  if (dataStart > bytes.length) {
    throw new SafetensorsError(
      'truncated',
      `Truncated safetensors file: the header claims ${headerLength} bytes but only ${bytes.length - HEADER_LENGTH_BYTES} follow. Re-export or re-download the file.`,
    );
  }
  const header = parseHeader(bytes.subarray(HEADER_LENGTH_BYTES, dataStart));
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      readMetadata(value, metadata);
      continue;
    }
    entries.push(readEntry(name, value, dataLength));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1];
    const cur = entries[i];
    if (cur.begin < prev.end) {
      throw new SafetensorsError(
        'offsets',
        `Tensors "${prev.name}" [${prev.begin}, ${prev.end}) and "${cur.name}" [${cur.begin}, ${cur.end}) overlap in the data section; the header is corrupt. Re-export the file.`,
      );
    }
  }
  const tensors = new Map<string, NamedTensor>();
  for (const e of entries) {
    tensors.set(e.name, { shape: e.shape, data: readFloat32(bytes, dataStart + e.begin, (e.end - e.begin) / 4) });
  }
  return { tensors, metadata };
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    throw new SafetensorsError(
      'headerJson',
      `The safetensors header is not valid UTF-8 JSON (${(e as Error).message}). The file is corrupt or not safetensors; re-export it.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SafetensorsError('headerJson', 'The safetensors header must be a JSON object mapping tensor names to entries.');
  }
  return parsed as Record<string, unknown>;
}

function readMetadata(value: unknown, into: Record<string, string>): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SafetensorsError('headerJson', '"__metadata__" must be an object of strings.');
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new SafetensorsError('headerJson', `"__metadata__.${key}" must be a string.`);
    into[key] = v;
  }
}

function readEntry(name: string, value: unknown, dataLength: number): { name: string; shape: number[]; begin: number; end: number } {
  const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof entry !== 'object' || entry === null) {
    throw new SafetensorsError('headerJson', `Header entry "${name}" must be an object with dtype, shape and data_offsets.`);
  }
  if (entry.dtype !== 'F32') {
    throw new SafetensorsError(
      'dtype',
      `Tensor "${name}" has dtype ${JSON.stringify(entry.dtype)}; only "F32" is supported. Convert the weights to float32 before loading.`,
    );
  }
  const shape = entry.shape;
  if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new SafetensorsError('headerJson', `Tensor "${name}" needs a shape of non-negative integers, got ${JSON.stringify(shape)}.`);
  }
  const offsets = entry.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError('offsets', `Tensor "${name}" needs data_offsets [begin, end] of non-negative integers, got ${JSON.stringify(offsets)}.`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > dataLength) {
    throw new SafetensorsError(
      'offsets',
      `Tensor "${name}" data_offsets [${begin}, ${end}) lie outside the ${dataLength}-byte data section; the file is truncated or its header corrupt. Re-export it.`,
    );
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (end - begin !== 4 * count) {
    throw new SafetensorsError(
      'offsets',
      `Tensor "${name}" of shape [${shape.join(', ')}] needs ${4 * count} bytes but data_offsets span ${end - begin}.`,
    );
  }
  return { name, shape: shape as number[], begin, end };
}

/** Copies little-endian float32s out of `bytes` (bit-exact, NaN payloads included). */
function readFloat32(bytes: Uint8Array, at: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * count));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, 4 * count);
    const raw = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) raw[i] = view.getUint32(4 * i, true);
  }
  return out;
}

function writeFloat32(bytes: Uint8Array, at: number, data: Float32Array): void {
  if (littleEndianHost) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, 4 * data.length), at);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, 4 * data.length);
    const raw = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let i = 0; i < data.length; i++) view.setUint32(4 * i, raw[i], true);
  }
}
