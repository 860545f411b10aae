/**
 * `@moh/trainer`: training, evaluation and generation for MoH language models. It
 * holds the learning-rate schedules now; the training loop, data, tokenizer and
 * generation follow.
 *
 * @packageDocumentation
 */
export { learningRate } from './schedule.js';
export type { ConstantSchedule, LearningRateSchedule, WarmupCosineSchedule } from './schedule.js';
