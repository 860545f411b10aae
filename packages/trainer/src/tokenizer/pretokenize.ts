/**
 * Splitting text into chunks before byte-pair merging. Merges never cross a chunk
 * boundary, which keeps words whole (a word with its leading space is one chunk, so
 * " Mira" and " Oakdale" can each become one token) and makes training fast: the
 * trainer counts unique chunks instead of scanning the text.
 *
 * The pattern matches every character, so the chunks of a string concatenate back to
 * it exactly. Alternatives, tried in order: an English contraction suffix, a run of
 * letters (with their combining marks) with an optional leading space, a run of digits
 * with an optional leading space, a run of other symbols with an optional leading
 * space, whitespace ending in line breaks (so a blank line is one chunk), whitespace not
 * followed by a non-space (so the last space of a run is left to the next word), and
 * any remaining whitespace.
 */
const CHUNK = /'(?:s|t|d|m|ll|re|ve)(?![\p{L}\p{M}\p{N}])| ?[\p{L}\p{M}]+| ?\p{N}+| ?[^\s\p{L}\p{M}\p{N}]+|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** The chunks of `text`, in order; their concatenation is `text`. */
export function splitChunks(text: string): string[] {
  return text.match(CHUNK) ?? [];
}
