/**
 * Shared test helpers for the `@moh` packages: closeness assertions, finite-difference
 * gradient checks and a small seeded generator for test data. Private and dependency-free:
 * it imports no `@moh` package, so any package's tests may use it.
 *
 * @packageDocumentation
 */
export { expectClose, isClose } from './expect-close.js';
export type { Numeric, Tolerance } from './expect-close.js';
export { FLOAT32_GRADCHECK, FLOAT64_GRADCHECK, gradcheck, gradcheckReport } from './gradcheck.js';
export type { GradcheckEntry, GradcheckOptions, GradcheckReport, GradInput } from './gradcheck.js';
export { dot, toFloat64 } from './arrays.js';
export { seededInts, seededValues, testRandom } from './random.js';
export { markdownCodeBlocks, runCodeExample } from './markdown.js';
