/**
 * `@moh/cli`: the `moh` command-line tool. Run `moh --help` for the commands; this
 * barrel exposes the same program for embedding and testing.
 *
 * @packageDocumentation
 */
export { createProgram, main } from './main.js';
export { CliError, CommandExit, ExitCode } from './errors.js';
export type { ExitCodeValue } from './errors.js';
export type { CliIo } from './io.js';
export { processIo } from './io.js';
export { runParams } from './commands/params.js';
export type { ParamsOptions } from './commands/params.js';
export { TRAIN_DEFAULTS } from './commands/train.js';
export type { TrainOptions } from './commands/train.js';
export type { GenerateCommandOptions } from './commands/generate.js';
export type { ChatOptions } from './commands/chat.js';
export type { EvalOptions } from './commands/eval.js';
export type { InspectOptions } from './commands/inspect.js';
export type { DecodingOptions } from './commands/decoding.js';
export type { TrainSummary } from './run/summary.js';
export type { EvaluationReport } from './run/report.js';
export type { HeadLoadReport, LossReport, SampleAnswer, ValidationReport } from './run/evaluate.js';
export type { CorpusSource, HeadsChoice, RunInfo } from './run/run-info.js';
export type { RunData } from './run/data.js';
