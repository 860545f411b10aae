import { describe, expect, it } from 'vitest';
import { exactMatch, normalizeAnswer } from './exact-match.js';

describe('exactMatch', () => {
  it('ignores case, surrounding space and final punctuation', () => {
    expect(exactMatch(' Oakdale.', 'Oakdale')).toBe(true);
    expect(exactMatch('the  river!', 'the river')).toBe(true);
    expect(normalizeAnswer('  In a Tree ?')).toBe('in a tree');
  });

  it('rejects anything else', () => {
    expect(exactMatch('Oakdale town', 'Oakdale')).toBe(false);
    expect(exactMatch('Oak dale', 'Oakdale')).toBe(false);
    expect(exactMatch('', 'Oakdale')).toBe(false);
    expect(exactMatch('river', 'the river')).toBe(false);
  });
});
