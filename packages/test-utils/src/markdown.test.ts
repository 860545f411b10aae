import { describe, expect, it } from 'vitest';
import { markdownCodeBlocks } from './markdown.js';

describe('markdownCodeBlocks', () => {
  it('returns the bodies of the blocks of one language, in order', () => {
    const md = ['# T', '```ts', 'const a = 1;', '```', 'text', '```sh', 'npm test', '```', '```ts', 'const b = 2;', '```', ''].join('\n');
    expect(markdownCodeBlocks(md)).toEqual(['const a = 1;\n', 'const b = 2;\n']);
    expect(markdownCodeBlocks(md, 'sh')).toEqual(['npm test\n']);
    expect(markdownCodeBlocks('no code')).toEqual([]);
  });
});
