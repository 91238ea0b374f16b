import os from 'node:os';
import path from 'node:path';
import { DEFAULT_TRANSCRIBE_SCRIPT, whisperSettingsFromEnv } from './whisper-settings';

describe('whisperSettingsFromEnv', () => {
  it('defaults to where scripts/whisper/install.sh puts things', () => {
    const settings = whisperSettingsFromEnv({ MEDIAFLOW_CACHE_DIR: '/cache' });
    expect(settings).toEqual({
      pythonPath: '/cache/whisper-venv/bin/python',
      modelDir: '/cache/whisper-models',
      defaultModel: 'base',
      computeType: 'int8',
      cpuThreads: os.availableParallelism(),
      beamSize: 1,
    });
    expect(whisperSettingsFromEnv({}).modelDir).toBe(path.join(os.homedir(), '.cache', 'mediaflow', 'whisper-models'));
  });

  it('lets each setting be overridden', () => {
    expect(
      whisperSettingsFromEnv({
        WHISPER_PYTHON: '/usr/bin/python3',
        WHISPER_MODEL_DIR: '/models',
        WHISPER_MODEL: 'small',
        WHISPER_COMPUTE_TYPE: 'float32',
        WHISPER_CPU_THREADS: '3',
        WHISPER_BEAM_SIZE: '5',
      }),
    ).toEqual({
      pythonPath: '/usr/bin/python3',
      modelDir: '/models',
      defaultModel: 'small',
      computeType: 'float32',
      cpuThreads: 3,
      beamSize: 5,
    });
  });

  it('points at the helper script in this checkout', () => {
    expect(DEFAULT_TRANSCRIBE_SCRIPT).toBe(path.resolve(__dirname, '../../../../scripts/whisper/transcribe.py'));
    expect(DEFAULT_TRANSCRIBE_SCRIPT.endsWith(path.join('scripts', 'whisper', 'transcribe.py'))).toBe(true);
  });
});
