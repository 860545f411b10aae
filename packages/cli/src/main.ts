import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerParams } from './commands/params.js';
import { CliError, ExitCode, type ExitCodeValue } from './errors.js';
import { processIo, type CliIo } from './io.js';

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
  registerParams(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  return program;
}

/**
 * Runs `moh` with the given arguments (without `node` and the script) and returns
 * the exit code: 0 ok, 1 failure, 2 usage. Errors are reported on one line with a
 * hint; `--debug` adds the stack trace.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCodeValue> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message; help and version are successes.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return ExitCode.ok;
      }
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const debug = argv.includes('--debug');
    if (error instanceof CliError) {
      io.err(`moh: ${error.message}\n`);
      if (error.hint !== undefined) io.err(`hint: ${error.hint}\n`);
      if (debug && error.stack !== undefined) io.err(`${error.stack}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`moh: ${message}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) io.err(`${error.stack}\n`);
    else io.err('hint: run again with --debug for the stack trace\n');
    return ExitCode.failure;
  }
}
