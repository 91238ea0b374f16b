import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, fetchText } from '../api';
import { formatClock } from '../format';
import type { JobView, PlaybackUrls } from '../types';
import { ErrorMessage } from './common';

/** One cue of a WebVTT file: seconds, and its text (a sprite URL with #xywh= for storyboards). */
export interface Cue {
  start: number;
  end: number;
  text: string;
}

function seconds(stamp: string): number {
  const parts = stamp.trim().split(':').map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** The cues of a WebVTT (or SRT: same timings with a comma) text. */
export function parseCues(text: string): Cue[] {
  const cues: Cue[] = [];
  for (const block of text.replace(/\r/g, '').split(/\n{2,}/)) {
    const lines = block.split('\n');
    const timing = lines.findIndex((line) => line.includes('-->'));
    if (timing < 0) continue;
    const [from, to] = lines[timing].split('-->');
    const start = seconds(from.replace(',', '.'));
    const end = seconds(to.trim().split(/\s+/)[0].replace(',', '.'));
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
    cues.push({
      start,
      end,
      text: lines
        .slice(timing + 1)
        .join('\n')
        .trim(),
    });
  }
  return cues;
}

interface Tile {
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

function tileOf(cue: Cue, base: string): Tile | undefined {
  const match = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(cue.text.trim());
  if (!match) return undefined;
  return {
    url: new URL(match[1], new URL(base, window.location.href)).href,
    x: Number(match[2]),
    y: Number(match[3]),
    w: Number(match[4]),
    h: Number(match[5]),
  };
}

interface Destroyable {
  destroy?: () => void;
  reset?: () => void;
}

/**
 * Plays a completed job's result in the browser's own elements, through the
 * signed URLs of GET /jobs/{id}/playback (a <video> cannot send the
 * Authorization header): HLS with hls.js (or natively, on Safari), DASH
 * with dash.js, each loaded only when needed; MP4 and audio directly.
 * Subtitles go in a <track> and a transcript list whose lines seek; a
 * storyboard shows thumbnails over the timeline below the player.
 */
export function Player(props: { job: JobView }) {
  const { job } = props;
  const [urls, setUrls] = useState<PlaybackUrls | null>();
  const [error, setError] = useState<unknown>();
  const [format, setFormat] = useState<'hls' | 'dash'>();
  const media = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const [transcript, setTranscript] = useState<Cue[]>([]);
  const [storyboard, setStoryboard] = useState<{ cues: Cue[]; base: string }>();
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(0);

  useEffect(() => {
    api<PlaybackUrls>(`/jobs/${job.job_id}/playback`)
      .then((body) => {
        setUrls(body);
        setFormat(body.hls ? 'hls' : body.dash ? 'dash' : undefined);
      })
      .catch((caught: unknown) => {
        // No playable output (a probe, thumbnails, …): no player, not an error.
        if (caught instanceof ApiError && caught.status === 404) setUrls(null);
        else setError(caught);
      });
  }, [job.job_id]);

  // Subtitles for the transcript list: the playback VTT, or the job's own VTT/SRT file when nothing plays.
  useEffect(() => {
    const subtitle =
      job.outputs.find((output) => output.kind === 'vtt') ?? job.outputs.find((output) => output.kind === 'srt');
    const url = urls?.vtt ?? subtitle?.url;
    if (!url || urls === undefined) return;
    const load = urls?.vtt ? fetch(url).then(async (response) => response.text()) : fetchText(url);
    load.then((text) => setTranscript(parseCues(text))).catch(() => setTranscript([]));
  }, [urls, job.outputs]);

  useEffect(() => {
    if (!urls?.storyboard) return;
    const base = urls.storyboard;
    fetch(base)
      .then(async (response) => response.text())
      .then((text) => setStoryboard({ cues: parseCues(text), base }))
      .catch(() => setStoryboard(undefined));
  }, [urls?.storyboard]);

  // hls.js and dash.js are their own chunks, fetched the first time a package plays.
  useEffect(() => {
    const element = media.current;
    if (!urls || !element || !format) return;
    let player: Destroyable | undefined;
    let cancelled = false;
    const attach = async (): Promise<void> => {
      if (format === 'hls' && urls.hls) {
        const { default: Hls } = await import('hls.js');
        if (cancelled) return;
        if (Hls.isSupported()) {
          const hls = new Hls();
          hls.on(Hls.Events.ERROR, (_event, data) => {
            if (data.fatal) setError(new Error(`HLS playback failed: ${data.details}`));
          });
          hls.loadSource(urls.hls);
          hls.attachMedia(element);
          player = hls;
        } else {
          element.src = urls.hls;
        }
      } else if (format === 'dash' && urls.dash) {
        const dashjs = await import('dashjs');
        if (cancelled) return;
        const dash = dashjs.MediaPlayer().create();
        dash.initialize(element, urls.dash, false);
        player = dash;
      }
    };
    attach().catch(setError);
    return () => {
      cancelled = true;
      player?.destroy?.();
      player?.reset?.();
    };
  }, [urls, format]);

  if (urls === undefined) return error ? <ErrorMessage error={error} /> : <p aria-busy="true">Loading the player…</p>;
  if (urls === null) {
    return transcript.length > 0 ? <Transcript cues={transcript} time={-1} onSeek={undefined} /> : null;
  }
  const streaming = urls.hls !== undefined || urls.dash !== undefined;
  const audioOnly = !streaming && urls.video === undefined && urls.audio !== undefined;
  const seek = (to: number): void => {
    if (media.current) {
      media.current.currentTime = to;
      void media.current.play().catch(() => undefined);
    }
  };
  const events = {
    onTimeUpdate: () => setTime(media.current?.currentTime ?? 0),
    onDurationChange: () => setDuration(media.current?.duration ?? 0),
  };
  const track = urls.vtt ? <track kind="subtitles" src={urls.vtt} srcLang="en" label="Subtitles" default /> : null;

  return (
    <section class="card player" aria-labelledby="player-heading">
      <h2 id="player-heading">Play</h2>
      {streaming && urls.hls && urls.dash ? (
        <div class="field inline">
          <label for="stream-format">Stream</label>
          <select
            id="stream-format"
            value={format}
            onChange={(event) => setFormat(event.currentTarget.value === 'dash' ? 'dash' : 'hls')}
          >
            <option value="hls">HLS (hls.js)</option>
            <option value="dash">DASH (dash.js)</option>
          </select>
        </div>
      ) : null}
      {audioOnly ? (
        <audio ref={media} controls preload="metadata" src={urls.audio} aria-label="Audio output" {...events}>
          {track}
        </audio>
      ) : (
        <video
          key={format ?? 'file'}
          ref={media}
          controls
          playsInline
          preload="metadata"
          poster={urls.poster}
          src={streaming ? undefined : urls.video}
          aria-label="Video output"
          {...events}
        >
          {track}
        </video>
      )}
      {storyboard && storyboard.cues.length > 0 ? (
        <Timeline cues={storyboard.cues} base={storyboard.base} time={time} duration={duration} onSeek={seek} />
      ) : null}
      <ErrorMessage error={error} />
      {transcript.length > 0 ? <Transcript cues={transcript} time={time} onSeek={seek} /> : null}
    </section>
  );
}

/** A seek bar that previews the storyboard tile under the pointer (or the keyboard's position). */
function Timeline(props: { cues: Cue[]; base: string; time: number; duration: number; onSeek: (to: number) => void }) {
  const bar = useRef<HTMLInputElement>(null);
  const preview = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<number>();
  const total = props.duration > 0 ? props.duration : (props.cues.at(-1)?.end ?? 0);

  useEffect(() => {
    const box = preview.current;
    if (!box || !bar.current) return;
    if (hover === undefined) {
      box.hidden = true;
      return;
    }
    const cue = props.cues.find((candidate) => hover >= candidate.start && hover < candidate.end) ?? props.cues.at(-1);
    const tile = cue ? tileOf(cue, props.base) : undefined;
    if (!tile) {
      box.hidden = true;
      return;
    }
    // Set through the CSSOM: the CSP allows no inline style attributes.
    box.hidden = false;
    box.style.width = `${tile.w}px`;
    box.style.height = `${tile.h}px`;
    box.style.backgroundImage = `url("${tile.url}")`;
    box.style.backgroundPosition = `-${tile.x}px -${tile.y}px`;
    const width = bar.current.clientWidth;
    const left = total > 0 ? (hover / total) * width - tile.w / 2 : 0;
    box.style.left = `${Math.max(0, Math.min(width - tile.w, left))}px`;
  }, [hover, props.cues, props.base, total]);

  const fromPointer = (event: MouseEvent): number | undefined => {
    const rect = bar.current?.getBoundingClientRect();
    if (!rect || rect.width === 0 || total <= 0) return undefined;
    return Math.max(0, Math.min(total, ((event.clientX - rect.left) / rect.width) * total));
  };

  return (
    <div class="timeline">
      <div class="storyboard-preview" ref={preview} hidden aria-hidden="true" data-testid="storyboard-preview">
        {hover !== undefined ? <span>{formatClock(hover)}</span> : null}
      </div>
      <label for="timeline" class="visually-hidden">
        Timeline with thumbnails
      </label>
      <input
        id="timeline"
        ref={bar}
        type="range"
        min={0}
        max={total || 0}
        step={0.1}
        value={props.time}
        aria-valuetext={`${formatClock(props.time)} of ${formatClock(total)}`}
        onMouseMove={(event) => setHover(fromPointer(event))}
        onMouseLeave={() => setHover(undefined)}
        onFocus={() => setHover(props.time)}
        onBlur={() => setHover(undefined)}
        onInput={(event) => {
          const to = Number(event.currentTarget.value);
          setHover(to);
          props.onSeek(to);
        }}
      />
    </div>
  );
}

/** The subtitles as a list; a line's button seeks the player to it, the current line is marked. */
function Transcript(props: { cues: Cue[]; time: number; onSeek: ((to: number) => void) | undefined }) {
  return (
    <section class="transcript" aria-labelledby="transcript-heading">
      <h3 id="transcript-heading">Transcript</h3>
      <ol>
        {props.cues.map((cue, index) => {
          const current = props.time >= cue.start && props.time < cue.end;
          return (
            <li key={index} class={current ? 'cue-current' : ''} aria-current={current ? 'true' : undefined}>
              {props.onSeek ? (
                <button type="button" class="cue" onClick={() => props.onSeek?.(cue.start)}>
                  <span class="cue-time">{formatClock(cue.start)}</span> {cue.text}
                </button>
              ) : (
                <span class="cue">
                  <span class="cue-time">{formatClock(cue.start)}</span> {cue.text}
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
