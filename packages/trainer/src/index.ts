/**
 * `@moh/trainer`: training, evaluation and generation for MoH language models. It
 * holds the learning-rate schedules, the embedded default corpus, the byte-level BPE
 * tokenizer and the loaders for a user's own data; the training loop and generation
 * follow.
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
