import { randomBytes } from 'node:crypto';
import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import { AppError, issuesToDetails } from '@mediaflow/domain';
import type { WebhookDelivery, WebhookDeliveries, WebhookEndpoint, WebhookEndpoints } from '@mediaflow/repository';
import { generateWebhookSecret } from '@mediaflow/runtime';
import { principalOf } from '../auth/require-api-key';
import type { JobService } from '../job-service';
import { createWebhookBodySchema, webhookParamsSchema } from '../openapi/webhook-routes';

export interface WebhookRouteDeps {
  jobs: JobService;
  store: WebhookEndpoints & Pick<WebhookDeliveries, 'listDeliveries'>;
  /** The SSRF check (checkWebhookUrl with the configured policy). @throws AppError WEBHOOK_URL_REFUSED */
  checkUrl: (url: string) => Promise<string>;
  maxEndpointsPerKey: number;
}

/** More deliveries than any job makes without progress events; a job's listing stops here. */
const MAX_LISTED_DELIVERIES = 500;

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json'))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'POST /webhooks takes application/json');
  next();
};

/**
 * The webhook API: each key manages its own endpoints (POST, GET, DELETE
 * /webhooks), reads the secret of its jobs' own `webhook_url` deliveries
 * (GET /webhooks/secret), and lists a job's deliveries with every attempt
 * (GET /jobs/{id}/webhooks). Endpoints are scoped to the key: another key's
 * endpoint is as unknown as one never made.
 */
export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const router = Router();

  router.post('/webhooks', requireJson, express.json({ limit: '16kb', type: () => true }), async (req, res) => {
    const parsed = createWebhookBodySchema.safeParse(req.body);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid webhook endpoint', {
        details: issuesToDetails(parsed.error.issues),
      });
    }
    const { keyId: owner } = principalOf(res);
    const endpoint: WebhookEndpoint = {
      endpoint_id: `ep_${randomBytes(16).toString('hex')}`,
      owner,
      url: await deps.checkUrl(parsed.data.url),
      events: [...new Set(parsed.data.events)],
      secret: generateWebhookSecret(),
      created_at: new Date().toISOString(),
      ...(parsed.data.description === undefined ? {} : { description: parsed.data.description }),
    };
    await deps.store.createEndpoint(endpoint, deps.maxEndpointsPerKey);
    res
      .status(201)
      .location(`/webhooks/${endpoint.endpoint_id}`)
      .json({ ...endpointView(endpoint), secret: endpoint.secret });
  });

  router.get('/webhooks', async (_req, res) => {
    const endpoints = await deps.store.listEndpoints(principalOf(res).keyId);
    res.set('Cache-Control', 'no-store').json({ webhooks: endpoints.map(endpointView) });
  });

  router.get('/webhooks/secret', async (_req, res) => {
    const secret = await deps.store.ownerSecret(principalOf(res).keyId, generateWebhookSecret());
    res.set('Cache-Control', 'no-store').json({ secret });
  });

  router.delete('/webhooks/:webhook_id', async (req, res) => {
    const params = webhookParamsSchema.safeParse(req.params);
    const removed = params.success && (await deps.store.deleteEndpoint(principalOf(res).keyId, params.data.webhook_id));
    if (!removed) throw new AppError('WEBHOOK_NOT_FOUND', `no webhook endpoint ${req.params.webhook_id} for this key`);
    res.status(204).end();
  });

  router.get('/jobs/:job_id/webhooks', async (req, res) => {
    // The job's own visibility rules: another key's job is a 404.
    const job = await deps.jobs.get(req.params.job_id, principalOf(res));
    const deliveries = await deps.store.listDeliveries(job.job_id, MAX_LISTED_DELIVERIES);
    res.set('Cache-Control', 'no-store').json({ deliveries: deliveries.map(deliveryView) });
  });

  return router;
}

function endpointView(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    webhook_id: endpoint.endpoint_id,
    url: endpoint.url,
    events: endpoint.events,
    ...(endpoint.description === undefined ? {} : { description: endpoint.description }),
    created_at: endpoint.created_at,
  };
}

/** A delivery as a client sees it: never its secret or payload. */
function deliveryView(delivery: WebhookDelivery): Record<string, unknown> {
  return {
    webhook_id: delivery.delivery_id,
    event_type: delivery.event_type,
    url: delivery.url,
    ...(delivery.endpoint_id === undefined ? {} : { endpoint_id: delivery.endpoint_id }),
    status: delivery.status,
    attempts: delivery.attempts,
    ...(delivery.next_attempt_at === undefined ? {} : { next_attempt_at: delivery.next_attempt_at }),
    ...(delivery.delivered_at === undefined ? {} : { delivered_at: delivery.delivered_at }),
    created_at: delivery.created_at,
  };
}
