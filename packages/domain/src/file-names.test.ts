import { hasLetterOrDigit, toSafeNameCharacters, truncateUtf8, utf8Bytes } from './file-names';

describe('toSafeNameCharacters', () => {
  it.each([
    ['видео', 'видео'],
    ['日本語の動画', '日本語の動画'],
    ['a/b\\c', 'a_b_c'],
    ['a  b\t\nc', 'a_b_c'],
    ['x\u202Ey', 'x_y'],
    ['🎬🎬clip', '_clip'],
    ['vide\u0301o', 'vid\u00e9o'],
    ['a\uD800b', 'a_b'],
  ])('%j → %j', (raw, expected) => {
    expect(toSafeNameCharacters(raw)).toBe(expected);
  });
});

describe('truncateUtf8', () => {
  it.each([
    ['abcdef', 4, 'abcd'],
    ['ééé', 5, 'éé'],
    ['日本語', 8, '日本'],
    ['👍🏽👍🏽', 9, '👍🏽'],
    ['e\u0301\u0323x', 3, ''],
    ['short', 100, 'short'],
  ])('%j in %i bytes → %j, never splitting a character or a cluster', (text, maxBytes, expected) => {
    const cut = truncateUtf8(text, maxBytes);
    expect(cut).toBe(expected);
    expect(utf8Bytes(cut)).toBeLessThanOrEqual(maxBytes);
  });
});

describe('hasLetterOrDigit', () => {
  it.each([
    ['_-.', false],
    ['٢', true],
    ['動', true],
    ['\u0301', false],
  ])('%j → %s', (text, expected) => {
    expect(hasLetterOrDigit(text)).toBe(expected);
  });
});
