import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { subscribe } from '../events';
import { formatTime, humanize } from '../format';
import { operationsLabel, sourcesLabel } from '../job-labels';
import { navigate } from '../router';
import type { JobPage, JobView, OperationList } from '../types';
import { ErrorMessage, Link, PageHeading, ProgressBar, StatusBadge } from './common';

const STATUSES = ['queued', 'processing', 'retrying', 'completed', 'failed', 'cancelled'];
const PAGE_SIZE = 20;
/** Without the event stream (an API without it, or while it reconnects), the page polls. */
const POLL_MS = 5000;

/** The viewer's jobs, newest first: filters and cursor paging in the URL, live rows over SSE. */
export function JobsPage(props: { query: URLSearchParams }) {
  const status = props.query.get('status') ?? '';
  const method = props.query.get('method_name') ?? '';
  const cursor = props.query.get('cursor') ?? '';
  const [page, setPage] = useState<JobPage>();
  const [error, setError] = useState<unknown>();
  const [operations, setOperations] = useState<string[]>([]);
  const [live, setLive] = useState(false);
  const [history, setHistory] = useState<string[]>([]);

  useEffect(() => {
    api<OperationList>('/operations')
      .then((list) => setOperations(list.operations.map((operation) => operation.name)))
      .catch(() => setOperations([]));
  }, []);

  const listQuery = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (status) listQuery.set('status', status);
  if (method) listQuery.set('method_name', method);
  if (cursor) listQuery.set('cursor', cursor);
  const listPath = `/process?${listQuery.toString()}`;

  useEffect(() => {
    let stopped = false;
    const load = (): void => {
      api<JobPage>(listPath)
        .then((next) => {
          if (!stopped) {
            setPage(next);
            setError(undefined);
          }
        })
        .catch((caught: unknown) => !stopped && setError(caught));
    };
    load();
    const timer = live ? undefined : setInterval(load, POLL_MS);
    return () => {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [listPath, live]);

  useEffect(() => {
    const matches = (job: JobView): boolean =>
      (!status || job.status === status) && (!method || job.method_name === method);
    return subscribe('/events', {
      connected: setLive,
      update: (job) =>
        setPage((current) => {
          if (!current) return current;
          const index = current.jobs.findIndex((candidate) => candidate.job_id === job.job_id);
          if (index >= 0) {
            const jobs = [...current.jobs];
            jobs[index] = job;
            return { ...current, jobs };
          }
          // A job new to this list: on the first page, when it fits the filters, it goes on top.
          if (!cursor && matches(job) && job.status === 'queued') {
            return { ...current, jobs: [job, ...current.jobs].slice(0, PAGE_SIZE), count: current.count + 1 };
          }
          return current;
        }),
      // Deleted here, in another tab, or by another client of the same key: the row goes.
      deleted: ({ job_id: jobId }) =>
        setPage((current) => {
          if (!current || !current.jobs.some((job) => job.job_id === jobId)) return current;
          return {
            ...current,
            jobs: current.jobs.filter((job) => job.job_id !== jobId),
            count: Math.max(0, current.count - 1),
          };
        }),
    });
  }, [status, method, cursor]);

  function setFilter(name: string, value: string): void {
    const next = new URLSearchParams();
    const merged = { status, method_name: method, [name]: value };
    for (const [key, item] of Object.entries(merged)) if (item) next.set(key, item);
    setHistory([]);
    navigate(next.size > 0 ? `/?${next.toString()}` : '/');
  }

  function goTo(nextCursor: string | undefined, back: boolean): void {
    const next = new URLSearchParams();
    if (status) next.set('status', status);
    if (method) next.set('method_name', method);
    if (nextCursor) next.set('cursor', nextCursor);
    if (back) setHistory((stack) => stack.slice(0, -1));
    else setHistory((stack) => [...stack, cursor]);
    navigate(next.size > 0 ? `/?${next.toString()}` : '/');
  }

  return (
    <>
      <PageHeading>Jobs</PageHeading>
      <div class="toolbar">
        <div class="field inline">
          <label for="filter-status">Status</label>
          <select
            id="filter-status"
            value={status}
            onChange={(event) => setFilter('status', event.currentTarget.value)}
          >
            <option value="">All</option>
            {STATUSES.map((item) => (
              <option key={item} value={item}>
                {item}
              </option>
            ))}
          </select>
        </div>
        <div class="field inline">
          <label for="filter-operation">Operation</label>
          <select
            id="filter-operation"
            value={method}
            onChange={(event) => setFilter('method_name', event.currentTarget.value)}
          >
            <option value="">All</option>
            {operations.map((item) => (
              <option key={item} value={item}>
                {humanize(item)}
              </option>
            ))}
          </select>
        </div>
        <span class={`live ${live ? 'live-on' : ''}`} role="status">
          {live ? 'Live' : 'Refreshing every few seconds'}
        </span>
        <Link to="/new" class="button">
          New job
        </Link>
      </div>
      <ErrorMessage error={error} />
      {page === undefined && error === undefined ? <p aria-busy="true">Loading jobs…</p> : null}
      {page ? (
        <>
          <p class="muted" aria-live="polite">
            {page.count} {page.count === 1 ? 'job' : 'jobs'}
            {status || method ? ' matching the filters' : ''}
          </p>
          {page.jobs.length === 0 ? (
            <p>
              No jobs yet. <Link to="/new">Upload a file and submit one.</Link>
            </p>
          ) : (
            <ul class="job-list" aria-label="Jobs">
              {page.jobs.map((job) => (
                <li key={job.job_id} class="job-row">
                  <div class="job-row-main">
                    <Link to={`/jobs/${job.job_id}`}>
                      {operationsLabel(job)} · {sourcesLabel(job)}
                    </Link>
                    <StatusBadge status={job.status} />
                  </div>
                  <ProgressBar
                    value={job.progress}
                    label={`Progress of ${operationsLabel(job)} ${sourcesLabel(job)}`}
                    status={job.status}
                  />
                  <p class="muted small">
                    Submitted {formatTime(job.created_at)}
                    {job.error ? ` — ${job.error.code}` : ''}
                  </p>
                </li>
              ))}
            </ul>
          )}
          <nav class="pager" aria-label="Pages">
            <button type="button" class="secondary" disabled={!cursor} onClick={() => goTo(history.at(-1), true)}>
              Previous page
            </button>
            <button
              type="button"
              class="secondary"
              disabled={!page.next_cursor}
              onClick={() => goTo(page.next_cursor ?? undefined, false)}
            >
              Next page
            </button>
          </nav>
        </>
      ) : null}
    </>
  );
}
