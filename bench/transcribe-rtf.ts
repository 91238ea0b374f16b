/**
 * Speech recognition speed and accuracy on this machine: the real-time factor
 * (recognition wall time ÷ audio duration) and the word error rate of every
 * installed model, with beam search (faster-whisper's default, beam 5) and
 * greedy decoding (beam 1), side by side in one run, through the same
 * FasterWhisperTranscriber adapter the worker uses. Reports medians.
 *
 * Two recordings:
 *  - synthetic: a known script of about 150 words spoken by espeak-ng;
 *  - natural: five LibriVox sentences (a human reader) with their reference
 *    texts, from the test data in pocketsphinx's source package on PyPI
 *    (fetched once into MEDIAFLOW_CACHE_DIR/bench; skipped when PyPI is unreachable).
 *
 *   npm run bench:transcribe      BENCH_RUNS=3 BENCH_MODELS=base,tiny.en BENCH_BEAMS=5,1
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FasterWhisperTranscriber, whisperSettingsFromEnv, wordErrorRate } from '@mediaflow/media';

const run = promisify(execFile);

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MODELS = (process.env.BENCH_MODELS ?? 'base,tiny.en').split(',').filter(Boolean);
const BEAMS = (process.env.BENCH_BEAMS ?? '5,1').split(',').map(Number);

const SCRIPT = [
  'Every spring the small village by the lake holds a market in the old stone square.',
  'Farmers bring fresh bread, cheese and vegetables, while musicians play near the fountain.',
  'In the evening the families walk along the water and watch the sun go down behind the green hills.',
  'The baker opens his shop before dawn, and the smell of warm loaves fills the narrow streets.',
  'Children run between the stalls with paper kites, and their parents trade news about the harvest.',
  'An old fisherman mends his nets on the pier and tells anyone who listens about the storm of last winter.',
  'When the bells ring at noon, everyone gathers under the trees for a long lunch of soup and apples.',
  'Later a travelling theatre sets up its stage, and the whole village laughs at the clever fox and the foolish king.',
  'By night the lanterns are lit along the shore, and the market closes until the next spring.',
].join(' ');

const POCKETSPHINX = 'pocketsphinx==5.1.1';
const LIBRIVOX = ['0870', '0880', '0890', '0920', '0930'].map(
  (id) => `pocketsphinx-5.1.1/test/data/librivox/sense_and_sensibility_01_austen_64kb-${id}`,
);

interface Recording {
  name: string;
  audioPath: string;
  reference: string;
  durationSec: number;
}

interface Measurement {
  recording: string;
  model: string;
  beam: number;
  rtf: number;
  wer: number;
  seconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

async function synthetic(dir: string): Promise<Recording> {
  const audioPath = path.join(dir, 'synthetic.wav');
  await run('espeak-ng', ['-w', audioPath, '-s', '150', SCRIPT]);
  return { name: 'synthetic (espeak-ng)', audioPath, reference: SCRIPT, durationSec: await durationOf(audioPath) };
}

async function natural(dir: string, python: string): Promise<Recording | undefined> {
  const cache = path.join(process.env.MEDIAFLOW_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mediaflow'), 'bench');
  const archive = path.join(cache, 'pocketsphinx-5.1.1.tar.gz');
  await mkdir(cache, { recursive: true });
  const present = await stat(archive).then(
    () => true,
    () => false,
  );
  if (!present) {
    try {
      // prettier-ignore
      await run(python, ['-m', 'pip', 'download', '--quiet', '--no-deps', '--no-binary', ':all:', POCKETSPHINX, '-d', cache]);
    } catch (error) {
      process.stderr.write(`natural speech skipped: could not fetch ${POCKETSPHINX} (${String(error)})\n`);
      return undefined;
    }
  }
  const members = LIBRIVOX.flatMap((stem) => [`${stem}.wav`, `${stem}.txt`]);
  await run('tar', ['-xzf', archive, '-C', dir, ...members]);
  const list = path.join(dir, 'librivox.txt');
  await writeFile(list, LIBRIVOX.map((stem) => `file '${path.join(dir, `${stem}.wav`)}'\n`).join(''));
  const audioPath = path.join(dir, 'natural.wav');
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', audioPath]);
  const texts = await Promise.all(LIBRIVOX.map(async (stem) => readFile(path.join(dir, `${stem}.txt`), 'utf8')));
  return {
    name: 'natural (LibriVox)',
    audioPath,
    reference: texts.join(' '),
    durationSec: await durationOf(audioPath),
  };
}

/** Peak resident memory (VmHWM) of a process in MiB. */
async function peakRssMb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
}

async function main(): Promise<void> {
  const settings = whisperSettingsFromEnv();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-bench-transcribe-'));
  const recordings = [await synthetic(dir), await natural(dir, settings.pythonPath)].filter(
    (recording): recording is Recording => recording !== undefined,
  );
  const measurements: Measurement[] = [];
  const peakRss: Record<string, number | undefined> = {};
  try {
    for (const model of MODELS) {
      // One helper per beam size, as a worker would keep one; each is warmed
      // with an untimed run so model loading is not counted.
      const transcribers = new Map(
        BEAMS.map((beam) => [
          beam,
          new FasterWhisperTranscriber({
            pythonPath: settings.pythonPath,
            modelDir: settings.modelDir,
            computeType: settings.computeType,
            cpuThreads: settings.cpuThreads,
            beamSize: beam,
          }),
        ]),
      );
      try {
        for (const transcriber of transcribers.values()) {
          await transcriber.transcribe({ audioPath: recordings[0].audioPath, model, language: 'en' });
        }
        for (let round = 0; round < RUNS; round += 1) {
          for (const recording of recordings) {
            // Alternate the order so neither setting always runs on a warmer machine.
            const beams = round % 2 === 0 ? BEAMS : [...BEAMS].reverse();
            for (const beam of beams) {
              const started = performance.now();
              const transcript = await transcribers.get(beam)!.transcribe({
                audioPath: recording.audioPath,
                model,
                language: 'en',
              });
              const seconds = (performance.now() - started) / 1000;
              const hypothesis = transcript.segments.map((segment) => segment.text).join(' ');
              measurements.push({
                recording: recording.name,
                model,
                beam,
                seconds,
                rtf: seconds / recording.durationSec,
                wer: wordErrorRate(recording.reference, hypothesis),
              });
            }
          }
        }
        for (const [beam, transcriber] of transcribers) {
          peakRss[`${model} beam ${beam}`] = await peakRssMb(transcriber.stats.pid);
        }
      } finally {
        await Promise.all([...transcribers.values()].map(async (transcriber) => transcriber.close()));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const rows = recordings.flatMap((recording) =>
    MODELS.flatMap((model) =>
      BEAMS.map((beam) => {
        const mine = measurements.filter((m) => m.recording === recording.name && m.model === model && m.beam === beam);
        return {
          recording: recording.name,
          audio_sec: Number(recording.durationSec.toFixed(2)),
          model,
          beam,
          runs: mine.length,
          rtf_median: Number(median(mine.map((m) => m.rtf)).toFixed(3)),
          rtf_range: [Math.min(...mine.map((m) => m.rtf)), Math.max(...mine.map((m) => m.rtf))].map((value) =>
            Number(value.toFixed(3)),
          ),
          wer: Number(median(mine.map((m) => m.wer)).toFixed(3)),
        };
      }),
    ),
  );
  const result = {
    when: new Date().toISOString(),
    cpus: os.availableParallelism(),
    cpu_threads: settings.cpuThreads,
    compute_type: settings.computeType,
    load_average_at_end: os.loadavg().map((value) => Number(value.toFixed(2))),
    rows,
    helper_peak_rss_mb: peakRss,
  };
  console.table(rows.map(({ rtf_range, ...row }) => ({ ...row, rtf_range: rtf_range.join('–') })));
  console.log(JSON.stringify(result, null, 2));
  const out = path.join(__dirname, '..', '..', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'transcribe-rtf.json'), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
