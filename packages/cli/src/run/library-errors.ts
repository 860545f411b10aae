/**
 * Library errors as `moh` errors: every error type of `@moh/model` and `@moh/trainer`
 * that a user can cause (bad data, a bad checkpoint, a bad configuration) becomes a
 * {@link CliError} with one line of reason and a hint, so no stack trace is shown for it.
 */
import { ConfigError, SafetensorsError } from '@moh/model';
import { CheckpointError, DataError, TrainingDataError } from '@moh/trainer';
import { CliError, ExitCode } from '../errors.js';

/** What the caller was doing, to tailor hints. */
export interface ErrorContext {
  /** The option the configuration came from, e.g. `--model-config model.json`. */
  readonly configSource?: string;
}

/** `error` as a {@link CliError} when it is a known library error, otherwise unchanged. */
export function toCliError(error: unknown, context: ErrorContext = {}): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof DataError) return new CliError(oneLine(error.message), { hint: error.hint, cause: error });
  if (error instanceof CheckpointError) {
    // The library appends the hint to the message; print it once, on the hint line.
    const reason = error.message.endsWith(error.hint) ? error.message.slice(0, -error.hint.length).trim() : error.message;
    const hint = error.problem === 'missing' && !error.file.endsWith('.json') && !error.file.endsWith('.safetensors')
      ? 'run `moh train --out DIR` first, then pass that DIR'
      : error.hint;
    return new CliError(`checkpoint ${oneLine(reason)}`, { hint, cause: error });
  }
  if (error instanceof ConfigError) {
    return new CliError(`invalid configuration: ${oneLine(error.message)}`, {
      hint: context.configSource === undefined
        ? 'check the option that sets this value (see --help)'
        : `check the option that sets this value, or fix it in ${context.configSource}`,
      exitCode: ExitCode.usage,
      cause: error,
    });
  }
  if (error instanceof SafetensorsError) {
    return new CliError(`bad weights file: ${oneLine(error.message)}`, { hint: 'use an intact checkpoint', cause: error });
  }
  if (error instanceof TrainingDataError) {
    return new CliError(`training data: ${oneLine(error.message)}`, {
      hint: 'resume with the same --corpus and tokenizer it was trained on, or start a new run',
      cause: error,
    });
  }
  return error;
}

/** Runs `fn`, turning known library errors into {@link CliError}s. */
export async function withCliErrors<T>(fn: () => T | Promise<T>, context: ErrorContext = {}): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toCliError(error, context);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
