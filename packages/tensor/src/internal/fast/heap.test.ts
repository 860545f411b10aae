import { describe, expect, it } from 'vitest';
import { WasmHeap } from './heap.js';

const PAGE = 65536;

function newHeap(pages = 1, base = 100): WasmHeap {
  return new WasmHeap(new WebAssembly.Memory({ initial: pages }), base);
}

describe('WasmHeap', () => {
  it('hands out 16-byte-aligned blocks above the heap base', () => {
    const heap = newHeap(1, 100);
    const sizes = [1, 3, 16, 17, 100, 4096];
    for (const s of sizes) {
      const p = heap.alloc(s);
      expect(p % 16).toBe(0);
      expect(p).toBeGreaterThanOrEqual(100);
    }
  });

  it('never overlaps live blocks', () => {
    const heap = newHeap();
    const blocks = [5, 40, 33, 1000, 7].map((s) => [heap.alloc(s), s] as const);
    const sorted = [...blocks].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i][0]).toBeGreaterThanOrEqual(sorted[i - 1][0] + sorted[i - 1][1]);
  });

  it('reuses freed memory, first fit, and merges neighbours', () => {
    const heap = newHeap();
    const a = heap.alloc(64);
    const b = heap.alloc(64);
    const c = heap.alloc(64);
    heap.alloc(16); // keeps c from merging into the top
    heap.free(a);
    heap.free(b);
    // a and b merged into one 128-byte hole, which a 128-byte request fits exactly.
    expect(heap.alloc(128)).toBe(a);
    heap.free(c);
    expect(heap.alloc(48)).toBe(c);
  });

  it('lowers the top when the last block is freed, so memory does not creep', () => {
    const heap = newHeap();
    const a = heap.alloc(1000);
    heap.free(a);
    expect(heap.alloc(1000)).toBe(a);
    expect(heap.liveBytes).toBe(1008);
  });

  it('zeroes reused memory unless asked not to', () => {
    const heap = newHeap();
    const a = heap.alloc(64);
    new Uint8Array(heap.memory.buffer, a, 64).fill(0xab);
    heap.free(a);
    const b = heap.alloc(64);
    expect(b).toBe(a);
    expect(Array.from(new Uint8Array(heap.memory.buffer, b, 64)).every((x) => x === 0)).toBe(true);
    new Uint8Array(heap.memory.buffer, b, 64).fill(0xcd);
    heap.free(b);
    const c = heap.alloc(64, false);
    expect(new Uint8Array(heap.memory.buffer, c, 1)[0]).toBe(0xcd);
  });

  it('grows the memory geometrically when it runs out', () => {
    const heap = newHeap(1);
    heap.alloc(PAGE * 3);
    expect(heap.memory.buffer.byteLength / PAGE).toBe(4);
    heap.alloc(PAGE);
    // One more page was needed; the memory doubled instead.
    expect(heap.memory.buffer.byteLength / PAGE).toBe(8);
    heap.alloc(PAGE * 2); // fits without another growth
    expect(heap.memory.buffer.byteLength / PAGE).toBe(8);
  });

  it('rejects double frees, foreign pointers and bad sizes', () => {
    const heap = newHeap();
    const a = heap.alloc(16);
    heap.free(a);
    expect(() => heap.free(a)).toThrow(/Double free/);
    expect(() => heap.free(12345)).toThrow();
    expect(() => heap.alloc(-1)).toThrow(RangeError);
    expect(() => heap.alloc(Number.NaN)).toThrow(RangeError);
  });
});
