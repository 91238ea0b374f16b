import { normaliseWords, wordErrorDetails, wordErrorRate } from './wer';

describe('normaliseWords', () => {
  it('ignores case and punctuation, splits hyphens, keeps apostrophes inside words', () => {
    expect(normaliseWords("Hello, World! It's a well-known — “fact”… isn’t it?")).toEqual([
      'hello',
      'world',
      "it's",
      'a',
      'well',
      'known',
      'fact',
      "isn't",
      'it',
    ]);
  });

  it('keeps letters outside ASCII', () => {
    expect(normaliseWords('Schön, Müller; café.')).toEqual(['schön', 'müller', 'café']);
  });
});

describe('wordErrorRate', () => {
  it('is 0 for the same words however they are written', () => {
    expect(wordErrorRate('The quick brown fox.', 'the QUICK, brown fox')).toBe(0);
  });

  it('counts substitutions, deletions and insertions', () => {
    expect(wordErrorDetails('the cat sat on the mat', 'the cat sit on the mat')).toMatchObject({
      substitutions: 1,
      wer: 1 / 6,
    });
    expect(wordErrorDetails('the cat sat on the mat', 'the cat sat on mat')).toMatchObject({
      deletions: 1,
      wer: 1 / 6,
    });
    expect(wordErrorDetails('the cat sat on the mat', 'the cat sat on the mat today')).toMatchObject({ insertions: 1 });
    expect(wordErrorDetails('a b c', 'a x c d')).toEqual({
      wer: 2 / 3,
      substitutions: 1,
      deletions: 0,
      insertions: 1,
      referenceWords: 3,
    });
    expect(wordErrorRate('the cat sat on the mat', 'the cat sit on mat today')).toBe(3 / 6);
  });

  it('is 1 when every word is missing and can exceed 1 with insertions', () => {
    expect(wordErrorRate('one two three', '')).toBe(1);
    expect(wordErrorRate('one', 'two three four')).toBe(3);
  });

  it('handles an empty reference', () => {
    expect(wordErrorRate('', '')).toBe(0);
    expect(wordErrorRate('...', 'uh oh')).toBe(2);
  });

  it('finds the minimum edit distance, not a greedy one', () => {
    // a b c d vs b c d e: one deletion and one insertion beat four substitutions.
    expect(wordErrorDetails('a b c d', 'b c d e')).toMatchObject({ deletions: 1, insertions: 1, substitutions: 0 });
  });
});
