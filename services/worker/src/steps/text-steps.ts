import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { planSubtitleMux, toSrt, toTranscriptJson, toWebVtt } from '@mediaflow/media';
import type { Transcript } from '@mediaflow/media';
import type { MuxSubtitlesStep, WriteSubtitlesStep, WriteTextStep } from '@mediaflow/operations';
import { runFfmpegStep } from './ffmpeg-step';
import type { StepContext } from './step-executor';

/** Writes a file whose content the planner decided. */
export async function runWriteTextStep(step: WriteTextStep, context: StepContext): Promise<void> {
  const file = path.join(context.workDir, step.path);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, step.content, 'utf8');
  context.onProgress({ percent: 100 });
}

/**
 * A recognised transcript as SRT, WebVTT and the public JSON. An operator's
 * model path stays on the worker: clients see its last segment.
 */
export async function runWriteSubtitlesStep(step: WriteSubtitlesStep, context: StepContext): Promise<void> {
  const transcript = await readTranscript(context, step.transcriptPath);
  const shown: Transcript = {
    ...transcript,
    model: path.isAbsolute(transcript.model) ? path.basename(transcript.model) : transcript.model,
  };
  const at = (relative: string): string => path.join(context.workDir, relative);
  // No cue outlasts the media: the subtitled copy would otherwise be longer than its picture and sound.
  const until = context.probe.durationSec;
  await writeFile(at(step.srtPath), toSrt(shown.segments, until), 'utf8');
  await writeFile(at(step.vttPath), toWebVtt(shown.segments, until), 'utf8');
  await writeFile(at(step.jsonPath), toTranscriptJson(shown, until), 'utf8');
  context.onProgress({ percent: 100 });
}

/** The subtitle mux, with the track tagged in the language the recogniser found. */
export async function runMuxSubtitlesStep(step: MuxSubtitlesStep, context: StepContext): Promise<void> {
  const transcript = await readTranscript(context, step.transcriptPath);
  const at = (relative: string): string => path.join(context.workDir, relative);
  const plan = planSubtitleMux(
    context.probe,
    { inputPath: context.inputPath, subtitlesPath: at(step.subtitlesPath), outputPath: at(step.outputPath) },
    {
      language: transcript.language,
      ...(step.audioStreamIndex === undefined ? {} : { audioStreamIndex: step.audioStreamIndex }),
    },
  );
  await runFfmpegStep({ args: plan.args, expectedDurationSec: plan.expectedDurationSec }, context);
}

/**
 * @throws AppError INTERNAL when the file is not a transcript this worker wrote (a planning bug).
 */
export async function readTranscript(context: StepContext, relative: string): Promise<Transcript> {
  const parsed: unknown = JSON.parse(await readFile(path.join(context.workDir, relative), 'utf8'));
  if (!isTranscript(parsed)) throw new AppError('INTERNAL', `${relative} is not a transcript`);
  return parsed;
}

function isTranscript(value: unknown): value is Transcript {
  return (
    typeof value === 'object' &&
    value !== null &&
    'language' in value &&
    typeof value.language === 'string' &&
    'model' in value &&
    typeof value.model === 'string' &&
    'segments' in value &&
    Array.isArray(value.segments)
  );
}
