import type { Transcript, TranscriptSegment } from './transcriber';

/**
 * Subtitle files from transcript segments. Whisper's segments can touch,
 * overlap or come out empty; players want ordered cues that never overlap, so
 * every format here goes through the same normalisation first.
 */

export interface Cue {
  /** Seconds, to the millisecond. */
  start: number;
  end: number;
  text: string;
}

/** A cue that would end where it starts is stretched to this, so it can be seen. */
const MIN_CUE_MS = 100;

/**
 * Ordered, non-overlapping, non-empty cues, times on whole milliseconds.
 * @param untilSec The media's duration: a cue runs no later (Whisper's last
 *   segment often ends past the audio, and a subtitle track that outlasts
 *   the media lengthens the file a player shows), and one starting after it
 *   is dropped. Absent or not positive: no bound.
 */
export function toCues(segments: readonly TranscriptSegment[], untilSec?: number): Cue[] {
  const untilMs =
    untilSec !== undefined && Number.isFinite(untilSec) && untilSec > 0 ? Math.round(untilSec * 1000) : Infinity;
  const cues: Cue[] = [];
  let previousEndMs = 0;
  for (const segment of segments) {
    const text = cleanText(segment.text);
    if (text === '' || !Number.isFinite(segment.start) || !Number.isFinite(segment.end)) continue;
    const startMs = Math.max(previousEndMs, Math.round(segment.start * 1000), 0);
    const endMs = Math.min(Math.max(Math.round(segment.end * 1000), startMs + MIN_CUE_MS), untilMs);
    if (endMs <= startMs) continue;
    cues.push({ start: startMs / 1000, end: endMs / 1000, text });
    previousEndMs = endMs;
  }
  return cues;
}

/** `HH:MM:SS,mmm` for SRT, `HH:MM:SS.mmm` for WebVTT; hours grow past 99 if they must. */
export function formatTimestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalSec = Math.floor(totalMs / 1000);
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  return `${pad(Math.floor(totalSec / 3600), 2)}:${pad(Math.floor(totalSec / 60) % 60, 2)}:${pad(totalSec % 60, 2)}${separator}${pad(ms, 3)}`;
}

/** SRT of the segments; `untilSec` bounds the cues (see toCues). */
export function toSrt(segments: readonly TranscriptSegment[], untilSec?: number): string {
  return toCues(segments, untilSec)
    .map(
      (cue, index) =>
        `${index + 1}\n${formatTimestamp(cue.start, ',')} --> ${formatTimestamp(cue.end, ',')}\n${cue.text}\n`,
    )
    .join('\n');
}

/** WebVTT of the segments; `untilSec` bounds the cues (see toCues). */
export function toWebVtt(segments: readonly TranscriptSegment[], untilSec?: number): string {
  const cues = toCues(segments, untilSec).map(
    (cue) => `${formatTimestamp(cue.start, '.')} --> ${formatTimestamp(cue.end, '.')}\n${escapeVtt(cue.text)}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

/** The transcript as a JSON document, in the API's snake_case, with the same cues as the subtitles. */
export function toTranscriptJson(transcript: Transcript, untilSec?: number): string {
  const cues = toCues(transcript.segments, untilSec);
  const document = {
    model: transcript.model,
    language: transcript.language,
    ...(transcript.languageProbability === undefined ? {} : { language_probability: transcript.languageProbability }),
    duration_sec: transcript.durationSec,
    text: cues.map((cue) => cue.text).join(' '),
    segments: cues.map((cue, index) => ({ id: index + 1, start: cue.start, end: cue.end, text: cue.text })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export interface SrtCue extends Cue {
  index: number;
}

const SRT_TIME = /^(\d{2,}):(\d{2}):(\d{2}),(\d{3})$/;

/** Reads SRT strictly enough to catch a malformed file: a block that does not parse throws. */
export function parseSrt(srt: string): SrtCue[] {
  const blocks = srt
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter((block) => block !== '');
  return blocks.map((block) => {
    const [indexLine = '', timing = '', ...textLines] = block.split('\n');
    const index = Number(indexLine);
    const [from = '', to = '', ...extra] = timing.split(' --> ');
    const start = parseSrtTime(from);
    const end = parseSrtTime(to);
    if (!Number.isInteger(index) || index < 1 || start === undefined || end === undefined || extra.length > 0) {
      throw new Error(`not an SRT cue: ${JSON.stringify(block.slice(0, 200))}`);
    }
    return { index, start, end, text: textLines.join('\n') };
  });
}

function parseSrtTime(value: string): number | undefined {
  const match = SRT_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, hours, minutes, seconds, millis] = match.map(Number);
  if (minutes > 59 || seconds > 59) return undefined;
  return hours * 3600 + minutes * 60 + seconds + millis / 1000;
}

function cleanText(text: string): string {
  // A blank line would end an SRT cue early and "-->" would read as timing.
  return text.replace(/\s+/g, ' ').replace(/-->/g, '->').trim();
}

function escapeVtt(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
