import { createInterface } from 'node:readline';
import { formatPrompt, SPECIAL_TOKENS, streamTokens, textStreamer, type DecodingStrategy } from '@moh/trainer';
import type { Model } from '@moh/model';
import type { Tokenizer } from '@moh/trainer';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { loadRun } from '../run/checkpoint-dir.js';
import { addDecodingOptions, decodingStrategy, type DecodingOptions } from './decoding.js';

/** Options of `moh chat`. */
export interface ChatOptions extends DecodingOptions {
  readonly checkpoint: string;
}

const HELP = [
  'Type a question and press Enter; the model answers it.',
  'Each question is answered on its own (the model was trained on single questions, not conversations).',
  'Commands: /help shows this, /exit (or Ctrl-D) quits.',
].join('\n');

/** Registers `moh chat`. */
export function registerChat(program: Command, io: CliIo): void {
  const command = program
    .command('chat')
    .description('Ask the model questions in a read-eval-print loop (reads lines from stdin when it is not a terminal)')
    .requiredOption('-c, --checkpoint <dir>', 'run directory (or its checkpoint/) written by `moh train`');
  addDecodingOptions(command, { maxTokens: 24 })
    .addHelpText('after', [
      '',
      'In the loop: /help for help, /exit or Ctrl-D to quit.',
      'Piped input is answered line by line, one answer per line:',
      '  printf "Where does Mira live?\\nWhat does the owl eat?\\n" | moh chat -c runs/latest',
    ].join('\n'))
    .action(async (options: ChatOptions, cmd: Command) => {
      const strategy = decodingStrategy(options, (name) => cmd.getOptionValueSource(name) === 'cli');
      const { checkpoint, tokenizer } = loadRun(options.checkpoint);
      await chatLoop(io, checkpoint.model, tokenizer, strategy, options);
    });
}

async function chatLoop(io: CliIo, model: Model, tokenizer: Tokenizer, strategy: DecodingStrategy, options: ChatOptions): Promise<void> {
  const input = io.stdin ?? process.stdin;
  const interactive = input.isTTY === true && io.isTty;
  // The prompt and echo go to stdout only in a terminal; piped use gets just the answers.
  const rl = createInterface({ input, output: interactive ? process.stdout : undefined, terminal: interactive });
  rl.on('SIGINT', () => rl.close()); // Ctrl-C quits like Ctrl-D
  if (interactive) {
    io.out(`Chatting with ${options.checkpoint}. ${HELP.split('\n')[2]}\n`);
    rl.setPrompt('you> ');
    rl.prompt();
  }
  let turn = 0;
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '/exit' || line === '/quit') break;
    if (line === '/help') io.out(`${HELP}\n`);
    else if (line.startsWith('/')) io.out(`unknown command ${line}; /help lists the commands\n`);
    else if (line !== '') {
      if (interactive) io.out('moh> ');
      await answer(io, model, tokenizer, line, strategy, options.maxTokens, options.seed + turn++);
      io.out('\n');
    }
    if (interactive) rl.prompt();
  }
  rl.close();
}

async function answer(
  io: CliIo, model: Model, tokenizer: Tokenizer, question: string, strategy: DecodingStrategy, maxNewTokens: number, seed: number,
): Promise<void> {
  let started = false;
  const stream = textStreamer(
    (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
    (text) => {
      // The answer is encoded with one leading space (see formatChat); drop it on screen.
      const piece = started ? text : text.trimStart();
      if (piece !== '') started = true;
      io.out(piece);
    },
  );
  for await (const token of streamTokens(model, formatPrompt(tokenizer, question), { strategy, maxNewTokens, stopTokens: [SPECIAL_TOKENS.eos], seed })) {
    stream.onToken(token);
    await new Promise((resolve) => setImmediate(resolve));
  }
  stream.flush();
}
