import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerParams } from './commands/params.js';
import { registerBench } from './commands/bench.js';
import { registerChat } from './commands/chat.js';
import { registerEval } from './commands/eval.js';
import { registerGenerate } from './commands/generate.js';
import { registerInspect } from './commands/inspect.js';
import { registerTrain } from './commands/train.js';
import { CliError, CommandExit, ExitCode, type ExitCodeValue } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { toCliError } from './run/library-errors.js';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };

/** Builds the `moh` command tree, writing through `io`. */
export function createProgram(io: CliIo): Command {
  const program = new Command('moh')
    .description('Train, run and inspect small Mixture-of-Heads language models')
    .version(pkg.version, '-v, --version', 'print the version')
    .option('--debug', 'show stack traces for errors', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  registerTrain(program, io);
  registerGenerate(program, io);
  registerChat(program, io);
  registerEval(program, io);
  registerInspect(program, io);
  registerParams(program, io);
  registerBench(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  return program;
}

/**
 * Runs `moh` with the given arguments (without `node` and the script) and returns
 * the exit code: 0 ok, 1 failure, 2 usage, 130 interrupted. Errors are reported on one line with a
 * hint; `--debug` adds the stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCodeValue> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (thrown) {
    const error = toCliError(thrown);
    if (error instanceof CommanderError) {
      // Commander already printed its message; help and version are successes.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return ExitCode.ok;
      }
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CommandExit) return error.exitCode;
    const debug = argv.includes('--debug');
    if (error instanceof CliError) {
      io.err(`moh: ${error.message}\n`);
      if (error.hint !== undefined) io.err(`hint: ${error.hint}\n`);
      if (debug) io.err(stackOf(error));
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`moh: ${message}\n`);
    if (debug) io.err(stackOf(error));
    else io.err('hint: run again with --debug for the stack trace\n');
    return ExitCode.failure;
  }
}

/** The stack trace of `error` and of the errors that caused it. */
function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
  }
  return `${parts.join('\ncaused by: ')}\n`;
}
