/**
 * What a planner returns and the worker's runner executes: an ordered list of
 * steps that read and write files inside the job's work directory, and a
 * manifest saying which of those files become the job's outputs.
 *
 * Every path in a plan is relative to the work directory, which is also the
 * job's folder in the object store: `stream/master.m3u8` in the work
 * directory is published as `<OUTPUT_PREFIX><job_id>/stream/master.m3u8`.
 * The one exception is FFmpeg's argv, which names files by absolute path
 * (the planner is given the work directory's absolute path for that).
 */

import type { OutputExpectation } from '@mediaflow/media';

export type { OutputExpectation };

/** Fields every step has. */
interface StepBase {
  /** Short, stable, unique within the plan (e.g. "encode", "extract-audio"); shown in logs. */
  id: string;
  /**
   * The step's share of the job's expected cost, any positive number. The
   * job's progress is the weight-averaged progress of its steps.
   */
  weight: number;
}

/** One FFmpeg invocation. */
export interface FfmpegStep extends StepBase {
  kind: 'ffmpeg';
  /** The full argv without the binary and without -progress/-nostats (the runner adds those). */
  args: string[];
  /** Seconds of media this invocation works through: what 100 % means. 0 when unknown. */
  expectedDurationSec: number;
  /** Directories (relative) the step writes into; the runner creates them first. */
  createDirs?: string[];
}

/** Speech recognition of a 16 kHz mono WAV, written as a raw transcript JSON file. */
export interface RecogniseSpeechStep extends StepBase {
  kind: 'recognise_speech';
  /** Relative path of the audio to recognise. */
  audioPath: string;
  /** A model name from WHISPER_MODELS, or the operator's configured model path. */
  model: string;
  /** ISO 639 code; absent means detect. */
  language?: string;
  /** Relative path the transcript (the Transcript type as JSON) is written to. */
  transcriptPath: string;
}

/** A transcript JSON (as RecogniseSpeechStep writes) turned into SRT, WebVTT and the public JSON. */
export interface WriteSubtitlesStep extends StepBase {
  kind: 'write_subtitles';
  transcriptPath: string;
  srtPath: string;
  vttPath: string;
  jsonPath: string;
}

/**
 * The source's video and audio plus an SRT as a soft subtitle track, in an
 * MP4. A step of its own because the track's language tag is only known once
 * speech was recognised: the executor reads it from the transcript and builds
 * the FFmpeg argv then (with the pure builder planSubtitleMux).
 */
export interface MuxSubtitlesStep extends StepBase {
  kind: 'mux_subtitles';
  /** The transcript JSON whose `language` tags the track. */
  transcriptPath: string;
  subtitlesPath: string;
  outputPath: string;
  /** Input index of the audio stream to carry (the job's `audio_track`); absent: the probe's default track. */
  audioStreamIndex?: number;
}

/** A text file whose content the planner could decide without running anything (a WebVTT index, for example). */
export interface WriteTextStep extends StepBase {
  kind: 'write_text';
  path: string;
  content: string;
}

/**
 * Rewrites the HLS playlists an FFmpeg packaging step wrote so they state
 * what players need and FFmpeg leaves out or gets wrong: one target duration
 * for every variant playlist, and a master playlist whose BANDWIDTH is
 * measured from the segments written, with RESOLUTION, CODECS and FRAME-RATE.
 */
export interface FinaliseHlsStep extends StepBase {
  kind: 'finalise_hls';
  /** Relative directory holding the package. */
  dir: string;
  /** Relative (to `dir`) name of the master playlist to write. */
  masterName: string;
  /** What each variant playlist holds, in ladder order (highest first). */
  variants: HlsVariantSpec[];
  /** The audio rendition, when the package has one. */
  audio?: HlsAudioSpec;
}

export interface HlsVariantSpec {
  /** Variant playlist file name inside the package directory. */
  playlist: string;
  width: number;
  height: number;
  /** Frames per second, e.g. 23.976. */
  frameRate: number;
  /** RFC 6381 codec string of the video, e.g. "avc1.64001f". */
  videoCodec: string;
}

export interface HlsAudioSpec {
  playlist: string;
  /** RFC 6381 codec string, e.g. "mp4a.40.2". */
  codec: string;
  /** e.g. "en"; "und" when unknown. */
  language: string;
  channels: number;
}

export type PlanStep =
  | FfmpegStep
  | RecogniseSpeechStep
  | WriteSubtitlesStep
  | MuxSubtitlesStep
  | WriteTextStep
  | FinaliseHlsStep;
export type StepKind = PlanStep['kind'];

/**
 * One entry of an operation's output manifest: a file, or a whole directory
 * (published file by file, listed once), that becomes an output of the job.
 */
export interface OutputManifestEntry {
  /**
   * Open vocabulary: "video", "audio", "srt", "vtt", "json", "log",
   * "hls" (a master playlist), "dash" (an MPD), "package" (the directory
   * holding both and their segments), "poster", "storyboard",
   * "storyboard_image", "thumbnail", …
   */
  kind: string;
  /** Relative to the work directory and to the job's folder. A directory ends with "/". */
  path: string;
  /** For a directory: the content type of its entry point, or "inode/directory". */
  contentType: string;
  /** The job's main result: what GET /download serves by default. Exactly one entry per plan. */
  primary?: boolean;
  /**
   * For a media file: what it must hold. The worker probes it before the job
   * completes and fails the job (EMPTY_OUTPUT, OUTPUT_INCOMPLETE) when it
   * does not. Absent: not a media file (text, images), not probed.
   */
  expect?: OutputExpectation;
}

export interface ExecutionPlan {
  steps: PlanStep[];
  outputs: OutputManifestEntry[];
  /**
   * Seconds of media the job works through; the time limit and the
   * progress-less watchdog scale with it. 0 when unknown.
   */
  expectedDurationSec: number;
  /** The job log's file name in the job's folder; "ffmpeg.log" when absent. */
  logName?: string;
  /**
   * What the outputs leave out of the source and why (an image subtitle
   * track MP4 cannot hold); the worker writes them into the job log.
   */
  warnings?: string[];
}
