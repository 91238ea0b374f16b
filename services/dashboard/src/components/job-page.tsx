import { useEffect, useState } from 'preact/hooks';
import { api, downloadFile, fetchText } from '../api';
import { subscribe } from '../events';
import { baseName, formatBytes, formatDuration, formatTime, humanize, TERMINAL_STATUSES } from '../format';
import { isMultiStep, operationsLabel, sourcesLabel, sourcesOf, stepBadgeClass, stepStates } from '../job-labels';
import { navigate } from '../router';
import type { JobOutput, JobView } from '../types';
import { ErrorMessage, Link, PageHeading, ProgressBar, StatusBadge } from './common';
import { Player } from './player';

const POLL_MS = 2000;
const CANCELLABLE = new Set(['queued', 'processing', 'retrying']);
const RETRYABLE = new Set(['failed', 'cancelled']);

function LogViewer(props: { output: JobOutput; version: string }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (!open) return;
    fetchText(props.output.url).then(setText).catch(setError);
  }, [open, props.output.url, props.version]);
  return (
    <details class="card" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>FFmpeg log</summary>
      <ErrorMessage error={error} />
      {text === undefined && !error ? <p aria-busy="true">Loading the log…</p> : null}
      {text !== undefined ? (
        <pre class="log" tabIndex={0} aria-label="FFmpeg log">
          {text}
        </pre>
      ) : null}
    </details>
  );
}

/**
 * One file. In a multi-step job only the last step's primary output is the job's result (an earlier
 * step's flag only marks, until the job ends, what the next step reads).
 */
function OutputItem(props: { output: JobOutput; primaryNote: string; onError: (error: unknown) => void }) {
  const { output } = props;
  const directory = output.path.endsWith('/');
  return (
    <li>
      <span class="output-kind">{output.kind}</span> <span class="output-path">{output.path}</span>{' '}
      <span class="muted small">
        {formatBytes(output.size_bytes)}
        {directory && output.file_count !== undefined ? `, ${output.file_count} files` : ''}
        {output.primary ? props.primaryNote : ''}
      </span>
      {directory ? null : (
        <a
          class="button small"
          href={output.url}
          download={baseName(output.path)}
          onClick={(event) => {
            // The file needs the Authorization header, which a plain link cannot send.
            event.preventDefault();
            props.onError(undefined);
            downloadFile(output.url, baseName(output.path)).catch(props.onError);
          }}
        >
          Download<span class="visually-hidden"> {output.path}</span>
        </a>
      )}
    </li>
  );
}

/** A step's heading text: `Step 2: Grayscale`. */
function stepTitle(index: number, methodName: string): string {
  return `Step ${index + 1}: ${humanize(methodName)}`;
}

/** The files a job wrote; a multi-step job's under a heading per step, in the chain's order. */
function Outputs(props: { job: JobView }) {
  const [error, setError] = useState<unknown>();
  const files = props.job.outputs.filter((output) => output.kind !== 'log');
  if (files.length === 0) return null;
  const steps = props.job.steps ?? [];
  const multiStep = isMultiStep(props.job);
  const unassigned = files.filter((output) => output.step === undefined || output.step >= steps.length);
  return (
    <section class="card" aria-labelledby="outputs-heading">
      <h2 id="outputs-heading">Outputs</h2>
      {multiStep ? (
        <>
          {steps.map((step, index) => {
            const own = files.filter((output) => output.step === index);
            if (own.length === 0) return null;
            const headingId = `outputs-step-${index + 1}-heading`;
            return (
              <div class="output-group" key={index}>
                <h3 id={headingId}>{stepTitle(index, step.method_name)}</h3>
                <ul class="outputs" aria-labelledby={headingId}>
                  {own.map((output) => (
                    <OutputItem
                      key={output.path}
                      output={output}
                      primaryNote={index === steps.length - 1 ? ', primary: the job’s result' : ''}
                      onError={setError}
                    />
                  ))}
                </ul>
              </div>
            );
          })}
          {unassigned.length > 0 ? (
            <div class="output-group">
              <h3 id="outputs-other-heading">Other outputs</h3>
              <ul class="outputs" aria-labelledby="outputs-other-heading">
                {unassigned.map((output) => (
                  <OutputItem key={output.path} output={output} primaryNote=", primary" onError={setError} />
                ))}
              </ul>
            </div>
          ) : null}
        </>
      ) : (
        <ul class="outputs">
          {files.map((output) => (
            <OutputItem key={output.path} output={output} primaryNote=", primary" onError={setError} />
          ))}
        </ul>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}

/** A multi-step job's chain as an ordered list: each step's number, operation and state, in words. */
function Steps(props: { job: JobView }) {
  const steps = props.job.steps ?? [];
  const states = stepStates(props.job);
  return (
    <section class="card" aria-labelledby="steps-heading">
      <h2 id="steps-heading">Steps</h2>
      <ol class="steps">
        {steps.map((step, index) => {
          const state = states[index];
          const params = Object.keys(step.params).length > 0 ? JSON.stringify(step.params) : '';
          return (
            <li
              key={index}
              class={`step step-${state.replace(' ', '-')}`}
              aria-current={state === 'running' ? 'step' : undefined}
            >
              <span class="step-name">{stepTitle(index, step.method_name)}</span>{' '}
              <span class={`badge ${stepBadgeClass(state)}`}>{state}</span>{' '}
              <span class="muted small">
                to {step.output_format}
                {params ? (
                  <>
                    , <code>{params}</code>
                  </>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** One job: live progress (SSE, polling as a fallback), details, history, outputs, log, actions and the player. */
export function JobPage(props: { jobId: string }) {
  const [job, setJob] = useState<JobView>();
  const [error, setError] = useState<unknown>();
  const [actionError, setActionError] = useState<unknown>();
  const [live, setLive] = useState(false);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [notice, setNotice] = useState('');

  const terminal = job !== undefined && TERMINAL_STATUSES.has(job.status);

  useEffect(() => {
    setJob(undefined);
    api<JobView>(`/status/${props.jobId}`).then(setJob).catch(setError);
  }, [props.jobId]);

  const loaded = job !== undefined;
  useEffect(() => {
    // Only for a job that exists and is the viewer's: a 404 would only be retried.
    if (!loaded) return undefined;
    return subscribe(`/jobs/${props.jobId}/events`, {
      connected: setLive,
      snapshot: (jobs) => jobs[0] && setJob(jobs[0]),
      update: setJob,
      end: () => setLive(false),
      // Deleted elsewhere (another tab, the API): nothing is left to show.
      deleted: () => {
        setLive(false);
        setJob(undefined);
        setError(new Error('This job was deleted.'));
      },
    });
    // A retried job runs again: a new stream follows it.
  }, [props.jobId, job?.attempts, loaded]);

  // Without the stream, poll until the job ends.
  useEffect(() => {
    if (live || terminal || job === undefined) return;
    const timer = setInterval(() => {
      api<JobView>(`/status/${props.jobId}`).then(setJob).catch(setError);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [live, terminal, props.jobId, job === undefined]);

  async function act(action: 'cancel' | 'retry' | 'delete'): Promise<void> {
    setBusy(true);
    setActionError(undefined);
    try {
      if (action === 'delete') {
        await api(`/jobs/${props.jobId}`, { method: 'DELETE' });
        navigate('/');
        return;
      }
      await api(`/jobs/${props.jobId}/${action}`, { method: 'POST' });
      setNotice(action === 'cancel' ? 'Cancellation requested.' : 'The job was queued again.');
      setJob(await api<JobView>(`/status/${props.jobId}`));
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (error && !job) {
    return (
      <>
        <PageHeading>Job</PageHeading>
        <ErrorMessage error={error} />
        <p>
          <Link to="/">Back to the jobs</Link>
        </p>
      </>
    );
  }
  if (!job) return <p aria-busy="true">Loading the job…</p>;

  const log = job.outputs.find((output) => output.kind === 'log');
  const multiStep = isMultiStep(job);
  const steps = job.steps ?? [];
  const running = multiStep ? stepStates(job).indexOf('running') : -1;
  const sources = sourcesOf(job);
  const detail =
    job.status === 'processing'
      ? [
          running >= 0 ? `Step ${running + 1} of ${steps.length} (${humanize(steps[running].method_name)})` : '',
          job.speed !== undefined ? `${job.speed.toFixed(2)}× real time` : '',
          job.eta_seconds !== undefined ? `${formatDuration(job.eta_seconds)} left` : '',
        ]
          .filter(Boolean)
          .join(', ')
      : '';

  return (
    <>
      <p class="breadcrumbs">
        <Link to="/">Jobs</Link> / {job.job_id}
      </p>
      <PageHeading>
        {operationsLabel(job)} · {sourcesLabel(job)}
      </PageHeading>
      <section class="card" aria-labelledby="progress-heading">
        <div class="job-head">
          <h2 id="progress-heading">Progress</h2>
          <StatusBadge status={job.status} />
          <span class={`live ${live ? 'live-on' : ''}`}>{live ? 'Live' : terminal ? '' : 'Refreshing'}</span>
        </div>
        <ProgressBar value={job.progress} label="Job progress" status={job.status} detail={detail} />
        <p class="muted" aria-live="polite">
          {detail}
          {job.cancel_requested ? ' Stopping…' : ''}
          {job.status === 'retrying' && job.retry_at ? ` Retrying at ${formatTime(job.retry_at)}.` : ''}
        </p>
        {job.error ? (
          <div class="error" role="alert">
            <strong>Failed:</strong> {job.error.message} <code class="error-code">{job.error.code}</code>
          </div>
        ) : null}
        {(job.warnings ?? []).map((warning) => (
          <p class="warning" key={warning.code}>
            {warning.message} <code>{warning.code}</code>
          </p>
        ))}
        <div class="actions">
          {CANCELLABLE.has(job.status) ? (
            <button type="button" class="danger" disabled={busy} onClick={() => void act('cancel')}>
              Cancel job
            </button>
          ) : null}
          {RETRYABLE.has(job.status) ? (
            <button type="button" disabled={busy} onClick={() => void act('retry')}>
              Retry job
            </button>
          ) : null}
          {terminal && !confirmDelete ? (
            <button type="button" class="secondary" disabled={busy} onClick={() => setConfirmDelete(true)}>
              Delete job
            </button>
          ) : null}
          {terminal && confirmDelete ? (
            <span class="confirm" role="group" aria-label="Confirm deletion">
              <span>Delete this job and its outputs?</span>
              <button type="button" class="danger" disabled={busy} onClick={() => void act('delete')}>
                Yes, delete
              </button>
              <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </span>
          ) : null}
        </div>
        <p role="status" class="muted">
          {notice}
        </p>
        <ErrorMessage error={actionError} />
      </section>
      {multiStep ? <Steps job={job} /> : null}
      {job.status === 'completed' ? <Player job={job} /> : null}
      {/* A multi-step job's finished steps keep their outputs while later ones run, or after one fails. */}
      {job.status === 'completed' || multiStep ? <Outputs job={job} /> : null}
      {log ? <LogViewer output={log} version={`${job.status}-${job.attempts}`} /> : null}
      <section class="card" aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <dl class="details">
          <dt>Job id</dt>
          <dd>
            <code>{job.job_id}</code>
          </dd>
          <dt>{multiStep ? 'Operations' : 'Operation'}</dt>
          <dd>{multiStep ? steps.map((step) => step.method_name).join(' → ') : job.method_name}</dd>
          <dt>Output format</dt>
          <dd>{multiStep ? (steps.at(-1)?.output_format ?? job.output_format) : job.output_format}</dd>
          {multiStep ? null : (
            <>
              <dt>Parameters</dt>
              <dd>
                <code>{JSON.stringify(job.params)}</code>
              </dd>
            </>
          )}
          <dt>{sources.length > 1 ? `Sources (${sources.length})` : 'Source'}</dt>
          <dd class="break">
            {sources.length > 1 ? (
              <ol class="sources" aria-label={`${sources.length} sources, in order`}>
                {sources.map((uri, index) => (
                  <li key={index}>
                    <span class="source-name">{baseName(uri)}</span> <span class="muted small">{uri}</span>
                  </li>
                ))}
              </ol>
            ) : (
              sources[0]
            )}
          </dd>
          <dt>Submitted</dt>
          <dd>{formatTime(job.created_at)}</dd>
          <dt>Started</dt>
          <dd>{formatTime(job.started_at) || '—'}</dd>
          <dt>Finished</dt>
          <dd>{formatTime(job.completed_at) || '—'}</dd>
          <dt>Attempts</dt>
          <dd>{job.attempts}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        {/* Focusable, so a keyboard user can scroll the table sideways on a narrow screen (WCAG 2.1.1). */}
        <div class="table-scroll" tabIndex={0} role="region" aria-label="History table">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Status</th>
                <th scope="col">Attempt</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {job.history.map((entry, index) => (
                <tr key={index}>
                  <td>{formatTime(entry.at)}</td>
                  <td>{entry.status}</td>
                  <td>{entry.attempt ?? ''}</td>
                  <td>{entry.note ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
