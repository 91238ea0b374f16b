import path from 'node:path';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { FasterWhisperTranscriber } from '@mediaflow/media';
import type { FasterWhisperOptions, Transcriber } from '@mediaflow/media';
import { TranscriberPool } from './transcriber-pool';

export type TranscriptionSettingsConfig = Pick<
  AppConfig,
  | 'MEDIAFLOW_CACHE_DIR'
  | 'WHISPER_PYTHON'
  | 'WHISPER_MODEL_DIR'
  | 'WHISPER_COMPUTE_TYPE'
  | 'WHISPER_CPU_THREADS'
  | 'WHISPER_BEAM_SIZE'
  | 'TRANSCRIBE_CONCURRENCY'
>;

/** Where scripts/whisper/install.sh put the runtime and the models, unless the settings say otherwise. */
export function fasterWhisperOptions(config: TranscriptionSettingsConfig): FasterWhisperOptions {
  return {
    pythonPath: config.WHISPER_PYTHON ?? path.join(config.MEDIAFLOW_CACHE_DIR, 'whisper-venv', 'bin', 'python'),
    modelDir: path.resolve(config.WHISPER_MODEL_DIR ?? path.join(config.MEDIAFLOW_CACHE_DIR, 'whisper-models')),
    computeType: config.WHISPER_COMPUTE_TYPE,
    cpuThreads: config.WHISPER_CPU_THREADS,
    beamSize: config.WHISPER_BEAM_SIZE,
    // The default model stays loaded while a job asks for another (base + tiny.en: ~510 MB).
    modelCacheSize: 2,
  };
}

/**
 * The worker's speech recogniser: TRANSCRIBE_CONCURRENCY faster-whisper
 * helpers at most, each started on first use and kept, so a model is loaded
 * once per helper and reused by every later job.
 */
export function createWorkerTranscriber(config: TranscriptionSettingsConfig, logger: Logger): Transcriber {
  const options = { ...fasterWhisperOptions(config), log: logger.child({ component: 'whisper' }) };
  return new TranscriberPool(config.TRANSCRIBE_CONCURRENCY, () => new FasterWhisperTranscriber(options));
}
