/**
 * `@moh/tensor`: row-major float32 tensors, the numeric kernels of the `@moh` models in
 * two interchangeable backends (plain TypeScript and WebAssembly SIMD), and the one
 * seeded random number generator.
 *
 * Shape letters used across @moh: B batch, T tokens, d model width, H query heads,
 * G key/value heads, D head width, F FFN width, V vocabulary, L layers.
 *
 * @packageDocumentation
 */
export type { AdamStepOptions, BackendName, Kernels } from './kernels.js';
export { ATTENTION_BLOCK_FIELDS, AttentionBlock, type AttentionBackwardCall, type AttentionForwardCall } from './kernels/attention.js';
export type { HeadGating } from './kernels/route.js';
export type { Backend, Storage } from './backend.js';
export { availableBackends, createBackend, enableRelaxedSimd, fastBackend, getBackend, loadBackend, referenceBackend } from './backends.js';
export type { CreateBackendOptions } from './backends.js';
export { Rng } from './rng.js';
export type { RngState } from './rng.js';
export { Tensor, shapeSize } from './tensor.js';
export { Workspace } from './workspace.js';
export type { Elements } from './workspace.js';
export type { Shape } from './tensor.js';
