/**
 * The evaluation report of a model on a run's data, and its text form: what
 * `moh train` prints at the end (and so what `npm start` shows) and what `moh eval`
 * prints. The JSON form is the same object.
 */
import type { Model } from '@moh/model';
import type { RunData } from './data.js';
import {
  headLoad, qaAccuracy, sampleAnswers, sampleContinuations, validationLoss,
  type HeadLoadReport, type SampleAnswer, type ValidationReport,
} from './evaluate.js';

/** Everything measured about a model. */
export interface EvaluationReport {
  readonly validation: ValidationReport;
  /** Held-out QA exact-match accuracy; null without held-out questions (a user corpus). */
  readonly qa: { readonly accuracy: number; readonly correct: number; readonly total: number } | null;
  /** Sample answers to held-out and trained questions (when the data has pairs). */
  readonly samples: readonly SampleAnswer[];
  /** Sample continuations of validation documents (when the data has no pairs). */
  readonly continuations: readonly { readonly prompt: string; readonly continuation: string }[];
  readonly headUsage: HeadLoadReport;
}

/** What to measure. */
export interface EvaluationOptions {
  readonly batchSize: number;
  readonly seqLen: number;
  /** Whether to generate sample answers and continuations (eval leaves them out unless asked). */
  readonly samples: boolean;
}

/** Measures `model` on `data`. */
export function evaluateRun(model: Model, data: RunData, options: EvaluationOptions): EvaluationReport {
  const validation = validationLoss(model, data.training, options.batchSize, options.seqLen);
  const qa = qaAccuracy(model, data.tokenizer, data.heldOut);
  const hasPairs = data.trainQuestions.length > 0;
  return {
    validation,
    qa: qa === null ? null : { accuracy: qa.accuracy, correct: qa.correct, total: qa.total },
    samples: options.samples && hasPairs ? sampleAnswers(model, data, qa) : [],
    continuations: options.samples && !hasPairs ? sampleContinuations(model, data) : [],
    headUsage: headLoad(model, data.tokenizer, data.validationTexts),
  };
}

/** The report as text, for a person. */
export function formatReport(report: EvaluationReport): string {
  const lines: string[] = [];
  const { text, answers } = report.validation;
  lines.push(text === null
    ? 'Validation loss: no validation documents (a corpus needs 10 or more documents for a validation split)'
    : `Validation loss: ${text.ce.toFixed(4)} nats/token, perplexity ${text.perplexity.toFixed(2)} (${text.tokens} tokens)`);
  if (answers !== null) {
    lines.push(`Answer loss:     ${answers.ce.toFixed(4)} nats/token, perplexity ${answers.perplexity.toFixed(2)} (validation pairs, ${answers.tokens} answer tokens)`);
  }
  if (report.qa !== null) {
    lines.push(`Held-out QA:     ${(100 * report.qa.accuracy).toFixed(1)}% exact match (${report.qa.correct}/${report.qa.total} questions about facts never asked in training)`);
  }
  if (report.samples.length > 0) {
    lines.push('', 'Sample answers:');
    const width = Math.max(...report.samples.map((s) => s.question.length));
    for (const s of report.samples) {
      const mark = s.correct ? '✓' : '✗';
      lines.push(`  ${mark} ${s.heldOut ? '[held out]' : '[trained] '} ${s.question.padEnd(width)}  → ${JSON.stringify(s.answer)} (expected ${JSON.stringify(s.expected)})`);
    }
  }
  if (report.continuations.length > 0) {
    lines.push('', 'Sample continuations (greedy):');
    for (const c of report.continuations) lines.push(`  ${c.prompt} ⟶${c.continuation}`);
  }
  lines.push('', ...formatHeadLoad(report.headUsage));
  return `${lines.join('\n')}\n`;
}

/** The head-load table: a row per layer, a column per head. */
export function formatHeadLoad(usage: HeadLoadReport): string[] {
  const heads = usage.load[0]?.length ?? 0;
  const about = usage.headSelection === 'mixtureOfHeads'
    ? `mixture of heads: ${sharedHeads(usage.sharedHeads)} shared, the rest routed per token`
    : usage.headSelection === 'allHeads' ? 'all heads on every token' : 'static pruning: the same heads on every token';
  const lines = [`Head usage (share of tokens each head ran on, ${usage.documents} validation documents, ${usage.tokens} tokens; ${about}):`];
  lines.push(`  ${'layer'.padEnd(6)}${Array.from({ length: heads }, (_, h) => `h${h}`.padStart(6)).join('')}   mean`);
  usage.load.forEach((row, l) => {
    const mean = row.reduce((a, b) => a + b, 0) / Math.max(1, row.length);
    lines.push(`  ${String(l).padEnd(6)}${row.map((x) => x.toFixed(2).padStart(6)).join('')}   ${mean.toFixed(2)}`);
  });
  return lines;
}

/** "head 0 is" or "heads 0–1 are": the shared heads of a MoH layer. */
export function sharedHeads(count: number): string {
  return count === 1 ? 'head 0 is' : `heads 0–${count - 1} are`;
}
