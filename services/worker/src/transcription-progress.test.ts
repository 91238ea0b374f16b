import { recognitionSnapshot, transcriptionPhases, withinPhase } from './transcription-progress';

describe('transcription progress', () => {
  it('splits the job into extraction, recognition and, for video, muxing', () => {
    expect(transcriptionPhases(true)).toEqual({
      extract: { from: 0, to: 15 },
      recognise: { from: 15, to: 90 },
      mux: { from: 90, to: 100 },
    });
    expect(transcriptionPhases(false)).toEqual({ extract: { from: 0, to: 15 }, recognise: { from: 15, to: 100 } });
  });

  it('maps a step percentage into its span, clamped', () => {
    const span = { from: 15, to: 90 };
    expect(withinPhase(span, 0)).toBe(15);
    expect(withinPhase(span, 50)).toBe(52.5);
    expect(withinPhase(span, 100)).toBe(90);
    expect(withinPhase(span, 250)).toBe(90);
    expect(withinPhase(span, -3)).toBe(15);
    expect(withinPhase(span, Number.NaN)).toBe(15);
  });

  it('derives speed and an ETA from the audio done so far', () => {
    const snapshot = recognitionSnapshot({
      span: { from: 15, to: 90 },
      processedSec: 20,
      durationSec: 60,
      elapsedSec: 5,
    });
    expect(snapshot.percent).toBe(40);
    expect(snapshot.speed).toBe(4);
    expect(snapshot.etaSeconds).toBe(10);
  });

  it('gives no ETA before any audio is done, and never runs past the end', () => {
    expect(
      recognitionSnapshot({ span: { from: 15, to: 90 }, processedSec: 0, durationSec: 60, elapsedSec: 9 }),
    ).toEqual({
      percent: 15,
    });
    const past = recognitionSnapshot({ span: { from: 15, to: 100 }, processedSec: 61, durationSec: 60, elapsedSec: 6 });
    expect(past.percent).toBe(100);
    expect(past.etaSeconds).toBe(0);
    expect(
      recognitionSnapshot({ span: { from: 15, to: 90 }, processedSec: 3, durationSec: 0, elapsedSec: 1 }).percent,
    ).toBe(15);
  });
});
