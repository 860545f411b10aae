/**
 * Streaming text from streamed tokens. A byte-level tokenizer can split one character
 * across tokens, and decoding half a UTF-8 sequence gives U+FFFD, so text is emitted
 * only up to the last complete character and the rest waits for the next token.
 */

/**
 * Turns tokens into text pieces as they arrive: returns an `onToken` callback for
 * `generate` (or a function to call in a `for await` loop) that calls `onText` with each
 * new piece of `decode(all tokens so far)`, and a `flush` that emits whatever is left
 * (a trailing U+FFFD included) at the end. Decoding the whole prefix each time keeps
 * the pieces exactly equal to the decoded whole; it costs O(n) per token, negligible at
 * the lengths these models generate.
 *
 * @example
 * ```ts
 * import { textStreamer } from '@moh/trainer';
 * const bytes = [72, 0xc3, 0xa9]; // "H", then "é" split over two byte tokens
 * const pieces: string[] = [];
 * const stream = textStreamer((ids) => new TextDecoder().decode(Uint8Array.from(ids)), (t) => pieces.push(t));
 * bytes.forEach(stream.onToken);
 * stream.flush(); // pieces is ["H", "é"]
 * ```
 *
 * @param decode - Token ids to text, e.g. `(ids) => tokenizer.decode(ids, { skipSpecialTokens: true })`.
 * @param onText - Receives each new, non-empty piece of text.
 */
export function textStreamer(
  decode: (ids: readonly number[]) => string,
  onText: (text: string) => void,
): { onToken: (token: number) => void; flush: () => void } {
  const ids: number[] = [];
  let emitted = 0;
  const emit = (upTo: number, text: string): void => {
    if (upTo > emitted) onText(text.slice(emitted, upTo));
    emitted = Math.max(emitted, upTo);
  };
  return {
    onToken(token) {
      ids.push(token);
      const text = decode(ids);
      let end = text.length;
      while (end > emitted && text[end - 1] === '\uFFFD') end--; // possibly an unfinished character
      emit(end, text);
    },
    flush() {
      const text = decode(ids);
      emit(text.length, text);
    },
  };
}
