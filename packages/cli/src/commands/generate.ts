import { formatDocument, formatPrompt, SPECIAL_TOKENS, streamTokens, textStreamer, type GenerateResult, type Tokenizer } from '@moh/trainer';
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { loadRun } from '../run/checkpoint-dir.js';
import { addDecodingOptions, decodingStrategy, type DecodingOptions } from './decoding.js';

/** Options of `moh generate`. */
export interface GenerateCommandOptions extends DecodingOptions {
  readonly checkpoint: string;
  readonly prompt: string;
  /** Wrap the prompt as a user turn and generate the assistant's answer. */
  readonly chat: boolean;
  readonly json: boolean;
}

/** Registers `moh generate`. */
export function registerGenerate(program: Command, io: CliIo): void {
  const command = program
    .command('generate')
    .description('Continue a prompt (or answer it with --chat), streaming the text as it is generated')
    .requiredOption('-c, --checkpoint <dir>', 'run directory (or its checkpoint/) written by `moh train`')
    .requiredOption('--prompt <text>', 'the text to continue (or the question, with --chat)')
    .option('--chat', 'format the prompt as a user turn and generate the assistant\'s answer', false)
    .option('--json', 'print {prompt, completion, tokens, stopReason} as JSON instead of streaming', false);
  addDecodingOptions(command, { maxTokens: 60 })
    .addHelpText('after', [
      '',
      'Examples:',
      '  moh generate -c runs/latest --prompt "Once upon a time"',
      '  moh generate -c runs/latest --chat --prompt "Where does Mira live?"',
      '  moh generate -c runs/latest --prompt "The owl" --temperature 0.9 --top-p 0.9 --seed 3',
    ].join('\n'))
    .action(async (options: GenerateCommandOptions, cmd: Command) => {
      const strategy = decodingStrategy(options, (name) => cmd.getOptionValueSource(name) === 'cli');
      const { checkpoint, tokenizer } = loadRun(options.checkpoint);
      const ids = promptIds(tokenizer, options.prompt, options.chat);
      const pieces: string[] = [];
      const stream = textStreamer(
        (generated) => tokenizer.decode(generated, { skipSpecialTokens: true }),
        (text) => {
          pieces.push(text);
          if (!options.json) io.out(text);
        },
      );
      const iterator = streamTokens(checkpoint.model, ids, {
        strategy, maxNewTokens: options.maxTokens, stopTokens: [SPECIAL_TOKENS.eos], seed: options.seed,
      });
      let step = await iterator.next();
      while (step.done !== true) {
        stream.onToken(step.value);
        // Give the event loop a turn so each piece is written before the next token is computed.
        await new Promise((resolve) => setImmediate(resolve));
        step = await iterator.next();
      }
      stream.flush();
      const result: GenerateResult = step.value;
      if (options.json) {
        io.out(`${JSON.stringify({
          prompt: options.prompt,
          completion: pieces.join(''),
          tokens: result.tokens,
          stopReason: result.stopReason,
          promptTokens: result.prompt.length,
          truncated: result.truncated,
        }, null, 2)}\n`);
      } else {
        io.out('\n');
      }
    });
}

/**
 * The ids of a prompt: `<|bos|> text` to continue it as a document, or the chat layout
 * `<|bos|> <|user|> text <|assistant|>` to answer it.
 */
export function promptIds(tokenizer: Tokenizer, prompt: string, chat: boolean): number[] {
  return chat ? formatPrompt(tokenizer, prompt) : formatDocument(tokenizer, prompt).slice(0, -1);
}
