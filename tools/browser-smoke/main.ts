// Runs in a browser page: loads the backend the way a web app would (asynchronous
// compile on the main thread), computes with it, trains a tiny model for a few steps
// and decodes with the KV cache, then writes a JSON verdict into the page for the runner.
import { createModel, resolveConfig } from '@moh/model';
import { loadBackend, Rng, Tensor } from '@moh/tensor';

async function run(): Promise<Record<string, unknown>> {
  const backend = await loadBackend();
  const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], backend);
  const b = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2], backend);
  const c = Tensor.zeros([2, 2], backend);
  backend.matmul(c.data, a.data, b.data, 2, 3, 2);
  // Enough allocation to grow the WebAssembly memory past its first size.
  const big = Array.from({ length: 4 }, () => Tensor.zeros([1 << 21], backend));
  big[3].data[5] = 1;
  const model = createModel(
    resolveConfig({
      preset: 'seed-moh',
      vocabSize: 16,
      modelDim: 16,
      layers: 1,
      maxSeqLen: 8,
      attention: { queryHeads: 4, kvHeads: 2, headSelection: { sharedHeads: 1, activeRoutedHeads: 2 } },
      ffn: { hiddenDim: 32 },
    }),
    { backend, seed: 1 },
  );
  const rng = new Rng(3);
  const ids = Int32Array.from({ length: 8 }, () => rng.int(16));
  const targets = Int32Array.from(ids.slice(1).join(',').split(',').map(Number).concat([-1]));
  const losses: number[] = [];
  const m = new Float32Array(model.params.length);
  const v = new Float32Array(model.params.length);
  for (let step = 1; step <= 30; step++) {
    model.zeroGrad();
    losses.push(model.forward(ids, targets, 1, 8).loss);
    model.backward();
    backend.adamwStep(model.params, m, v, model.grads, { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, step }, model.params.length);
  }
  model.forward(ids, null, 1, 8);
  const full = model.logits.slice();
  const decoder = model.decoder(1, 8);
  let decodeMatches = true;
  for (let t = 0; t < 8; t++) {
    const logits = decoder.append(ids.subarray(t, t + 1), 1);
    for (let j = 0; j < 16; j++) if (logits[j] !== full[t * 16 + j]) decodeMatches = false;
  }
  return {
    backend: backend.label,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    matmul: c.toArray(),
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
    decodeMatches,
  };
}

const out = document.getElementById('result') as HTMLElement;
run().then(
  (result) => {
    out.textContent = `RESULT ${JSON.stringify(result)}`;
  },
  (error: unknown) => {
    out.textContent = `ERROR ${error instanceof Error ? `${error.message}\n${error.stack}` : String(error)}`;
  },
);
