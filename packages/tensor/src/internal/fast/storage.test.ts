import { describe, expect, it } from 'vitest';
import { createFastBackend, isSharedMemorySupported, loadFastBackend } from './index.js';

describe('fast backend storage', () => {
  it('allocates zeroed, resident storage of the requested length', () => {
    const be = createFastBackend();
    const f = be.allocFloat32(37);
    const i = be.allocInt32(5);
    expect(f.length).toBe(37);
    expect(f.data.length).toBe(37);
    expect(f.data.byteOffset % 16).toBe(0);
    expect(Array.from(f.data).every((x) => x === 0)).toBe(true);
    expect(i.data).toBeInstanceOf(Int32Array);
    expect(Array.from(i.data)).toEqual([0, 0, 0, 0, 0]);
  });

  it('keeps data valid after an ordinary memory grows (old views detach, the getter re-creates them)', () => {
    const be = createFastBackend({ sharedMemory: false });
    const s = be.allocFloat32(1000);
    const before = s.data;
    for (let j = 0; j < 1000; j++) before[j] = j * 0.5;
    const big = be.allocFloat32(8 << 20); // 32 MiB: forces growth
    expect(before.length).toBe(0); // detached
    const after = s.data;
    expect(after.length).toBe(1000);
    expect(after[999]).toBe(499.5);
    expect(after.buffer).toBe(big.data.buffer);
    big.free();
    s.free();
  });

  it.runIf(isSharedMemorySupported())('keeps old views valid and resident when a shared memory grows', () => {
    const be = createFastBackend({ sharedMemory: true });
    const a = be.allocFloat32(4);
    const out = be.allocFloat32(4);
    const [viewA, viewOut] = [a.data, out.data];
    viewA.set([1, 2, 3, 4]);
    const big = be.allocFloat32(8 << 20); // 32 MiB: forces growth
    expect(viewA.length).toBe(4); // not detached
    expect(viewA.buffer).not.toBe(big.data.buffer); // an older buffer object over the same bytes
    // The kernels still read the old views in place: writes through one are seen through the other.
    be.scale(viewOut, viewA, 2, 4);
    expect(Array.from(out.data)).toEqual([2, 4, 6, 8]);
    viewA[0] = 10;
    expect(a.data[0]).toBe(10);
    big.free();
  });

  it('gives every backend a memory of its own, also when they share a compiled module', async () => {
    const a = createFastBackend();
    const b = createFastBackend();
    const c = await loadFastBackend();
    const x = a.allocFloat32(8);
    const y = b.allocFloat32(8);
    const z = c.allocFloat32(8);
    x.data.fill(1);
    y.data.fill(2);
    z.data.fill(3);
    a.scale(x.data, x.data, 5, 8);
    expect([x.data[7], y.data[7], z.data[7]]).toEqual([5, 2, 3]);
    b.add(y.data, y.data, y.data, 8);
    expect([x.data[0], y.data[0], z.data[0]]).toEqual([5, 4, 3]);
  });

  it('returns freed memory zeroed to the next allocation', () => {
    const be = createFastBackend();
    const a = be.allocFloat32(64);
    a.data.fill(7);
    const offset = a.data.byteOffset;
    a.free();
    const b = be.allocFloat32(64);
    expect(b.data.byteOffset).toBe(offset);
    expect(Array.from(b.data).every((x) => x === 0)).toBe(true);
  });

  it('refuses use after free', () => {
    const be = createFastBackend();
    const a = be.allocFloat32(4);
    a.free();
    expect(() => a.data).toThrow(/freed/);
    expect(() => a.free()).toThrow(/freed/);
  });
});
