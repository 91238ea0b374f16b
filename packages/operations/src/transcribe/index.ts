import path from 'node:path';
import { z } from 'zod';
import { AppError, WHISPER_MODELS } from '@mediaflow/domain';
import { mediaExpectation, planTranscriptionAudio, withAudioTrack } from '@mediaflow/media';
import type { MediaProbe, Transcript } from '@mediaflow/media';
import { audioTrackParam } from '../audio-track-param';
import type { ExecutionPlan, OutputManifestEntry, PlanStep } from '../execution-plan';
import { outputBaseName } from '../download-name';
import { defineOperation } from '../operation-definition';
import type { PlanContext } from '../operation-definition';

export const transcribeParams = z.strictObject({
  model: z.enum(WHISPER_MODELS, { error: () => `model must be one of ${WHISPER_MODELS.join(', ')}` }).optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}$/, 'language must be an ISO 639-1/639-3 code such as "en"')
    .optional(),
  embed_subtitles: z.boolean().optional(),
  audio_track: audioTrackParam,
});

const FILES = {
  audio: 'transcription-audio.wav',
  raw: 'transcript.raw.json',
  srt: 'transcript.srt',
  vtt: 'transcript.vtt',
  json: 'transcript.json',
} as const;

/**
 * Step weights: recognition is nearly all of the time; extracting the audio
 * and remuxing are quick FFmpeg passes (measured on base: extraction about
 * 1/8 of recognition, the remux less).
 */
const WEIGHTS = { extract: 15, recognise: 75, write: 1, mux: 10 } as const;

type TranscribeOperation = {
  method_name: 'transcribe';
  /** What the job's primary output is: the SRT, or (`mp4`) the copy of the video with the subtitle track. */
  output_format: 'srt' | 'mp4';
  params: z.output<typeof transcribeParams>;
};

/** Subtitles go into a copy of the video unless the job said not to; audio has nothing to put them in. */
export function embedsSubtitles(operation: TranscribeOperation, probe: Pick<MediaProbe, 'video'>): boolean {
  return probe.video !== undefined && (operation.output_format === 'mp4' || operation.params.embed_subtitles !== false);
}

/**
 * Audio out of the source (FFmpeg, 16 kHz mono WAV), speech recognised from
 * it, the transcript written as SRT (primary), WebVTT and JSON, and the SRT
 * muxed into a copy of the video when there is one. A source without audio
 * gives an empty transcript, not a failure: there is nothing to hear.
 * The track heard is `params.audio_track`, else the source's default one.
 * With `output_format: "mp4"` the subtitled video is the primary output (what
 * a meeting recording's job hands back) and the SRT a secondary one.
 * @throws AppError AUDIO_TRACK_NOT_FOUND when audio_track names no audio stream of the source.
 * @throws AppError NO_VIDEO_STREAM when `mp4` is asked of a source without video, and
 *   VALIDATION_FAILED when together with `embed_subtitles: false`: there is no video to hand back.
 */
export function planTranscribe(operation: TranscribeOperation, probe: MediaProbe, context: PlanContext): ExecutionPlan {
  const videoPrimary = operation.output_format === 'mp4';
  if (videoPrimary && operation.params.embed_subtitles === false) {
    throw new AppError(
      'VALIDATION_FAILED',
      'output_format "mp4" hands back the subtitled video, which embed_subtitles: false turns off; drop one of them',
    );
  }
  if (videoPrimary && !probe.video) {
    throw new AppError(
      'NO_VIDEO_STREAM',
      'output_format "mp4" hands back the video with subtitles, but the source has no video stream; ask for "srt"',
    );
  }
  const model = operation.params.model ?? context.defaults.whisperModel;
  const abs = (name: string): string => path.join(context.workDir, name);
  const steps: PlanStep[] = [];
  // The track recognised is also the one muxed into the subtitled copy.
  const source = withAudioTrack(probe, operation.params.audio_track);
  if (source.audio) {
    const extract = planTranscriptionAudio(source, { inputPath: context.inputPath, outputPath: abs(FILES.audio) });
    steps.push(
      {
        id: 'extract-audio',
        kind: 'ffmpeg',
        weight: WEIGHTS.extract,
        args: extract.args,
        expectedDurationSec: extract.expectedDurationSec,
      },
      {
        id: 'recognise',
        kind: 'recognise_speech',
        weight: WEIGHTS.recognise,
        audioPath: FILES.audio,
        model,
        ...(operation.params.language === undefined ? {} : { language: operation.params.language }),
        transcriptPath: FILES.raw,
      },
    );
  } else {
    const empty: Transcript = {
      language: operation.params.language ?? 'und',
      durationSec: probe.durationSec,
      model,
      segments: [],
    };
    steps.push({
      id: 'no-audio',
      kind: 'write_text',
      weight: WEIGHTS.write,
      path: FILES.raw,
      content: JSON.stringify(empty),
    });
  }
  steps.push({
    id: 'write-subtitles',
    kind: 'write_subtitles',
    weight: WEIGHTS.write,
    transcriptPath: FILES.raw,
    srtPath: FILES.srt,
    vttPath: FILES.vtt,
    jsonPath: FILES.json,
  });
  const outputs: OutputManifestEntry[] = [
    { kind: 'srt', path: FILES.srt, contentType: 'application/x-subrip; charset=utf-8', primary: !videoPrimary },
    { kind: 'vtt', path: FILES.vtt, contentType: 'text/vtt; charset=utf-8' },
    { kind: 'json', path: FILES.json, contentType: 'application/json; charset=utf-8' },
  ];
  if (embedsSubtitles(operation, probe)) {
    const videoName = `${outputBaseName(context.sourceName, 'subtitled')}.mp4`;
    steps.push({
      id: 'mux-subtitles',
      kind: 'mux_subtitles',
      weight: WEIGHTS.mux,
      transcriptPath: FILES.raw,
      subtitlesPath: FILES.srt,
      outputPath: videoName,
      ...(operation.params.audio_track !== undefined && source.audio ? { audioStreamIndex: source.audio.index } : {}),
    });
    outputs.push({
      kind: 'video',
      path: videoName,
      contentType: 'video/mp4',
      ...(videoPrimary ? { primary: true } : {}),
      // The subtitle track is there even when nothing was said (an empty SRT muxes as an empty track).
      expect: mediaExpectation(
        source.audio ? ['video', 'audio', 'subtitle'] : ['video', 'subtitle'],
        probe.durationSec,
      ),
    });
  }
  return { steps, outputs, expectedDurationSec: probe.durationSec, logName: 'transcription.log' };
}

/** Speech to subtitles with Whisper: SRT, WebVTT, JSON, and a copy of the video with a soft subtitle track. */
export const transcribe = defineOperation({
  name: 'transcribe',
  aliases: [],
  summary: 'Transcribe speech with Whisper into SRT, WebVTT and JSON, and embed the subtitles in a copy of the video.',
  schema: z.strictObject({
    method_name: z.literal('transcribe'),
    output_format: z.enum(['srt', 'mp4']).default('srt'),
    params: transcribeParams.default({}),
  }),
  plan: planTranscribe,
});
