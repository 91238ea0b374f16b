import type { ProgressSnapshot } from './progress-reporter';

/** A step's share of the job's 0-100 %. */
export interface PhaseSpan {
  from: number;
  to: number;
}

export interface TranscriptionPhases {
  extract: PhaseSpan;
  recognise: PhaseSpan;
  mux?: PhaseSpan;
}

/**
 * Recognition is nearly all of the time; extracting the audio and remuxing
 * are quick FFmpeg passes. Without a mux, recognition runs to the end.
 */
export function transcriptionPhases(muxes: boolean): TranscriptionPhases {
  return muxes
    ? { extract: { from: 0, to: 15 }, recognise: { from: 15, to: 90 }, mux: { from: 90, to: 100 } }
    : { extract: { from: 0, to: 15 }, recognise: { from: 15, to: 100 } };
}

/** `percent` (0-100) of one step, as a percentage of the whole job. */
export function withinPhase(span: PhaseSpan, percent: number): number {
  const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
  return span.from + ((span.to - span.from) * clamped) / 100;
}

/**
 * Progress while the model works through the audio. Speed is audio seconds
 * per wall-clock second so far (the same "x realtime" FFmpeg reports), and
 * the ETA is what is left at that speed. No ETA until some audio is done:
 * the model load and the voice-activity pass come first, and guessing past
 * them would be a number without a measurement behind it.
 */
export function recognitionSnapshot(options: {
  span: PhaseSpan;
  processedSec: number;
  durationSec: number;
  elapsedSec: number;
}): ProgressSnapshot {
  const { span, durationSec, elapsedSec } = options;
  const processedSec = Math.min(Math.max(0, options.processedSec), durationSec);
  const fraction = durationSec > 0 ? processedSec / durationSec : 0;
  const snapshot: ProgressSnapshot = { percent: withinPhase(span, fraction * 100) };
  if (processedSec <= 0 || elapsedSec <= 0) return snapshot;
  const speed = processedSec / elapsedSec;
  return { ...snapshot, speed: Math.round(speed * 100) / 100, etaSeconds: (durationSec - processedSec) / speed };
}
