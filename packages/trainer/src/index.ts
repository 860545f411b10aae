/**
 * `@moh/trainer`: training, evaluation and generation for MoH language models: the
 * embedded default corpus, the byte-level BPE tokenizer, loaders for a user's own data,
 * the training loop (AdamW, schedules, clipping, validation, routing telemetry,
 * checkpoints and exact resume), text generation (greedy, sampling, beam search) and
 * evaluation (held-out QA accuracy, head usage).
 *
 * @packageDocumentation
 */
export { learningRate } from './schedule.js';
export type { ConstantSchedule, LearningRateSchedule, WarmupCosineSchedule } from './schedule.js';

export { DEFAULT_CORPUS_CONFIG, corpusTexts, generateCorpus, resolveCorpusConfig } from './data/corpus.js';
export type { Corpus, CorpusConfig, ResolvedCorpusConfig } from './data/corpus.js';
export type { CorpusSplit, EntityKind, Fact, InstructionPair, PretrainDocument, QaItem, Relation } from './data/types.js';
export { exactMatch, normalizeAnswer } from './data/exact-match.js';
export { DataError } from './data/errors.js';
export type { DataErrorCode } from './data/errors.js';
export { DEFAULT_MAX_BYTES, decodeText, parseJsonl, parseTextDocuments } from './data/parse.js';
export type { Dataset, ReadOptions } from './data/parse.js';
export { loadDataset, loadJsonl, loadTextFile } from './data/load.js';

export { Tokenizer, trainTokenizer } from './tokenizer/tokenizer.js';
export type { DecodeOptions, TokenizerTrainOptions } from './tokenizer/tokenizer.js';
export { TOKENIZER_FORMAT, TOKENIZER_VERSION } from './tokenizer/tokenizer-json.js';
export type { TokenizerJson } from './tokenizer/tokenizer-json.js';
export {
  BYTE_TOKENS, DEFAULT_VOCAB_SIZE, FIRST_MERGE_ID, MAX_VOCAB_SIZE, SPECIAL_TOKEN_NAMES, SPECIAL_TOKENS,
} from './tokenizer/special-tokens.js';
export { decodeAnswer, formatChat, formatDocument, formatPrompt } from './tokenizer/chat.js';
export type { ChatExample } from './tokenizer/chat.js';

export { fitPrompt, generate, streamTokens } from './generate/generate.js';
export type {
  BeamDecoding, BeamHypothesis, DecodingStrategy, GenerateOptions, GenerateResult, GreedyDecoding, SampledDecoding, StopReason,
} from './generate/types.js';
export { greedyToken, logProbabilities, sampleToken, temperatureProbabilities, topKFilter, topPFilter } from './generate/filters.js';
export { modelSource } from './generate/source.js';
export type { DecodingCursor, DecodingSource } from './generate/source.js';
export { lengthNormalisation } from './generate/beam.js';
export { textStreamer } from './generate/text-stream.js';
export { evaluateQa, qaOptions } from './evaluate/qa.js';
export type { QaEvaluation, QaEvaluationOptions, QaPrediction, QaQuestion } from './evaluate/qa.js';
export { headUsage } from './evaluate/head-usage.js';
export type { HeadUsage, LayerHeadUsage } from './evaluate/head-usage.js';
export { sequenceLogProbability } from './evaluate/score.js';

export { PHASES, resolveTrainerConfig, validateTrainerConfig } from './train/config.js';
export type {
  AdamWConfig, PhaseConfig, PhaseConfigInput, PhaseName, ScheduleInput, TelemetryConfig, TrainerConfig, TrainerConfigInput,
  ValidationConfig,
} from './train/config.js';
export { TrainingDataError } from './train/data.js';
export type { InstructionExample, TrainingData } from './train/data.js';
export type { DataCursor } from './train/epoch-order.js';
export { combineObservers } from './train/events.js';
export type {
  CheckpointEvent, LayerTelemetry, PhaseEvent, RoutingCollapseWarning, StepEvent, TelemetryEvent, TrainingEvent,
  TrainingObserver, ValidationEvent, WarningEvent,
} from './train/events.js';
export { Trainer } from './train/trainer.js';
export type { RunOptions, RunResult, TrainerOptions } from './train/trainer.js';
export { TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION } from './train/trainer-state.js';
export type { TrainerState, ValidationRecord } from './train/trainer-state.js';
export type { TelemetryState } from './train/telemetry.js';
export type { AdamWState } from './train/optimizer.js';
export { CHECKPOINT_FILES, CheckpointError, loadCheckpoint, saveCheckpoint } from './train/checkpoint.js';
export type { Checkpoint, CheckpointContents, CheckpointProblem, CheckpointWriteOptions } from './train/checkpoint.js';
export { JsonlMetricsLog } from './train/metrics.js';
export type { MetricsLogOptions } from './train/metrics.js';
export { ProgressReporter } from './train/progress.js';
export type { ProgressReporterOptions } from './train/progress.js';

export { runBenchmark } from './bench/benchmark.js';
export type { BenchmarkOptions, BenchmarkResult, TrainingFigure, VariantFigures } from './bench/benchmark.js';
export { formatBenchmark } from './bench/report.js';
export { DECODE_PROMPTS, DECODE_WARMUP_STEPS } from './bench/measure.js';
export { activeHeadsPerToken, countDecodeFlops, countFlops, meanVisibleKeys } from './bench/flops.js';
export type { FlopBreakdown, FlopCount } from './bench/flops.js';
export { pairedSaving } from './bench/targets.js';
export type { Saving, TargetCheck } from './bench/targets.js';
export { BENCH_VARIANTS, variantConfig } from './bench/variants.js';
export type { BenchVariant } from './bench/variants.js';
