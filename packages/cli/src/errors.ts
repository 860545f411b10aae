/**
 * Exit codes of `moh`: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C,
 * 128 + SIGINT, as shells report it).
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** An exit code of `moh`. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error `moh` reports as one line with a hint, without a stack trace (unless
 * `--debug`). `exitCode` is 2 for bad usage and 1 for other failures.
 */
export class CliError extends Error {
  /** What the user can do about it. */
  readonly hint: string | undefined;
  /** The process exit code. */
  readonly exitCode: ExitCodeValue;

  constructor(message: string, options: { hint?: string; exitCode?: ExitCodeValue; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** Ends a command with `exitCode` after the command itself has told the user why (nothing more is printed). */
export class CommandExit extends Error {
  /** The process exit code. */
  readonly exitCode: ExitCodeValue;

  constructor(exitCode: ExitCodeValue) {
    super(`exit ${exitCode}`);
    this.name = 'CommandExit';
    this.exitCode = exitCode;
  }
}
