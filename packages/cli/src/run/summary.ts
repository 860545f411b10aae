/** The end-of-training summary: `summary.json`, `moh train --json`, and the text `npm start` shows. */
import { join } from 'node:path';
import { countParameters } from '@moh/model';
import type { StepEvent } from '@moh/trainer';
import { describeHeads } from './model-config.js';
import { formatReport, type EvaluationReport } from './report.js';
import type { Setup } from './training.js';

/** What `moh train --json` prints (and `summary.json` holds). */
export interface TrainSummary extends EvaluationReport {
  readonly run: {
    readonly dir: string;
    readonly preset: string;
    /** The `--heads` override, or null for the preset's own. */
    readonly heads: string | null;
    readonly headSelection: string;
    readonly parameters: number;
    /** `embedded` or the corpus path. */
    readonly corpus: string;
    readonly data: { documents: number; validationDocuments: number; pairs: number; validationPairs: number };
    readonly steps: { readonly pretraining: number; readonly instruction: number; readonly completed: number };
    readonly batchSize: number;
    readonly seqLen: number;
    readonly seed: number;
    /** Training time (validation and checkpoints included), across resumes. */
    readonly trainingSeconds: number;
    /** Throughput of the latest session; null when it took no step. */
    readonly tokensPerSecond: number | null;
  };
}

/** Gathers the summary of a finished run. */
export function makeSummary(setup: Setup, report: EvaluationReport, lastStep: StepEvent | null): TrainSummary {
  const { trainer, info, data } = setup;
  const c = trainer.config;
  return {
    run: {
      dir: setup.runDir,
      preset: info.preset,
      heads: info.heads,
      headSelection: describeHeads(trainer.model.config),
      parameters: countParameters(trainer.model.config).total,
      corpus: info.corpus.kind === 'embedded' ? 'embedded' : info.corpus.path,
      data: data.counts,
      steps: { pretraining: c.pretraining.steps, instruction: c.instruction.steps, completed: trainer.step },
      batchSize: c.batchSize,
      seqLen: c.seqLen,
      seed: c.seed,
      trainingSeconds: trainer.state().elapsedMs / 1000,
      tokensPerSecond: lastStep === null ? null : lastStep.tokensPerSecond,
    },
    ...report,
  };
}

/** The summary as text. `dirName` is the run directory as the user named it. */
export function formatSummary(summary: TrainSummary, dirName: string): string {
  const r = summary.run;
  const speed = r.tokensPerSecond === null ? '' : `, ${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s`;
  const corpus = r.corpus === 'embedded' ? 'the embedded corpus' : r.corpus;
  const lines = [
    '',
    `Trained ${r.preset}${r.heads === null ? '' : ` --heads ${r.heads}`} (${r.parameters.toLocaleString('en-US')} parameters; ${r.headSelection})`,
    `on ${corpus}: ${r.steps.completed} steps (${r.steps.pretraining} pretraining + ${r.steps.instruction} instruction tuning) in ${formatSeconds(r.trainingSeconds)}${speed}.`,
    '',
    formatReport(summary).trimEnd(),
    '',
    `Wrote ${join(dirName, 'checkpoint')}/, ${join(dirName, 'metrics.jsonl')}, ${join(dirName, 'loss.svg')} (loss curve), ${join(dirName, 'summary.json')}.`,
    `Next: moh chat --checkpoint ${dirName}   |   moh inspect --checkpoint ${dirName} --prompt "…"   |   moh eval --checkpoint ${dirName}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** `3m05s` or `12.3s`. */
export function formatSeconds(seconds: number): string {
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${seconds.toFixed(1)}s`;
}
