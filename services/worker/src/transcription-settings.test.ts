import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { missingTranscriptionPieces, warnIfTranscriptionMissing } from './transcription-settings';
import type { TranscriptionSettingsConfig } from './transcription-settings';

describe('start-up check of transcription', () => {
  let cache: string;
  let config: TranscriptionSettingsConfig;
  beforeEach(async () => {
    cache = await mkdtemp(path.join(os.tmpdir(), 'mf-whisper-'));
    config = {
      MEDIAFLOW_CACHE_DIR: cache,
      WHISPER_PYTHON: undefined,
      WHISPER_MODEL_DIR: undefined,
      WHISPER_MODEL: 'base',
      WHISPER_COMPUTE_TYPE: 'int8',
      WHISPER_CPU_THREADS: 1,
      WHISPER_BEAM_SIZE: 1,
      TRANSCRIBE_CONCURRENCY: 1,
    };
  });
  afterEach(async () => rm(cache, { recursive: true, force: true }));

  it('names the runtime and the model with their paths, in one warning with the one command', async () => {
    const warnings: { message: string; meta: unknown }[] = [];
    const logger = { warn: (message: string, meta: unknown) => warnings.push({ message, meta }) };
    await warnIfTranscriptionMissing(config, logger as unknown as Parameters<typeof warnIfTranscriptionMissing>[1]);
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    expect(warning.message).toContain(path.join(cache, 'whisper-venv', 'bin', 'python'));
    expect(warning.message).toContain(path.join(cache, 'whisper-models', 'base'));
    expect(warning.message).toContain('`npm run whisper:install`');
  });

  it('is silent when both are there', async () => {
    const venvBin = path.join(cache, 'whisper-venv', 'bin');
    await mkdir(venvBin, { recursive: true });
    await writeFile(path.join(venvBin, 'python'), '#!/bin/sh\n');
    await chmod(path.join(venvBin, 'python'), 0o755);
    const model = path.join(cache, 'whisper-models', 'base');
    await mkdir(model, { recursive: true });
    for (const file of ['model.bin', 'config.json', 'tokenizer.json']) await writeFile(path.join(model, file), '{}');
    expect(await missingTranscriptionPieces(config)).toEqual([]);
  });
});
