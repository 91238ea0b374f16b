import { runFfmpegStep } from './ffmpeg-step';
import { runFinaliseHlsStep } from './finalise-hls-step';
import { recogniseSpeechExecutor } from './recognise-speech-step';
import type { RecogniseSpeechDeps } from './recognise-speech-step';
import type { StepExecutors } from './step-executor';
import { runMuxSubtitlesStep, runWriteSubtitlesStep, runWriteTextStep } from './text-steps';

export type { StepConfig, StepContext, StepExecutor, StepExecutors } from './step-executor';
export { transcriptionStallMs, TRANSCRIPTION_MIN_STALL_SECONDS } from './recognise-speech-step';

/** The worker's step executors: one per step kind a plan may hold. */
export function createStepExecutors(deps: RecogniseSpeechDeps): StepExecutors {
  return {
    ffmpeg: runFfmpegStep,
    recognise_speech: recogniseSpeechExecutor(deps),
    write_subtitles: runWriteSubtitlesStep,
    mux_subtitles: runMuxSubtitlesStep,
    write_text: runWriteTextStep,
    finalise_hls: async (step, context) => {
      context.log(await runFinaliseHlsStep(step, context.workDir));
      context.onProgress({ percent: 100 });
    },
  };
}
