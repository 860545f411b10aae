import { describe, expect, it } from 'vitest';
import { textStreamer } from './text-stream.js';

const utf8 = (ids: readonly number[]): string => new TextDecoder().decode(Uint8Array.from(ids));

describe('textStreamer', () => {
  it('holds back a character split across tokens until it is complete', () => {
    const pieces: string[] = [];
    const stream = textStreamer(utf8, (t) => pieces.push(t));
    stream.onToken(72); // H
    stream.onToken(0xc3); // first byte of é
    expect(pieces).toEqual(['H']);
    stream.onToken(0xa9);
    stream.onToken(33); // !
    stream.flush();
    expect(pieces).toEqual(['H', 'é', '!']);
  });

  it('flushes an unfinished character as U+FFFD, so the pieces always join to the whole', () => {
    const ids = [0xe2, 0x82, 72, 0xe2, 0x82, 0xac, 0xf0, 0x9f];
    const pieces: string[] = [];
    const stream = textStreamer(utf8, (t) => pieces.push(t));
    ids.forEach(stream.onToken);
    stream.flush();
    expect(pieces.join('')).toBe(utf8(ids));
    expect(pieces.at(-1)).toBe('\uFFFD');
    expect(pieces.every((p) => p.length > 0)).toBe(true);
  });
});
