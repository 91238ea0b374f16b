/**
 * The character rules stored file names follow, shared by the API (upload
 * names) and the operations (the names outputs are downloaded under), so an
 * upload's name survives into its outputs' names.
 *
 * A name keeps the letters, combining marks and digits of every script
 * (Cyrillic, CJK, Devanagari's vowel signs, …) plus `.`, `_` and `-`.
 * Everything else (path separators, spaces, punctuation, symbols, emoji,
 * control and format characters such as bidi overrides) becomes `_`, so a
 * name can never hold a separator, a control character or a spoofing trick.
 */

// Letters, marks and numbers of any script, and the three ASCII punctuation
// characters file names commonly use. Marks matter: without them Hindi or
// Thai words would be cut apart.
const UNSAFE_RUN = /[^\p{L}\p{M}\p{N}._-]+/gu;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
// Half of a UTF-16 surrogate pair without the other half: it has no UTF-8 form.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * NFC-normalises `text` and replaces every run of characters a stored name
 * may not hold with one `_`; runs of `_` collapse to one. NFC, not NFKC: NFKC
 * would rewrite letters a user typed (full-width forms, ligatures, superscripts).
 */
export function toSafeNameCharacters(text: string): string {
  return text.replace(LONE_SURROGATE, '_').normalize('NFC').replace(UNSAFE_RUN, '_').replace(/_{2,}/g, '_');
}

/** True when `text` has at least one letter or digit, of any script. */
export function hasLetterOrDigit(text: string): boolean {
  return LETTER_OR_DIGIT.test(text);
}

/** Size of `text` in UTF-8 bytes: what S3 keys and file systems limit. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The longest prefix of `text` that fits in `maxBytes` UTF-8 bytes, cut only
 * between grapheme clusters, so neither a multi-byte character nor a letter
 * and its combining marks are split.
 *
 * @param maxBytes Limit in UTF-8 bytes (not characters).
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let kept = '';
  let bytes = 0;
  for (const { segment } of GRAPHEMES.segment(text)) {
    const size = utf8Bytes(segment);
    if (bytes + size > maxBytes) break;
    kept += segment;
    bytes += size;
  }
  return kept;
}
