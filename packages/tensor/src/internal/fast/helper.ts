/**
 * A second thread for the fast backend: a Node worker that instantiates the same kernels
 * module on the same shared memory, and runs the second half of a big matrix product
 * while the calling thread runs the first, or some heads' attention while it runs the
 * others. A product split by output rows gives every element the arithmetic it has in
 * one call (each sums over k in the same order, tested for every layout), and a head's
 * attention is one call either way, so two threads give the same bits as one.
 *
 * The threads meet through a few integers of their own shared buffer: the caller writes
 * a call's arguments, bumps `posted` and wakes the worker; the worker runs it, copies
 * `posted` into `done` and wakes the caller. Between calls the worker spins briefly
 * (a training step posts its products back to back) and then sleeps. The constructor
 * waits until the worker has instantiated the module.
 *
 * @internal
 */

import type { WasmHeap } from './heap.js';

/**
 * The kernels a helper can run, by the index its worker calls: `matmul` 0, `matmulTN` 1,
 * `matmulNT` 2, `attentionBlocksForward` 3, `attentionBlocksBackward` 4, `matmulRows` 5,
 * `matmulNTRows` 6, `matmulTNRows` 7.
 */
export type HelperKernel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** One call for the helper: a kernel and the numbers its export takes (pointers, sizes, flags). */
export interface HelperCall {
  readonly kernel: HelperKernel;
  readonly args: readonly number[];
}

/** Slots of the control buffer. */
const POSTED = 0;
const DONE = 1;
/** 1 once the worker has its instance; −1 if it failed. */
const STATE = 2;
/** 1 when the last calls threw in the worker. */
const FAILED = 3;
/** How many calls are posted. */
const COUNT = 4;
/** Slots per call: the kernel, then up to 22 numbers (the attention backward's with its scratch). */
const STRIDE = 24;
/** Calls one post may hold. */
const MAX_CALLS = 64;

/** How long the constructor waits for the worker to instantiate the module. */
const START_TIMEOUT_MS = 10000;

/** How long the caller waits for the worker's share of one post. */
const FINISH_TIMEOUT_MS = 60000;

/** Iterations either thread polls before it sleeps on the other. */
const SPINS = 20000;

/** What the worker runs (CommonJS, evaluated by `worker_threads`). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, args } = workerData;
let kernels;
try {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  kernels = [
    k.matmul, k.matmulTN, k.matmulNT, k.attentionBlocksForward, k.attentionBlocksBackward, k.matmulRows, k.matmulNTRows, k.matmulTNRows,
  ];
  Atomics.store(control, ${STATE}, 1);
} catch (e) {
  Atomics.store(control, ${STATE}, -1);
  throw e;
}
let seen = 0;
for (;;) {
  for (let i = 0; i < ${SPINS} && Atomics.load(control, ${POSTED}) === seen; i++);
  Atomics.wait(control, ${POSTED}, seen);
  seen = Atomics.load(control, ${POSTED});
  try {
    // Every call gets ${STRIDE - 1} numbers; an export ignores those past its parameters.
    for (let c = 0, n = Atomics.load(control, ${COUNT}); c < n; c++) {
      const a = args.subarray(c * ${STRIDE} + 1, (c + 1) * ${STRIDE});
      kernels[args[c * ${STRIDE}]](...a);
    }
    Atomics.store(control, ${FAILED}, 0);
  } catch {
    Atomics.store(control, ${FAILED}, 1);
  }
  Atomics.store(control, ${DONE}, seen);
  Atomics.notify(control, ${DONE});
}
`;

/** The slice of Node's `worker_threads` a helper uses. */
interface WorkerThreads {
  Worker: new (source: string, options: { eval: true; workerData: unknown }) => { unref(): void };
}

/** The slice of Node's `process` that finds `worker_threads` (absent in browsers). */
interface NodeProcess {
  getBuiltinModule?(id: 'node:worker_threads'): WorkerThreads | undefined;
}

/** Node's `worker_threads`, or null where there is none (browsers, old Node). */
function workerThreads(): WorkerThreads | null {
  const process = (globalThis as { process?: NodeProcess }).process;
  return process?.getBuiltinModule?.('node:worker_threads') ?? null;
}

/** Whether this runtime can start a helper thread (Node with `process.getBuiltinModule`). */
export function isHelperThreadSupported(): boolean {
  return workerThreads() !== null && typeof SharedArrayBuffer !== 'undefined';
}

/** One helper thread over one module instance's shared memory. */
export class HelperThread {
  private readonly control = new Int32Array(new SharedArrayBuffer(32));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * STRIDE * MAX_CALLS));
  private posted = 0;
  /** The worker's kernel scratch: a block of the heap, grown on demand. */
  private scratchAt = -1;
  private scratchBytes = 0;

  /** Starts the worker; throws where {@link isHelperThreadSupported} is false. */
  constructor(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly heap: WasmHeap,
  ) {
    const threads = workerThreads();
    if (threads === null) throw new Error('A helper thread needs Node’s worker_threads (Node ≥ 20.16); this runtime has none.');
    const worker = new threads.Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: this.control, args: this.args } });
    // A sleeping helper must not keep the process alive.
    worker.unref();
    // Wait for its instance, so that the backend splits from its first product on.
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (Atomics.load(this.control, STATE) === 0 && performance.now() < deadline) Atomics.wait(this.control, STATE, 0, 10);
    if (!this.ready) throw new Error('The helper thread did not start: create the backend with threads: 1.');
  }

  /** Whether the worker took its instance of the module (the constructor waited for it). */
  get ready(): boolean {
    return Atomics.load(this.control, STATE) === 1;
  }

  /**
   * The worker's scratch, at least `bytes` long. Call before the caller's frame copies
   * its arguments in: growing it may grow the memory.
   */
  scratch(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratchAt >= 0) this.heap.free(this.scratchAt);
      this.scratchAt = -1;
      this.scratchBytes = Math.max(bytes, 2 * this.scratchBytes);
      this.scratchAt = this.heap.alloc(this.scratchBytes, false);
    }
    return this.scratchAt;
  }

  /**
   * Hands the worker calls to run in order (at most 64; each export's arguments as it
   * takes them); then {@link HelperThread.finish}.
   */
  post(calls: readonly HelperCall[]): void {
    if (calls.length > MAX_CALLS) throw new RangeError(`A helper takes at most ${MAX_CALLS} calls at once, got ${calls.length}.`);
    calls.forEach((call, c) => {
      this.args[c * STRIDE] = call.kernel;
      this.args.set(call.args, c * STRIDE + 1);
    });
    Atomics.store(this.control, COUNT, calls.length);
    this.posted++;
    Atomics.store(this.control, POSTED, this.posted);
    Atomics.notify(this.control, POSTED);
  }

  /** Waits for the posted calls; throws if one failed in the worker. */
  finish(): void {
    const control = this.control;
    for (let i = 0; i < SPINS && Atomics.load(control, DONE) !== this.posted; i++);
    if (Atomics.load(control, DONE) !== this.posted) {
      // A worker that died (its runtime killed it) never answers: give up after a
      // minute, far beyond any call's length, rather than hang.
      const deadline = performance.now() + FINISH_TIMEOUT_MS;
      for (let done = Atomics.load(control, DONE); done !== this.posted; done = Atomics.load(control, DONE)) {
        if (performance.now() > deadline) throw new Error('The helper thread stopped answering; create the backend with threads: 1.');
        Atomics.wait(control, DONE, done, 100);
      }
    }
    if (Atomics.load(control, FAILED) === 1) throw new Error('A kernel call failed in the helper thread.');
  }
}
