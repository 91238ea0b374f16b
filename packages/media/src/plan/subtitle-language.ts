/**
 * Whisper reports ISO 639-1 codes ("en"); an MP4 track's language is a
 * three-letter ISO 639-2/T code ("eng"). FFmpeg's MP4 muxer packs the three
 * letters it is given as they are and turns anything else into "und", so the
 * conversion has to happen here. The table covers every language Whisper
 * knows, under Whisper's own spelling (it says "jw" for Javanese).
 */
// prettier-ignore
const ISO_639_1_TO_2T: Readonly<Record<string, string>> = {
  af: 'afr', am: 'amh', ar: 'ara', as: 'asm', az: 'aze', ba: 'bak', be: 'bel', bg: 'bul', bn: 'ben',
  bo: 'bod', br: 'bre', bs: 'bos', ca: 'cat', cs: 'ces', cy: 'cym', da: 'dan', de: 'deu', el: 'ell',
  en: 'eng', es: 'spa', et: 'est', eu: 'eus', fa: 'fas', fi: 'fin', fo: 'fao', fr: 'fra', gl: 'glg',
  gu: 'guj', ha: 'hau', he: 'heb', hi: 'hin', hr: 'hrv', ht: 'hat', hu: 'hun', hy: 'hye', id: 'ind',
  is: 'isl', it: 'ita', ja: 'jpn', jv: 'jav', jw: 'jav', ka: 'kat', kk: 'kaz', km: 'khm', kn: 'kan',
  ko: 'kor', la: 'lat', lb: 'ltz', ln: 'lin', lo: 'lao', lt: 'lit', lv: 'lav', mg: 'mlg', mi: 'mri',
  mk: 'mkd', ml: 'mal', mn: 'mon', mr: 'mar', ms: 'msa', mt: 'mlt', my: 'mya', ne: 'nep', nl: 'nld',
  nn: 'nno', no: 'nor', oc: 'oci', pa: 'pan', pl: 'pol', ps: 'pus', pt: 'por', ro: 'ron', ru: 'rus',
  sa: 'san', sd: 'snd', si: 'sin', sk: 'slk', sl: 'slv', sn: 'sna', so: 'som', sq: 'sqi', sr: 'srp',
  su: 'sun', sv: 'swe', sw: 'swa', ta: 'tam', te: 'tel', tg: 'tgk', th: 'tha', tk: 'tuk', tl: 'tgl',
  tr: 'tur', tt: 'tat', uk: 'ukr', ur: 'urd', uz: 'uzb', vi: 'vie', yi: 'yid', yo: 'yor', zh: 'zho',
};

/** "en" → "eng"; a three-letter code is kept; anything unknown is "und" (undetermined). */
export function subtitleLanguageCode(language: string | undefined): string {
  const code = (language ?? '').trim().toLowerCase();
  const mapped = ISO_639_1_TO_2T[code];
  if (mapped) return mapped;
  // Whisper's "haw" and "yue" are already three letters, as is a caller's ISO 639-2/3 hint.
  return /^[a-z]{3}$/.test(code) ? code : 'und';
}
