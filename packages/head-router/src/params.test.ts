import { Rng } from '@moh/tensor';
import { describe, expect, it } from 'vitest';
import { initRouterParams } from './params.js';

describe('initRouterParams', () => {
  it('draws N(0, std²) into ws, wr, wh in that order from the given Rng', () => {
    const params = { ws: new Float32Array(3), wr: new Float32Array(4), wh: new Float32Array(2) };
    initRouterParams(params, new Rng(9), 0.02);
    const stream = new Float32Array(9);
    new Rng(9).fillNormal(stream, 0, 0.02);
    expect([...params.ws, ...params.wr, ...params.wh]).toEqual(Array.from(stream));
    expect(stream.every((v) => v !== 0 && Math.abs(v) < 0.02 * 6)).toBe(true);
  });
});
