import os from 'node:os';
import path from 'node:path';

/** Where scripts/whisper/install.sh puts things, and the settings that move them. */
export interface WhisperSettings {
  /** WHISPER_PYTHON: the venv's Python, with faster-whisper installed. */
  pythonPath: string;
  /** WHISPER_MODEL_DIR: holds one directory per model name. */
  modelDir: string;
  /** WHISPER_MODEL: used when a job does not name one. */
  defaultModel: string;
  /** WHISPER_COMPUTE_TYPE: CTranslate2 quantisation; int8 is the fast choice on CPUs. */
  computeType: string;
  /** WHISPER_CPU_THREADS: threads per transcription; defaults to the cores available. */
  cpuThreads: number;
  /** WHISPER_BEAM_SIZE: 1 is greedy decoding. */
  beamSize: number;
}

export const DEFAULT_WHISPER_MODEL = 'base';

/**
 * Greedy decoding. On 2 cores it makes base run at a real-time factor of
 * about 0.12 instead of 0.19 with beam search (5), for a word error rate of
 * 8.9 % instead of 6.3 % on synthetic speech and the same 2.8 % on natural
 * speech (`npm run bench:transcribe`, 2026-11-21). Whisper's own
 * `transcribe()` decodes greedily by default too.
 */
export const DEFAULT_WHISPER_BEAM_SIZE = 1;

export function whisperSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WhisperSettings {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const cacheDir = value('MEDIAFLOW_CACHE_DIR') ?? path.join(os.homedir(), '.cache', 'mediaflow');
  const threads = Number.parseInt(value('WHISPER_CPU_THREADS') ?? '', 10);
  const beam = Number.parseInt(value('WHISPER_BEAM_SIZE') ?? '', 10);
  return {
    pythonPath: value('WHISPER_PYTHON') ?? path.join(cacheDir, 'whisper-venv', 'bin', 'python'),
    modelDir: path.resolve(value('WHISPER_MODEL_DIR') ?? path.join(cacheDir, 'whisper-models')),
    defaultModel: value('WHISPER_MODEL') ?? DEFAULT_WHISPER_MODEL,
    computeType: value('WHISPER_COMPUTE_TYPE') ?? 'int8',
    cpuThreads: Number.isInteger(threads) && threads > 0 ? threads : os.availableParallelism(),
    beamSize: Number.isInteger(beam) && beam >= 1 && beam <= 20 ? beam : DEFAULT_WHISPER_BEAM_SIZE,
  };
}

/** scripts/whisper/transcribe.py in this checkout; src/ and dist/ sit at the same depth. */
export const DEFAULT_TRANSCRIBE_SCRIPT = path.resolve(__dirname, '../../../../scripts/whisper/transcribe.py');
