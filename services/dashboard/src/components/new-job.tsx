import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { formatBytes, formatDuration, humanize } from '../format';
import { navigate } from '../router';
import type { OperationInfo } from '../types';
import { uploadFile } from '../upload';
import type { UploadProgress } from '../upload';
import { ErrorMessage, PageHeading, ProgressBar } from './common';
import { initialValues, paramsFrom, SchemaFields } from './schema-form';
import type { FieldValue, FormValues } from './schema-form';

/** Drop zone and file picker; the file goes up resumably (tus) and its source fills the form. */
function Uploader(props: { onUploaded: (source: string, name: string) => void }) {
  const [dragging, setDragging] = useState(false);
  const [file, setFile] = useState<File>();
  const [progress, setProgress] = useState<UploadProgress>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [paused, setPaused] = useState(false);
  const controller = useRef<AbortController | undefined>(undefined);
  const picker = useRef<HTMLInputElement>(null);

  useEffect(() => () => controller.current?.abort(), []);

  async function start(chosen: File): Promise<void> {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setFile(chosen);
    setError(undefined);
    setDone(false);
    setPaused(false);
    setProgress({ sentBytes: 0, totalBytes: chosen.size });
    try {
      const result = await uploadFile(chosen, setProgress, abort.signal);
      setDone(true);
      props.onUploaded(result.source, chosen.name);
    } catch (caught) {
      if (!abort.signal.aborted) setError(caught);
    }
  }

  const percent =
    progress && progress.totalBytes > 0 ? (progress.sentBytes / progress.totalBytes) * 100 : done ? 100 : 0;
  const uploading = progress !== undefined && !done && error === undefined && !paused;
  const eta =
    progress?.bytesPerSecond && progress.bytesPerSecond > 0
      ? (progress.totalBytes - progress.sentBytes) / progress.bytesPerSecond
      : undefined;

  return (
    <section aria-labelledby="upload-heading" class="card">
      <h2 id="upload-heading">1. Upload a file</h2>
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
          const dropped = event.dataTransfer?.files[0];
          if (dropped) void start(dropped);
        }}
      >
        <p>Drag a video or audio file here, or</p>
        <label class="button" for="file-picker">
          Choose a file
        </label>
        <input
          id="file-picker"
          ref={picker}
          class="visually-hidden"
          type="file"
          accept="video/*,audio/*,.mkv,.mov,.mp4,.webm,.avi,.mp3,.wav,.m4a,.flac,.ogg,.opus"
          onChange={(event) => {
            const chosen = event.currentTarget.files?.[0];
            if (chosen) void start(chosen);
          }}
        />
        <p class="muted small">Large files resume where they stopped if the connection drops or the page reloads.</p>
      </div>
      {file && progress ? (
        <div class="upload-status" aria-live="polite">
          <p>
            <strong>{file.name}</strong> ({formatBytes(file.size)}){' '}
            {done ? 'uploaded.' : uploading ? 'uploading…' : paused ? 'paused.' : ''}
            {progress.resumedFrom ? ` Resumed at ${formatBytes(progress.resumedFrom)}.` : ''}
          </p>
          <ProgressBar
            value={percent}
            label="Upload progress"
            status={done ? 'completed' : error ? 'failed' : 'processing'}
          />
          {uploading && progress.bytesPerSecond ? (
            <p class="muted small">
              {formatBytes(progress.bytesPerSecond)}/s{eta !== undefined ? `, about ${formatDuration(eta)} left` : ''}
            </p>
          ) : null}
          {uploading ? (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                controller.current?.abort();
                setPaused(true);
              }}
            >
              Pause upload
            </button>
          ) : null}
          {!uploading && !done ? (
            <button type="button" onClick={() => void start(file)}>
              Resume upload
            </button>
          ) : null}
        </div>
      ) : null}
      <ErrorMessage error={error} />
    </section>
  );
}

export function NewJobPage() {
  const [operations, setOperations] = useState<OperationInfo[]>();
  const [loadError, setLoadError] = useState<unknown>();
  const [source, setSource] = useState('');
  const [uploadedName, setUploadedName] = useState<string>();
  const [method, setMethod] = useState('');
  const [format, setFormat] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    api<OperationInfo[]>('/operations')
      .then((list) => {
        setOperations(list);
        if (list.length > 0) choose(list[0]);
      })
      .catch(setLoadError);
  }, []);

  function choose(operation: OperationInfo): void {
    setMethod(operation.name);
    setFormat(operation.default_output_format ?? operation.output_formats[0] ?? '');
    setValues(initialValues(operation.params_schema));
  }

  const operation = operations?.find((candidate) => candidate.name === method);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    if (!operation) return;
    setError(undefined);
    setSubmitting(true);
    try {
      const params = paramsFrom(operation.params_schema, values);
      const lines = source
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const result = await api<{ job_id: string }>('/process', {
        method: 'POST',
        json: {
          ...(operation.multiple_sources ? { sources: lines } : { source: source.trim() }),
          method_name: operation.name,
          ...(format ? { output_format: format } : {}),
          params,
        },
      });
      navigate(`/jobs/${result.job_id}`);
    } catch (caught) {
      setError(caught);
      setSubmitting(false);
    }
  }

  return (
    <>
      <PageHeading>New job</PageHeading>
      <Uploader
        onUploaded={(uploaded, name) => {
          // An operation of several sources collects each upload on a line of its own.
          setSource((current) =>
            operation?.multiple_sources && current.trim() !== '' ? `${current.trim()}\n${uploaded}` : uploaded,
          );
          setUploadedName(name);
        }}
      />
      <section aria-labelledby="submit-heading" class="card">
        <h2 id="submit-heading">2. Choose what to do</h2>
        <ErrorMessage error={loadError} />
        {operations === undefined && loadError === undefined ? <p aria-busy="true">Loading operations…</p> : null}
        {operations ? (
          <form onSubmit={(event) => void submit(event)} noValidate={false}>
            <div class="field">
              <label for="source">{operation?.multiple_sources ? 'Sources, one per line, in order' : 'Source'}</label>
              {operation?.multiple_sources ? (
                <textarea
                  id="source"
                  required
                  rows={4}
                  value={source}
                  aria-describedby="source-hint"
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
                {uploadedName
                  ? `Uploaded: ${uploadedName}`
                  : 'Upload a file above, or give an S3 URI the API may read.'}
              </small>
            </div>
            <div class="field">
              <label for="operation">Operation</label>
              <select
                id="operation"
                value={method}
                aria-describedby="operation-summary"
                onChange={(event) => {
                  const next = operations.find((candidate) => candidate.name === event.currentTarget.value);
                  if (next) choose(next);
                }}
              >
                {operations.map((candidate) => (
                  <option key={candidate.name} value={candidate.name}>
                    {humanize(candidate.name)}
                  </option>
                ))}
              </select>
              <small id="operation-summary" class="hint">
                {operation?.summary}
              </small>
            </div>
            {operation && operation.output_formats.length > 1 ? (
              <div class="field">
                <label for="output-format">Output format</label>
                <select id="output-format" value={format} onChange={(event) => setFormat(event.currentTarget.value)}>
                  {operation.output_formats.map((candidate) => (
                    <option key={candidate} value={candidate}>
                      {candidate}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            {operation ? (
              <fieldset class="params">
                <legend>Parameters</legend>
                <SchemaFields
                  idPrefix={`param-${operation.name}`}
                  schema={operation.params_schema}
                  values={values}
                  onChange={(name: string, value: FieldValue) =>
                    setValues((current) => ({ ...current, [name]: value }))
                  }
                />
              </fieldset>
            ) : null}
            <ErrorMessage error={error} />
            <button type="submit" disabled={submitting || source.trim() === ''}>
              {submitting ? 'Submitting…' : 'Submit job'}
            </button>
          </form>
        ) : null}
      </section>
    </>
  );
}
