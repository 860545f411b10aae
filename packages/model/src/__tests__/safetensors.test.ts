import { describe, expect, it } from 'vitest';
import { configFromJson, configToJson } from '../config-json.js';
import { ConfigError, resolveConfig } from '../resolve.js';
import { readSafetensors, SafetensorsError, writeSafetensors, type SafetensorsProblem } from '../safetensors.js';
import { CONFIG_METADATA_KEY, loadSafetensors, toSafetensors } from '../weights.js';
import { referenceBackend } from '@moh/tensor';
import { tinyConfig, tinyModel } from './helpers.js';

const backend = referenceBackend();

/** A file with a hand-written header and `dataBytes` zero bytes of data. */
function rawFile(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

function problemOf(run: () => unknown): { problem: SafetensorsProblem; message: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof SafetensorsError) return { problem: e.problem, message: e.message };
    throw e;
  }
  throw new Error('expected a SafetensorsError');
}

describe('safetensors', () => {
  it('round-trips a model bit for bit, in parameterSpecs order, with the config in the metadata', () => {
    const config = tinyConfig({ norm: { kind: 'layernorm' }, attention: { outputProjection: true } });
    const model = tinyModel(config);
    model.param('layers.0.ffn.w1')[3] = Number.NaN; // odd values survive too
    model.param('layers.0.ffn.w1')[4] = -0;
    const bytes = toSafetensors(model);
    const header = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(header % 8).toBe(0); // data aligned
    const contents = readSafetensors(bytes);
    expect([...contents.tensors.keys()]).toEqual(model.store.specs.map((s) => s.name));
    expect(configFromJson(contents.metadata[CONFIG_METADATA_KEY])).toEqual(config);
    const copy = loadSafetensors(bytes, config, { backend });
    expect(new Uint32Array(copy.params.buffer, copy.params.byteOffset, copy.params.length)).toEqual(
      new Uint32Array(model.params.buffer, model.params.byteOffset, model.params.length),
    );
    expect(toSafetensors(copy)).toEqual(bytes);
  });

  it('reads files without metadata and with tensors in any offset order', () => {
    const bytes = rawFile({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8);
    new DataView(bytes.buffer).setFloat32(bytes.length - 4, 2.5, true);
    const { tensors, metadata } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['a', 'b']);
    expect(tensors.get('b')?.data[0]).toBe(2.5);
    expect(metadata).toEqual({});
  });

  const F32 = (shape: number[], begin: number, end: number): object => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const corrupt: [string, () => Uint8Array, SafetensorsProblem, RegExp][] = [
    ['fewer than 8 bytes', () => new Uint8Array(5), 'truncated', /fewer than the 8-byte header length/],
    ['header longer than the file', () => rawFile({}, 0).subarray(0, 9), 'truncated', /claims 2 bytes but only 1 follow/],
    ['header that is not JSON', () => rawFile('{"a": ', 0), 'headerJson', /not valid UTF-8 JSON/],
    ['header that is a JSON array', () => rawFile('[1, 2]', 0), 'headerJson', /must be a JSON object/],
    ['dtype F16', () => rawFile({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), 'dtype', /dtype "F16"; only "F32" is supported/],
    ['offsets past the data', () => rawFile({ a: F32([2], 0, 8) }, 4), 'offsets', /outside the 4-byte data section/],
    ['reversed offsets', () => rawFile({ a: F32([0], 4, 0) }, 4), 'offsets', /outside/],
    ['offsets not matching the shape', () => rawFile({ a: F32([3], 0, 8) }, 8), 'offsets', /needs 12 bytes but data_offsets span 8/],
    ['overlapping tensors', () => rawFile({ a: F32([2], 0, 8), b: F32([2], 4, 12) }, 12), 'offsets', /"a" \[0, 8\) and "b" \[4, 12\) overlap/],
  ];
  it.each(corrupt)('rejects %s', (_label, make, problem, message) => {
    const error = problemOf(() => readSafetensors(make()));
    expect(error.problem).toBe(problem);
    expect(error.message).toMatch(message);
  });

  it('rejects a truncated model file (data cut short)', () => {
    const bytes = toSafetensors(tinyModel(tinyConfig()));
    const error = problemOf(() => readSafetensors(bytes.subarray(0, bytes.length - 10)));
    expect(error.problem).toBe('offsets');
    expect(error.message).toMatch(/"lmHead" data_offsets .* outside the .*-byte data section; the file is truncated/);
  });

  describe('against a configuration', () => {
    const config = tinyConfig();
    const model = tinyModel(config);
    const tensors = (): [string, { shape: readonly number[]; data: Float32Array }][] =>
      model.store.specs.map((s) => [s.name, { shape: s.shape, data: model.param(s.name) }]);

    it('rejects a missing tensor', () => {
      const bytes = writeSafetensors(tensors().filter(([n]) => n !== 'layers.1.ffn.w2'));
      const error = problemOf(() => loadSafetensors(bytes, config, { backend }));
      expect(error.problem).toBe('missingTensor');
      expect(error.message).toMatch(/lacks tensor "layers.1.ffn.w2" \[16, 24\]/);
    });

    it('rejects an extra tensor', () => {
      const bytes = writeSafetensors([...tensors(), ['layers.0.router.wr', { shape: [1], data: new Float32Array(1) }]]);
      const error = problemOf(() => loadSafetensors(bytes, config, { backend }));
      expect(error.problem).toBe('extraTensor');
      expect(error.message).toMatch(/"layers.0.router.wr", which this configuration does not use/);
    });

    it('rejects a shape that differs from the configuration', () => {
      const list = tensors().map(([n, t]): [string, { shape: readonly number[]; data: Float32Array }] =>
        n === 'layers.0.attention.wk' ? [n, { shape: [8, 16], data: t.data }] : [n, t]);
      const error = problemOf(() => loadSafetensors(writeSafetensors(list), config, { backend }));
      expect(error.problem).toBe('shape');
      expect(error.message).toMatch(/"layers.0.attention.wk" has shape \[8, 16\] in the file but the configuration needs \[16, 8\]/);
    });

    it('rejects weights of another configuration', () => {
      const error = problemOf(() => loadSafetensors(toSafetensors(model), tinyConfig({ tiedEmbeddings: true }), { backend }));
      expect(error.problem).toBe('extraTensor');
    });
  });
});

describe('config JSON', () => {
  it('round-trips every preset and option', () => {
    for (const config of [
      resolveConfig({ preset: 'seed-moh' }),
      tinyConfig({ norm: { kind: 'layernorm' }, attention: { window: 4, adaptiveWindow: { kind: 'attentionEntropy' }, position: { kind: 'rope' } } }),
    ]) {
      expect(configFromJson(configToJson(config))).toEqual(config);
    }
  });

  it('rejects text that is not a JSON object, and invalid fields', () => {
    expect(() => configFromJson('{')).toThrow(ConfigError);
    expect(() => configFromJson('[]')).toThrow(/json: must be a JSON object/);
    expect(() => configFromJson('{"attention": {"kvHeads": 3}}')).toThrow(/attention.kvHeads: must divide/);
  });
});
