/** Where `moh` reads and writes: the process streams, or buffers in tests. */
export interface CliIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Whether standard output is a terminal (progress bars, colours). */
  readonly isTty: boolean;
  /** Standard input, for `moh chat`. Defaults to `process.stdin`. */
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /**
   * The stream progress bars draw on, when it is a terminal (a bar needs a real stream
   * to redraw). Without it, progress is written through `err` as plain lines.
   */
  readonly progressStream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
    stdin: process.stdin,
    progressStream: process.stderr,
  };
}
