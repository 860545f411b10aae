/** Exact-match scoring of short answers against the held-out questions. */

/**
 * Whether a generated answer matches the expected one exactly, after normalising both:
 * surrounding whitespace is trimmed, inner whitespace runs become one space, letters are
 * lower-cased, and trailing sentence punctuation (`.`, `!`, `?`) is dropped. So
 * `" Oakdale."` matches `Oakdale`, but `Oakdale town` or `Oak dale` does not.
 */
export function exactMatch(prediction: string, answer: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(answer);
}

/** The normal form {@link exactMatch} compares. */
export function normalizeAnswer(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase().replace(/[.!?]+$/, '').trimEnd();
}
