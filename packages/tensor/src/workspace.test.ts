import { describe, expect, it } from 'vitest';
import { availableBackends, fastBackend } from './backends.js';
import { isSharedMemorySupported, isWasmSimdSupported } from './internal/fast/index.js';
import { Workspace } from './workspace.js';

describe.each(availableBackends().map((b) => [b.label, b] as const))('Workspace on the %s backend', (_name, backend) => {
  it('hands out zeroed buffers, reuses a buffer of the right size and re-zeroes a reused backing', () => {
    const w = new Workspace(backend);
    const a = w.ensure(new Float32Array(0), 8);
    expect(Array.from(a)).toEqual(new Array(8).fill(0));
    expect(w.ensure(a, 8)).toBe(a);
    a.fill(3);
    const shorter = w.ensure(a, 5);
    expect(shorter.length).toBe(5);
    expect(Array.from(shorter)).toEqual(new Array(5).fill(0));
    expect(w.liveBytes).toBe(32); // the backing is kept, not reallocated
    const longer = w.ensure(shorter, 12);
    expect(longer.length).toBe(12);
    expect(w.liveBytes).toBe(48);
    expect(w.peakBytes).toBe(48);
  });

  it('grows with headroom, counts ints too, and frees everything', () => {
    const w = new Workspace(backend);
    const g = w.grow(new Float32Array(0), 10);
    expect(g.length).toBe(10);
    expect(w.grow(g, 7)).toBe(g);
    const g2 = w.grow(g, 11);
    expect(g2.length).toBe(13); // ⌈1.25 · 10⌉
    const ints = w.growInt32(new Int32Array(0), 4);
    expect(ints.length).toBe(4);
    expect(w.liveBytes).toBe(4 * 13 + 4 * 4);
    w.release(new Float32Array(3)); // not the workspace's: ignored
    expect(w.liveBytes).toBe(4 * 13 + 4 * 4);
    w.free();
    expect(w.liveBytes).toBe(0);
  });
});

describe.runIf(isWasmSimdSupported() && isSharedMemorySupported())('Workspace residency', () => {
  it('keeps buffers in the fast backend memory (kernels read them in place), and ordinary arrays without a backend', () => {
    const fast = fastBackend();
    expect(fast.stableViews).toBe(true);
    const resident = new Workspace(fast).float32(4);
    expect(resident.buffer).toBeInstanceOf(SharedArrayBuffer);
    const plain = new Workspace().float32(4);
    expect(plain.buffer).toBeInstanceOf(ArrayBuffer);
  });
});
