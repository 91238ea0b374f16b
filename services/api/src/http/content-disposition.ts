/**
 * A Content-Disposition header value (RFC 6266) for a file download: the
 * real name, UTF-8 and percent-encoded, in `filename*` (RFC 8187), and an
 * ASCII stand-in in `filename` for the few clients that predate `filename*`
 * (RFC 6266 §4.3: a client that knows both uses `filename*`).
 *
 * `видео_compress.mp4` → `attachment; filename="compress.mp4"; filename*=UTF-8''%D0%B2%D0%B8%D0%B4%D0%B5%D0%BE_compress.mp4`
 *
 * @param fileName The name to offer, any Unicode (normalised to NFC here).
 */
export function contentDisposition(fileName: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const name = fileName.normalize('NFC');
  return `${type}; filename="${asciiFileName(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

// Half of a UTF-16 surrogate pair: encodeURIComponent throws on it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * RFC 8187 value-chars: UTF-8 bytes percent-encoded, except attr-chars.
 * encodeURIComponent leaves `'`, `(`, `)` and `*` alone, which are not
 * attr-chars (a `'` would even end the charset part), so those are encoded too.
 */
export function encodeExtValue(value: string): string {
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD')).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The name in ASCII letters, digits, `.`, `_` and `-` only, so it needs no
 * escaping inside the quoted string: accents dropped (`vidéo` → `video`),
 * other scripts' runs become `_` and are trimmed away, and `download` stands
 * in when no ASCII letter or digit is left of the stem.
 */
export function asciiFileName(name: string): string {
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0] ?? '';
  const stem = name
    .slice(0, name.length - extension.length)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[._-]+/, '')
    .replace(/[._-]+$/, '');
  return `${/[A-Za-z0-9]/.test(stem) ? stem : 'download'}${extension}`;
}
