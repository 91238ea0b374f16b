import { JOB_STATUSES } from '@mediaflow/domain';
import type { JobStatus } from '@mediaflow/domain';
import type { DynamoExpression } from './dynamo-expressions';
import { toDynamoPut, toDynamoUpdate } from './dynamo-translate';
import * as t from './job-transitions';
import type { Condition, JobRecord, Transition } from './job-transitions';
import { toMongoCondition, toMongoDocument, toMongoUpdate } from './mongo-translate';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const AT = NOW.toISOString();
const EARLIER = '2025-06-01T11:00:00.000Z';
const LATER = '2025-06-01T13:00:00.000Z';

function record(status: JobStatus, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    job_id: 'job-1',
    status,
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://in/a.mp4',
    progress: 0,
    attempts: 1,
    created_at: EARLIER,
    updated_at: EARLIER,
    outputs: [],
    history: [{ status: 'queued', at: EARLIER }],
    owner: 'key-a',
    ...extra,
  };
}

/** A job of each status as a worker or client would meet it. */
const held = { worker_id: 'w1', lease_expires_at: LATER };
const SAMPLES: Record<JobStatus, JobRecord> = {
  queued: record('queued', { active_owner: 'key-a' }),
  processing: record('processing', { ...held, active_owner: 'key-a' }),
  completed: record('completed', { completed_at: EARLIER }),
  failed: record('failed', { completed_at: EARLIER }),
  cancelled: record('cancelled', { completed_at: EARLIER }),
};

function appliesFrom(transition: Transition, samples: Record<string, JobRecord> = SAMPLES): string[] {
  return Object.entries(samples)
    .filter(([, sample]) => t.applies(transition.condition, sample))
    .map(([name]) => name);
}

/** The fields every transition that finishes a job clears. */
const LIVE_ONLY = ['worker_id', 'lease_expires_at', 'speed', 'eta_seconds', 'active_owner'];

describe('job transitions: from which states each applies', () => {
  const progress = { progress: 5, leaseExpiresAt: new Date(LATER) };
  const completion = { now: NOW, outputs: [], output_path: 'out.mp4' };
  const failure = { now: NOW, error: { code: 'NOT_MEDIA' as const, message: 'x' } };
  it.each<[string, Transition, string[]]>([
    ['updateProgress by its worker', t.updateProgress('w1', progress, NOW), ['processing']],
    ['updateProgress by another worker', t.updateProgress('w2', progress, NOW), []],
    ['complete', t.complete('w1', completion), ['processing']],
    [
      'completeStep by its worker',
      t.completeStep('w1', { now: NOW, completed_steps: [], outputs: [] }),
      ['processing'],
    ],
    ['completeStep by another worker', t.completeStep('w2', { now: NOW, completed_steps: [], outputs: [] }), []],
    ['fail', t.fail('w1', failure), ['processing']],
    ['release', t.release('w1', NOW, 'retry'), ['processing']],
    ['cancelOnRelease (no cancel requested)', t.cancelOnRelease('w1', NOW, 'x'), []],
    ['markCancelled', t.markCancelled('w1', NOW), ['processing']],
    ['cancelQueued', t.cancelQueued(NOW), ['queued']],
    ['requestCancel', t.requestCancel(NOW), ['processing']],
    ['requeue', t.requeue({ owner: 'key-a' }, NOW, 'again'), ['failed', 'cancelled']],
    ['markDeleted', t.markDeleted(NOW), ['queued', 'processing', 'completed', 'failed', 'cancelled']],
    ['markExpired', t.markExpired(NOW), ['completed', 'failed', 'cancelled']],
    ['setNeedsPublish', t.setNeedsPublish({}, true, NOW), ['queued']],
    ['takeForRepublish (seen)', t.takeForRepublish(EARLIER, NOW), ['queued']],
    ['takeForRepublish (changed since)', t.takeForRepublish(AT, NOW), []],
  ])('%s', (_name, transition, expected) => {
    expect(appliesFrom(transition)).toEqual(expected);
  });

  it('a cancel request stops progress, completion and release, not failure; it turns release into a cancel', () => {
    const requested = { requested: record('processing', { ...held, cancel_requested: true }) };
    expect(appliesFrom(t.updateProgress('w1', progress, NOW), requested)).toEqual([]);
    expect(appliesFrom(t.complete('w1', completion), requested)).toEqual([]);
    expect(appliesFrom(t.release('w1', NOW, 'x'), requested)).toEqual([]);
    expect(appliesFrom(t.fail('w1', failure), requested)).toEqual(['requested']);
    expect(appliesFrom(t.cancelOnRelease('w1', NOW, 'x'), requested)).toEqual(['requested']);
    const withdrawn = { withdrawn: record('processing', { ...held, cancel_requested: false }) };
    expect(appliesFrom(t.updateProgress('w1', progress, NOW), withdrawn)).toEqual(['withdrawn']);
  });

  it('claim: queued when its retry is due, processing when its lease expired, and only with the attempts read', () => {
    const request = { jobId: 'job-1', workerId: 'w2', now: NOW, leaseMs: 60_000 };
    const samples = {
      queued: record('queued'),
      'queued, retry due': record('queued', { retry_at: AT }),
      'queued, retry later': record('queued', { retry_at: LATER }),
      'processing, lease expired': record('processing', { worker_id: 'w1', lease_expires_at: EARLIER }),
      'processing, lease live': record('processing', { worker_id: 'w1', lease_expires_at: LATER }),
      'processing, lease at now': record('processing', { worker_id: 'w1', lease_expires_at: AT }),
      completed: SAMPLES.completed,
      failed: SAMPLES.failed,
      cancelled: SAMPLES.cancelled,
    };
    expect(appliesFrom(t.claim(record('queued'), request), samples)).toEqual([
      'queued',
      'queued, retry due',
      'processing, lease expired',
    ]);
    // Claimed by someone else in between: the attempts moved on.
    expect(appliesFrom(t.claim(record('queued', { attempts: 0 }), request), samples)).toEqual([]);
  });

  it('markExpired skips expired and deleted jobs; markDeleted skips deleted ones', () => {
    const samples = {
      expired: record('completed', { expired_at: EARLIER }),
      deleted: record('completed', { deleted_at: EARLIER }),
    };
    expect(appliesFrom(t.markExpired(NOW), samples)).toEqual([]);
    expect(appliesFrom(t.markDeleted(NOW), samples)).toEqual(['expired']);
  });

  it('setNeedsPublish holds only while retry_at is as read', () => {
    const samples = { plain: record('queued'), retrying: record('queued', { retry_at: LATER }) };
    expect(appliesFrom(t.setNeedsPublish({}, true, NOW), samples)).toEqual(['plain']);
    expect(appliesFrom(t.setNeedsPublish({ retry_at: LATER }, true, NOW), samples)).toEqual(['retrying']);
  });

  it('no transition applies to a missing record but create, and create to no existing one', () => {
    const all = [
      t.claim(record('queued'), { jobId: 'job-1', workerId: 'w', now: NOW, leaseMs: 1 }),
      t.complete('w1', completion),
      t.fail('w1', failure),
      t.release('w1', NOW, 'x'),
      t.markCancelled('w1', NOW),
      t.cancelQueued(NOW),
      t.requestCancel(NOW),
      t.requeue({}, NOW, 'x'),
      t.markExpired(NOW),
      t.setNeedsPublish({}, true, NOW),
      t.takeForRepublish(EARLIER, NOW),
    ];
    for (const transition of all) expect(t.apply(transition, null)).toBeNull();
    const create = t.createJob(newJob());
    expect(t.apply(create, null)).not.toBeNull();
    expect(appliesFrom(create)).toEqual([]);
  });
});

function newJob(extra: Partial<Parameters<typeof t.createJob>[0]> = {}): Parameters<typeof t.createJob>[0] {
  return {
    job_id: 'job-1',
    source: 's3://in/a.mp4',
    operation: { method_name: 'compress', output_format: 'mp4', params: {} },
    created_at: EARLIER,
    owner: 'key-a',
    ...extra,
  };
}

describe('job transitions: what each sets and clears', () => {
  it.each<[string, Transition, Partial<JobRecord>, string[], JobStatus | undefined]>([
    [
      'claim',
      t.claim(record('queued'), { jobId: 'job-1', workerId: 'w2', now: NOW, leaseMs: 60_000 }),
      {
        status: 'processing',
        worker_id: 'w2',
        lease_expires_at: '2025-06-01T12:01:00.000Z',
        started_at: AT,
        updated_at: AT,
        progress: 0,
        attempts: 2,
        active_owner: 'key-a',
      },
      ['speed', 'eta_seconds', 'retry_at', 'needs_publish'],
      'processing',
    ],
    [
      'updateProgress without speed or ETA',
      t.updateProgress('w1', { progress: 40, leaseExpiresAt: new Date(LATER) }, NOW),
      { progress: 40, lease_expires_at: LATER, updated_at: AT },
      ['speed', 'eta_seconds'],
      undefined,
    ],
    [
      'complete without warnings',
      t.complete('w1', { now: NOW, outputs: [], output_path: 'out.mp4', recordExpiresAt: new Date(LATER) }),
      {
        status: 'completed',
        progress: 100,
        outputs: [],
        output_path: 'out.mp4',
        completed_at: AT,
        updated_at: AT,
        record_expires_at: new Date(LATER),
      },
      ['speed', 'eta_seconds', 'lease_expires_at', 'error', 'active_owner', 'warnings'],
      'completed',
    ],
    [
      'fail without dead letter',
      t.fail('w1', { now: NOW, error: { code: 'NOT_MEDIA', message: 'x' } }),
      { status: 'failed', error: { code: 'NOT_MEDIA', message: 'x' }, completed_at: AT, updated_at: AT },
      ['speed', 'eta_seconds', 'lease_expires_at', 'cancel_requested', 'active_owner', 'dead_lettered_at'],
      'failed',
    ],
    [
      'fail to the dead letters',
      t.fail('w1', { now: NOW, error: { code: 'NOT_MEDIA', message: 'x' }, deadLetter: true }),
      {
        status: 'failed',
        error: { code: 'NOT_MEDIA', message: 'x' },
        completed_at: AT,
        updated_at: AT,
        dead_lettered_at: AT,
      },
      ['speed', 'eta_seconds', 'lease_expires_at', 'cancel_requested', 'active_owner'],
      'failed',
    ],
    [
      'release for a retry',
      t.release('w1', NOW, 'retry', new Date(LATER)),
      { status: 'queued', progress: 0, updated_at: AT, retry_at: LATER },
      ['worker_id', 'lease_expires_at', 'speed', 'eta_seconds', 'needs_publish'],
      'queued',
    ],
    [
      'release at once',
      t.release('w1', NOW, 'retry'),
      { status: 'queued', progress: 0, updated_at: AT },
      ['worker_id', 'lease_expires_at', 'speed', 'eta_seconds', 'needs_publish', 'retry_at'],
      'queued',
    ],
    [
      'markCancelled',
      t.markCancelled('w1', NOW),
      { status: 'cancelled', completed_at: AT, updated_at: AT, outputs: [] },
      [...LIVE_ONLY, 'cancel_requested', 'retry_at', 'needs_publish', 'completed_steps'],
      'cancelled',
    ],
    [
      'markCancelled with the log',
      t.markCancelled('w1', NOW, 's3://out/j/ffmpeg.log'),
      { status: 'cancelled', completed_at: AT, updated_at: AT, outputs: [], log_path: 's3://out/j/ffmpeg.log' },
      [...LIVE_ONLY, 'cancel_requested', 'retry_at', 'needs_publish', 'completed_steps'],
      'cancelled',
    ],
    ['requestCancel', t.requestCancel(NOW), { cancel_requested: true, updated_at: AT }, [], undefined],
    [
      'requeue',
      t.requeue({ owner: 'key-a' }, NOW, 'again'),
      { status: 'queued', attempts: 0, progress: 0, outputs: [], updated_at: AT, active_owner: 'key-a' },
      [
        'error',
        'output_path',
        'log_path',
        'completed_at',
        'started_at',
        'dead_lettered_at',
        'cancel_requested',
        'retry_at',
        'needs_publish',
        'worker_id',
        'lease_expires_at',
        'speed',
        'eta_seconds',
        'expired_at',
        'completed_steps',
        'record_expires_at',
      ],
      'queued',
    ],
    [
      'requeue of a failed multi-step job with a checkpoint: resumes, outputs kept',
      t.requeue(
        { owner: 'key-a', status: 'failed', completed_steps: [{ index: 0, outputs: [], at: EARLIER }] },
        NOW,
        'again',
      ),
      { status: 'queued', attempts: 0, progress: 0, updated_at: AT, active_owner: 'key-a' },
      [
        'error',
        'output_path',
        'log_path',
        'completed_at',
        'started_at',
        'dead_lettered_at',
        'cancel_requested',
        'retry_at',
        'needs_publish',
        'worker_id',
        'lease_expires_at',
        'speed',
        'eta_seconds',
        'expired_at',
        'record_expires_at',
      ],
      'queued',
    ],
    [
      'markDeleted',
      t.markDeleted(NOW, new Date(LATER)),
      { deleted_at: AT, updated_at: AT, record_expires_at: new Date(LATER) },
      [],
      undefined,
    ],
    ['markExpired', t.markExpired(NOW), { expired_at: AT, updated_at: AT }, [], undefined],
    [
      'setNeedsPublish on a retrying job',
      t.setNeedsPublish({ retry_at: LATER }, true, NOW),
      { needs_publish: true, retry_at: LATER, updated_at: AT },
      [],
      undefined,
    ],
    [
      'setNeedsPublish off',
      t.setNeedsPublish({}, false, NOW),
      { updated_at: AT },
      ['needs_publish', 'retry_at'],
      undefined,
    ],
    [
      'takeForRepublish',
      t.takeForRepublish(EARLIER, NOW),
      { updated_at: AT },
      ['needs_publish', 'retry_at'],
      undefined,
    ],
  ])('%s', (_name, transition, set, clear, historyStatus) => {
    expect(transition.set).toEqual(set);
    expect([...transition.clear].sort()).toEqual([...clear].sort());
    expect(transition.history?.status).toBe(historyStatus);
    // set and clear never overlap, and set never holds undefined.
    expect(transition.clear.filter((field) => field in transition.set)).toEqual([]);
    expect(Object.values(transition.set)).not.toContain(undefined);
  });

  it('keeps active_owner exactly while a job is queued or processing', () => {
    const request = { jobId: 'job-1', workerId: 'w1', now: NOW, leaseMs: 60_000 };
    let job = t.apply(t.createJob(newJob()), null);
    expect(job).toMatchObject({ status: 'queued', active_owner: 'key-a' });
    job = t.apply(t.claim(t.jobOf(job as JobRecord), request), job);
    expect(job).toMatchObject({ status: 'processing', active_owner: 'key-a' });
    job = t.apply(t.fail('w1', { now: NOW, error: { code: 'NOT_MEDIA', message: 'x' } }), job);
    expect(job?.status).toBe('failed');
    expect(job).not.toHaveProperty('active_owner');
    job = t.apply(t.requeue(job as JobRecord, NOW, 'again'), job);
    expect(job).toMatchObject({ status: 'queued', active_owner: 'key-a', attempts: 0 });
    job = t.apply(t.cancelQueued(NOW), job);
    expect(job).not.toHaveProperty('active_owner');
    // A reused result is stored completed, never active; a job without an owner is never counted.
    expect(t.createJob(newJob({ reuse: { from: 'job-0', outputs: [] } })).set).not.toHaveProperty('active_owner');
    expect(t.createJob(newJob({ owner: undefined })).set).not.toHaveProperty('active_owner');
  });

  it('create keeps a job’s several sources in order beside the first as its source', () => {
    const sources = ['s3://in/chunk-0.webm', 's3://in/chunk-1.webm', 's3://in/chunk-2.webm'];
    const created = t.apply(t.createJob(newJob({ source: sources[0], sources })), null) as JobRecord;
    expect(t.jobOf(created)).toMatchObject({ source: sources[0], sources });
    expect(t.jobOf(t.apply(t.createJob(newJob()), null) as JobRecord)).not.toHaveProperty('sources');
  });

  it('create stores what newJobRecord builds, and apply appends history', () => {
    const created = t.apply(t.createJob(newJob({ idempotency_key: 'k' })), null) as JobRecord;
    expect(t.jobOf(created)).toEqual({
      job_id: 'job-1',
      status: 'queued',
      method_name: 'compress',
      output_format: 'mp4',
      params: {},
      source: 's3://in/a.mp4',
      progress: 0,
      attempts: 0,
      created_at: EARLIER,
      updated_at: EARLIER,
      outputs: [],
      history: [{ status: 'queued', at: EARLIER }],
      owner: 'key-a',
      idempotency_key: 'k',
    });
    const done = t.apply(t.markCancelled('w1', NOW), SAMPLES.processing);
    expect(done?.history.at(-1)).toEqual({
      status: 'cancelled',
      at: AT,
      worker_id: 'w1',
      note: 'cancel acknowledged by the worker',
    });
  });
});

describe('job transitions: multi-step jobs', () => {
  const output = { kind: 'video', path: 'step-1/a.mp4', content_type: 'video/mp4', primary: true, step: 0 };
  const checkpoint = { index: 0, outputs: [output], at: AT };

  it('a new job keeps its steps', () => {
    const steps = [
      { method_name: 'concat', output_format: 'mp4', params: {} },
      { method_name: 'transcribe', output_format: 'srt', params: {} },
    ];
    expect(t.apply(t.createJob(newJob({ steps })), null)?.steps).toEqual(steps);
    expect(t.apply(t.createJob(newJob()), null)).not.toHaveProperty('steps');
  });

  it('completeStep stores the checkpoint and the outputs so far, also while a cancel is requested', () => {
    const transition = t.completeStep('w1', { now: NOW, completed_steps: [checkpoint], outputs: [output] });
    const requested = record('processing', { ...held, cancel_requested: true });
    const stored = t.apply(transition, requested);
    expect(stored?.completed_steps).toEqual([checkpoint]);
    expect(stored?.outputs).toEqual([output]);
    expect(stored?.status).toBe('processing');
    expect(stored?.updated_at).toBe(AT);
  });

  it('a retry (release, claim) keeps the checkpoints; a requeue (replay) drops them with the outputs', () => {
    const withCheckpoint = record('processing', { ...held, completed_steps: [checkpoint], outputs: [output] });
    const released = t.apply(t.release('w1', NOW, 'retry'), withCheckpoint);
    expect(released?.completed_steps).toEqual([checkpoint]);
    const failed = record('failed', { completed_steps: [checkpoint], outputs: [output] });
    const requeued = t.apply(t.requeue({}, NOW, 'again'), failed);
    expect(requeued).not.toHaveProperty('completed_steps');
    expect(requeued?.outputs).toEqual([]);
  });
});

describe('translations', () => {
  it.each<[string, Condition, Record<string, unknown>]>([
    ['status', { status: 'queued' }, { status: 'queued' }],
    ['statusIn', { statusIn: ['failed', 'cancelled'] }, { status: { $in: ['failed', 'cancelled'] } }],
    ['absent', { absent: 'record_expires_at' }, { purge_at: { $exists: false } }],
    [
      'and with distinct keys merges',
      { and: [{ status: 'processing' }, { equals: ['worker_id', 'w1'] }] },
      { status: 'processing', worker_id: 'w1' },
    ],
    [
      'and with colliding keys uses $and',
      { and: [{ before: ['retry_at', AT] }, { present: 'retry_at' }] },
      { $and: [{ retry_at: { $lt: AT } }, { retry_at: { $exists: true } }] },
    ],
    [
      'or',
      { or: [{ absent: 'retry_at' }, { notAfter: ['retry_at', AT] }] },
      { $or: [{ retry_at: { $exists: false } }, { retry_at: { $lte: AT } }] },
    ],
  ])('MongoDB filter: %s', (_name, condition, filter) => {
    expect(toMongoCondition(condition)).toEqual(filter);
  });

  it('MongoDB update: $set, $unset and $push, the record expiry as purge_at', () => {
    expect(toMongoUpdate(t.requeue({ owner: 'key-a' }, NOW, 'again'))).toMatchObject({
      $set: { status: 'queued', active_owner: 'key-a' },
      $unset: { purge_at: '', error: '' },
      $push: { history: { status: 'queued', at: AT, note: 'again' } },
    });
    expect(toMongoUpdate(t.takeForRepublish(EARLIER, NOW))).not.toHaveProperty('$push');
    expect(toMongoUpdate(t.requestCancel(NOW))).not.toHaveProperty('$unset');
    const document = toMongoDocument('job-1', t.createJob(newJob({ recordExpiresAt: new Date(LATER) })));
    expect(document).toMatchObject({ _id: 'job-1', purge_at: new Date(LATER), active_owner: 'key-a' });
    expect(document).not.toHaveProperty('record_expires_at');
  });

  /** Substitutes placeholders back, so tests read the expression DynamoDB will evaluate. */
  function resolve(
    expression: Pick<DynamoExpression, 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
    text: string | undefined,
  ): string {
    return (text ?? '')
      .replace(/#n\d+/g, (placeholder) => expression.ExpressionAttributeNames[placeholder] ?? '?')
      .replace(/:v\d+/g, (placeholder) => JSON.stringify(expression.ExpressionAttributeValues?.[placeholder]));
  }

  it.each<[string, Transition, string[], string[]]>([
    [
      'claim keeps the lease as by_status sort key',
      t.claim(record('queued'), { jobId: 'job-1', workerId: 'w', now: NOW, leaseMs: 60_000 }),
      ['lease_sort = "2025-06-01T12:01:00.000Z"'],
      [],
    ],
    [
      'complete files the job under by_finished and out of by_status',
      t.complete('w1', { now: NOW, outputs: [], output_path: 'o', recordExpiresAt: new Date(LATER) }),
      ['finished_pk = "DONE"', `finished_sort = "${AT}#job-1"`, 'expires_epoch = 1748782800'],
      ['lease_sort', 'active_owner'],
    ],
    [
      'fail to the dead letters',
      t.fail('w1', { now: NOW, error: { code: 'NOT_MEDIA', message: 'x' }, deadLetter: true }),
      ['dlq_pk = "DLQ"', `dead_letter_sort = "${AT}#job-1"`],
      ['lease_sort'],
    ],
    ['release for a retry', t.release('w1', NOW, 'r', new Date(LATER)), [`lease_sort = "1#${LATER}"`], ['finished_pk']],
    [
      'setNeedsPublish puts the job in the first tier',
      t.setNeedsPublish({ retry_at: LATER }, true, NOW),
      [`lease_sort = "0#${AT}"`],
      [],
    ],
    [
      'requeue leaves the dead letters, by_finished and time-to-live',
      t.requeue({ owner: 'key-a' }, NOW, 'x'),
      [`lease_sort = "2#${AT}"`, 'active_owner = "key-a"'],
      ['dlq_pk', 'dead_letter_sort', 'finished_pk', 'finished_sort', 'expires_epoch'],
    ],
    [
      'markDeleted leaves every listing',
      t.markDeleted(NOW),
      ['deleted_at'],
      ['created_sort', 'owner_sort', 'method_sort', 'owner_method_sort', 'finished_pk'],
    ],
  ])('DynamoDB update: %s', (_name, transition, sets, removes) => {
    const expression = toDynamoUpdate('job-1', transition);
    const text = resolve(expression, expression.UpdateExpression);
    for (const part of sets) expect(text).toContain(part);
    const removed = text.split(' REMOVE ')[1] ?? '';
    for (const attribute of removes) expect(removed.split(', ')).toContain(attribute);
    expect(resolve(expression, expression.ConditionExpression)).toMatch(/^\(attribute_exists\(job_id\) AND /);
  });

  it('DynamoDB put: a queued job gets its queue position and active owner, a reused one by_finished', () => {
    const queued = toDynamoPut('job-1', t.createJob(newJob())).Item;
    expect(queued).toMatchObject({ lease_sort: `2#${EARLIER}`, active_owner: 'key-a', list_pk: 'JOB' });
    const reused = toDynamoPut(
      'job-2',
      t.createJob(newJob({ job_id: 'job-2', reuse: { from: 'job-0', outputs: [] } })),
    );
    expect(reused.Item).toMatchObject({ status: 'completed', finished_sort: `${EARLIER}#job-2` });
    expect(reused.Item).not.toHaveProperty('lease_sort');
    expect(reused.Item).not.toHaveProperty('active_owner');
    expect(resolve(reused, reused.ConditionExpression)).toBe('attribute_not_exists(job_id)');
  });

  it('every status is covered by the samples', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...JOB_STATUSES].sort());
  });
});
