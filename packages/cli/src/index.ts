/**
 * `@moh/cli`: the `moh` command-line tool. Run `moh --help` for the commands; this
 * barrel exposes the same program for embedding and testing.
 *
 * @packageDocumentation
 */
export { createProgram, main } from './main.js';
export { CliError, ExitCode } from './errors.js';
export type { ExitCodeValue } from './errors.js';
export type { CliIo } from './io.js';
export { processIo } from './io.js';
export { runParams } from './commands/params.js';
export type { ParamsOptions } from './commands/params.js';
