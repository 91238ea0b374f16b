import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { formatBytes, formatDuration, humanize } from '../format';
import { navigate } from '../router';
import type { OperationInfo, OperationList, PresetInfo } from '../types';
import { uploadFile } from '../upload';
import type { UploadProgress } from '../upload';
import { ErrorMessage, PageHeading, ProgressBar } from './common';
import { initialValues, paramsFrom, SchemaFields } from './schema-form';
import type { FieldValue, FormValues } from './schema-form';

/** One chosen file on its way up: uploads go one at a time, in the order the list shows. */
interface UploadItem {
  id: number;
  file: File;
  state: 'waiting' | 'uploading' | 'paused' | 'done' | 'failed';
  progress: UploadProgress;
  error?: unknown;
  /** Its `s3://` URI once it is up. */
  source?: string;
}

/** A finished upload, for the form. */
export interface UploadedFile {
  source: string;
  name: string;
}

const STATE_TEXT: Record<UploadItem['state'], string> = {
  waiting: 'waiting to upload.',
  uploading: 'uploading…',
  paused: 'paused.',
  done: 'uploaded.',
  failed: 'failed.',
};

/** One row of the upload list: name, size, state in words, its own progress bar and buttons. */
function UploadRow(props: { item: UploadItem; onPause: () => void; onResume: () => void; onRemove: () => void }) {
  const { item } = props;
  const { progress } = item;
  const percent =
    item.state === 'done' ? 100 : progress.totalBytes > 0 ? (progress.sentBytes / progress.totalBytes) * 100 : 0;
  const eta =
    progress.bytesPerSecond && progress.bytesPerSecond > 0
      ? (progress.totalBytes - progress.sentBytes) / progress.bytesPerSecond
      : undefined;
  const uploading = item.state === 'uploading';
  return (
    <li class="upload-item">
      <p>
        <strong>{item.file.name}</strong> ({formatBytes(item.file.size)}) {STATE_TEXT[item.state]}
        {progress.resumedFrom ? ` Resumed at ${formatBytes(progress.resumedFrom)}.` : ''}
      </p>
      <ProgressBar
        value={percent}
        label={`Upload progress of ${item.file.name}`}
        status={item.state === 'done' ? 'completed' : item.state === 'failed' ? 'failed' : 'processing'}
      />
      {uploading && progress.bytesPerSecond ? (
        <p class="muted small">
          {formatBytes(progress.bytesPerSecond)}/s{eta !== undefined ? `, about ${formatDuration(eta)} left` : ''}
        </p>
      ) : null}
      <div class="upload-actions">
        {uploading ? (
          <button type="button" class="secondary" onClick={props.onPause}>
            Pause upload<span class="visually-hidden"> of {item.file.name}</span>
          </button>
        ) : null}
        {item.state === 'paused' || item.state === 'failed' ? (
          <button type="button" onClick={props.onResume}>
            Resume upload<span class="visually-hidden"> of {item.file.name}</span>
          </button>
        ) : null}
        <button type="button" class="link-button" onClick={props.onRemove}>
          Remove<span class="visually-hidden"> {item.file.name}</span>
        </button>
      </div>
      <ErrorMessage error={item.error} />
    </li>
  );
}

/**
 * Drop zone and file picker for one file or several. Each goes up resumably
 * (tus for a large one), one at a time in the order chosen; the form gets the
 * finished ones' sources in the list's order.
 */
function Uploader(props: { onUploaded: (files: UploadedFile[]) => void }) {
  const [dragging, setDragging] = useState(false);
  const [items, setItems] = useState<UploadItem[]>([]);
  const controllers = useRef(new Map<number, AbortController>());
  const nextId = useRef(1);
  const reported = useRef('');
  const picker = useRef<HTMLInputElement>(null);

  useEffect(
    () => () => {
      for (const controller of controllers.current.values()) controller.abort();
    },
    [],
  );

  function update(id: number, patch: Partial<UploadItem>): void {
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...patch } : item)));
  }

  function add(files: readonly File[]): void {
    const added = files.map((file): UploadItem => ({
      id: nextId.current++,
      file,
      state: 'waiting',
      progress: { sentBytes: 0, totalBytes: file.size },
    }));
    setItems((current) => [...current, ...added]);
  }

  async function run(item: UploadItem): Promise<void> {
    const abort = new AbortController();
    controllers.current.set(item.id, abort);
    update(item.id, { state: 'uploading', error: undefined });
    try {
      const result = await uploadFile(item.file, (progress) => update(item.id, { progress }), abort.signal);
      update(item.id, { state: 'done', source: result.source });
    } catch (caught) {
      if (!abort.signal.aborted) update(item.id, { state: 'failed', error: caught });
    } finally {
      if (controllers.current.get(item.id) === abort) controllers.current.delete(item.id);
    }
  }

  // One upload at a time: the first waiting one starts when none is going.
  useEffect(() => {
    if (items.some((item) => item.state === 'uploading')) return;
    const next = items.find((item) => item.state === 'waiting');
    if (next) void run(next);
  }, [items]);

  // The finished uploads, in the list's order, each time that changes.
  useEffect(() => {
    const uploaded = items.flatMap((item) =>
      item.state === 'done' && item.source !== undefined ? [{ source: item.source, name: item.file.name }] : [],
    );
    const key = JSON.stringify(uploaded);
    if (key === reported.current) return;
    reported.current = key;
    props.onUploaded(uploaded);
  }, [items]);

  function stop(id: number): void {
    controllers.current.get(id)?.abort();
    controllers.current.delete(id);
  }

  const chosen = (files: FileList | null | undefined): void => {
    if (files && files.length > 0) add(Array.from(files));
  };

  return (
    <section aria-labelledby="upload-heading" class="card">
      <h2 id="upload-heading">1. Upload files</h2>
      <div
        class={`dropzone ${dragging ? 'dropzone-active' : ''}`}
        data-testid="dropzone"
        onDragOver={(event) => {
          event.preventDefault();
          if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          chosen(event.dataTransfer?.files);
        }}
      >
        <p>Drag video or audio files here, or</p>
        <label class="button" for="file-picker">
          Choose a file, or several
        </label>
        <input
          id="file-picker"
          ref={picker}
          class="visually-hidden"
          type="file"
          multiple
          accept="video/*,audio/*,.mkv,.mov,.mp4,.webm,.avi,.mp3,.wav,.m4a,.flac,.ogg,.opus"
          onChange={(event) => {
            chosen(event.currentTarget.files);
            // The same file can be chosen again (after removing it).
            event.currentTarget.value = '';
          }}
        />
        <p class="muted small">
          Several files go up one after another, in the order chosen, and the job reads them in that order. Large files
          resume where they stopped if the connection drops or the page reloads.
        </p>
      </div>
      {items.length > 0 ? (
        <div class="upload-status" aria-live="polite">
          <h3 id="uploads-heading">{items.length === 1 ? '1 file' : `${items.length} files, in order`}</h3>
          <ol class="uploads" aria-labelledby="uploads-heading">
            {items.map((item) => (
              <UploadRow
                key={item.id}
                item={item}
                onPause={() => {
                  stop(item.id);
                  update(item.id, { state: 'paused' });
                }}
                onResume={() => update(item.id, { state: 'waiting', error: undefined })}
                onRemove={() => {
                  stop(item.id);
                  setItems((current) => current.filter((other) => other.id !== item.id));
                }}
              />
            ))}
          </ol>
        </div>
      ) : null}
    </section>
  );
}

/** What the form submits: one operation, or a preset (a named chain of operations). */
type Choice = { kind: 'operation'; info: OperationInfo } | { kind: 'preset'; info: PresetInfo };

/** A preset's value in the select: operations keep their bare names (`compress`). */
const PRESET_VALUE = 'preset:';

function choiceValue(choice: Choice): string {
  return choice.kind === 'preset' ? `${PRESET_VALUE}${choice.info.name}` : choice.info.name;
}

/** `concat (mp4) → transcribe (mp4)`. */
function stepsText(preset: PresetInfo): string {
  return preset.steps
    .map((step) => `${humanize(step.method_name)}${step.output_format ? ` (${step.output_format})` : ''}`)
    .join(' → ');
}

export function NewJobPage() {
  const [list, setList] = useState<OperationList>();
  const [loadError, setLoadError] = useState<unknown>();
  const [source, setSource] = useState('');
  const [uploaded, setUploaded] = useState<UploadedFile[]>([]);
  const [selected, setSelected] = useState('');
  const [format, setFormat] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>();

  const choices: Choice[] = list
    ? [
        ...list.operations.map((info): Choice => ({ kind: 'operation', info })),
        ...list.presets.map((info): Choice => ({ kind: 'preset', info })),
      ]
    : [];

  useEffect(() => {
    api<OperationList>('/operations')
      .then((body) => {
        setList(body);
        const first = body.operations[0];
        if (first) choose({ kind: 'operation', info: first });
      })
      .catch(setLoadError);
  }, []);

  function choose(choice: Choice): void {
    setSelected(choiceValue(choice));
    setFormat(
      choice.kind === 'operation' ? (choice.info.default_output_format ?? choice.info.output_formats[0] ?? '') : '',
    );
    setValues(initialValues(choice.info.params_schema));
  }

  const choice = choices.find((candidate) => choiceValue(candidate) === selected);
  const lines = source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const several = choice?.info.multiple_sources === true;
  /** Several sources for something that reads one: the form says so and does not submit. */
  const tooMany = lines.length > 1 && !several;
  const sourcesField = several || lines.length > 1;

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!choice || tooMany) return;
    setError(undefined);
    setSubmitting(true);
    try {
      const params = paramsFrom(choice.info.params_schema, values);
      // Several sources go as `sources`, in order; an operation of several sources gets a list of one too.
      const inputs = lines.length > 1 || several ? { sources: lines } : { source: source.trim() };
      const work =
        choice.kind === 'preset'
          ? { preset: choice.info.name, params }
          : { method_name: choice.info.name, ...(format ? { output_format: format } : {}), params };
      const result = await api<{ job_id: string }>('/process', {
        method: 'POST',
        json: { ...inputs, ...work },
      });
      navigate(`/jobs/${result.job_id}`);
    } catch (caught) {
      setError(caught);
      setSubmitting(false);
    }
  }

  const uploadedHint =
    uploaded.length === 0
      ? 'Upload files above, or give S3 URIs the API may read.'
      : uploaded.length === 1
        ? `Uploaded: ${uploaded[0]?.name ?? ''}`
        : `Uploaded, in this order: ${uploaded.map((file) => file.name).join(', ')}`;

  return (
    <>
      <PageHeading>New job</PageHeading>
      <Uploader
        onUploaded={(files) => {
          setUploaded(files);
          setSource(files.map((file) => file.source).join('\n'));
        }}
      />
      <section aria-labelledby="submit-heading" class="card">
        <h2 id="submit-heading">2. Choose what to do</h2>
        <ErrorMessage error={loadError} />
        {list === undefined && loadError === undefined ? <p aria-busy="true">Loading operations…</p> : null}
        {list ? (
          <form onSubmit={(event) => void submit(event)} noValidate={false}>
            <div class="field">
              <label for="source">{sourcesField ? 'Sources, one per line, in order' : 'Source'}</label>
              {sourcesField ? (
                <textarea
                  id="source"
                  required
                  rows={4}
                  value={source}
                  aria-describedby={tooMany ? 'source-hint source-too-many' : 'source-hint'}
                  aria-invalid={tooMany ? true : undefined}
                  onInput={(event) => setSource(event.currentTarget.value)}
                />
              ) : (
                <input
                  id="source"
                  type="text"
                  required
                  value={source}
                  placeholder="s3://bucket/key — filled in by the upload"
                  aria-describedby="source-hint"
                  onInput={(event) => setSource(event.currentTarget.value)}
                />
              )}
              <small id="source-hint" class="hint">
                {uploadedHint}
              </small>
              {tooMany && choice ? (
                <p id="source-too-many" class="field-error">
                  {humanize(choice.info.name)} reads one file, and there are {lines.length}. Choose an operation or
                  preset that takes several (
                  {choices
                    .filter((candidate) => candidate.info.multiple_sources)
                    .map((candidate) => humanize(candidate.info.name))
                    .join(', ')}
                  ), or remove files above.
                </p>
              ) : null}
            </div>
            <div class="field">
              <label for="operation">Operation</label>
              <select
                id="operation"
                value={selected}
                aria-describedby="operation-summary"
                onChange={(event) => {
                  const value = event.currentTarget.value;
                  const next = choices.find((candidate) => choiceValue(candidate) === value);
                  if (next) choose(next);
                }}
              >
                <optgroup label="Single operations">
                  {list.operations.map((candidate) => (
                    <option key={candidate.name} value={candidate.name}>
                      {humanize(candidate.name)}
                    </option>
                  ))}
                </optgroup>
                {list.presets.length > 0 ? (
                  <optgroup label="Presets: several operations in a row">
                    {list.presets.map((candidate) => (
                      <option key={candidate.name} value={`${PRESET_VALUE}${candidate.name}`}>
                        {humanize(candidate.name)}
                      </option>
                    ))}
                  </optgroup>
                ) : null}
              </select>
              <small id="operation-summary" class="hint">
                {choice?.info.summary}
                {choice?.kind === 'preset'
                  ? ` Steps: ${stepsText(choice.info)}; the last one’s file is the result.`
                  : ''}
                {choice?.info.multiple_sources ? ' Takes several files, in order.' : ''}
              </small>
            </div>
            {choice?.kind === 'operation' && choice.info.output_formats.length > 1 ? (
              <div class="field">
                <label for="output-format">Output format</label>
                <select id="output-format" value={format} onChange={(event) => setFormat(event.currentTarget.value)}>
                  {choice.info.output_formats.map((candidate) => (
                    <option key={candidate} value={candidate}>
                      {candidate}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            {choice ? (
              <fieldset class="params">
                <legend>Parameters</legend>
                <SchemaFields
                  idPrefix={`param-${choice.kind}-${choice.info.name}`}
                  schema={choice.info.params_schema}
                  values={values}
                  onChange={(name: string, value: FieldValue) =>
                    setValues((current) => ({ ...current, [name]: value }))
                  }
                />
              </fieldset>
            ) : null}
            <ErrorMessage error={error} />
            <button type="submit" disabled={submitting || source.trim() === '' || tooMany}>
              {submitting ? 'Submitting…' : 'Submit job'}
            </button>
          </form>
        ) : null}
      </section>
    </>
  );
}
