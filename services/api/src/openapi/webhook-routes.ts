import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '@mediaflow/repository';
import type { RouteSpec } from './route-spec';
import { jobIdParamsSchema, requestComponents, responseComponents, webhookUrlField } from './schemas';
import type { ResponseSpec } from './route-spec';

/** The webhook routes' schemas and specs; listed in apiRoutes (routes.ts) like every other route. */

const dateTime = z.string().meta({ format: 'date-time' });
const eventType = z.enum(WEBHOOK_EVENT_TYPES);
const endpointId = z
  .string()
  .regex(/^ep_[0-9a-f]{32}$/)
  .describe('The id POST /webhooks returned.');

export const createWebhookBodySchema = z.strictObject({
  url: webhookUrlField.describe('Where to POST the events: http(s), resolving to public addresses only.'),
  events: z.array(eventType).min(1).max(WEBHOOK_EVENT_TYPES.length).describe('The event types to receive.'),
  description: z.string().max(200).optional(),
});
requestComponents.add(createWebhookBodySchema, { id: 'CreateWebhook' });

export const webhookParamsSchema = z.object({ webhook_id: endpointId });

const endpointFields = {
  webhook_id: endpointId,
  url: z.string(),
  events: z.array(eventType),
  description: z.string().optional(),
  created_at: dateTime,
};

export const webhookEndpointSchema = z.object(endpointFields);
responseComponents.add(webhookEndpointSchema, { id: 'WebhookEndpoint' });

export const createdWebhookSchema = z.object({
  ...endpointFields,
  secret: z
    .string()
    .describe(
      'The signing secret, `whsec_` + base64; shown only in this answer. Verify with `new Webhook(secret).verify(body, headers)`.',
    ),
});
responseComponents.add(createdWebhookSchema, { id: 'CreatedWebhook' });

export const webhookListSchema = z.object({ webhooks: z.array(webhookEndpointSchema) });
responseComponents.add(webhookListSchema, { id: 'WebhookList' });

export const webhookSecretSchema = z.object({
  secret: z.string().describe('`whsec_…`: signs deliveries to the `webhook_url` of this key’s jobs.'),
});
responseComponents.add(webhookSecretSchema, { id: 'WebhookSecret' });

const attemptSchema = z.object({
  at: dateTime,
  duration_ms: z.number().int().min(0),
  status_code: z.number().int().optional().describe('The receiver’s HTTP status; absent when none came.'),
  error: z.string().optional().describe('Why no status came (timeout, refused address, connection error).'),
});

export const jobWebhookDeliveriesSchema = z.object({
  deliveries: z.array(
    z.object({
      webhook_id: z.string().describe('The `webhook-id` header: the same on every attempt of this delivery.'),
      event_type: eventType,
      url: z.string(),
      endpoint_id: z.string().optional().describe('Absent for the job’s own `webhook_url`.'),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.array(attemptSchema),
      next_attempt_at: dateTime.optional(),
      delivered_at: dateTime.optional(),
      created_at: dateTime,
    }),
  ),
});
responseComponents.add(jobWebhookDeliveriesSchema, { id: 'JobWebhookDeliveries' });

/**
 * The webhook routes; routes.ts passes its errorResponses (a function, not an
 * import, so the two modules do not import each other).
 */
export function webhookRouteSpecs(
  errorResponses: (...entries: (number | [number, string])[]) => Record<number, ResponseSpec>,
): readonly RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/webhooks',
      operationId: 'createWebhook',
      summary: 'Register a webhook endpoint for this API key',
      description:
        'Every job of this key sends the chosen events to the URL, signed per Standard Webhooks with the secret in ' +
        'this answer (shown once). job.progress is sent at most once per WEBHOOK_PROGRESS_INTERVAL_SECONDS per job.',
      tags: ['webhooks'],
      access: 'apiKey',
      body: { json: createWebhookBodySchema },
      responses: {
        201: { description: 'Registered; keep the secret.', json: createdWebhookSchema },
        ...errorResponses(
          [400, 'VALIDATION_FAILED, or WEBHOOK_URL_REFUSED: not http(s), does not resolve, or not a public address.'],
          [409, 'WEBHOOK_ENDPOINT_LIMIT: the key has WEBHOOK_MAX_ENDPOINTS_PER_KEY endpoints.'],
          413,
          415,
          503,
        ),
      },
    },
    {
      method: 'get',
      path: '/webhooks',
      operationId: 'listWebhooks',
      summary: 'This API key’s webhook endpoints (without secrets)',
      tags: ['webhooks'],
      access: 'apiKey',
      responses: {
        200: { description: 'The endpoints, oldest first.', json: webhookListSchema },
        ...errorResponses(503),
      },
    },
    {
      method: 'get',
      path: '/webhooks/secret',
      operationId: 'getWebhookSecret',
      summary: 'The secret that signs deliveries to jobs’ own webhook_url',
      tags: ['webhooks'],
      access: 'apiKey',
      responses: {
        200: { description: 'The key’s secret (created on first use).', json: webhookSecretSchema },
        ...errorResponses(503),
      },
    },
    {
      method: 'delete',
      path: '/webhooks/:webhook_id',
      operationId: 'deleteWebhook',
      summary: 'Remove a webhook endpoint',
      description: 'Deliveries already recorded for it are still attempted.',
      tags: ['webhooks'],
      access: 'apiKey',
      params: webhookParamsSchema,
      responses: {
        204: { description: 'Removed.' },
        ...errorResponses([404, 'WEBHOOK_NOT_FOUND: no such endpoint for this key.'], 503),
      },
    },
    {
      method: 'get',
      path: '/jobs/:job_id/webhooks',
      operationId: 'listJobWebhooks',
      summary: 'A job’s webhook deliveries with every attempt',
      tags: ['webhooks'],
      access: 'apiKey',
      params: jobIdParamsSchema,
      responses: {
        200: { description: 'Oldest first.', json: jobWebhookDeliveriesSchema },
        ...errorResponses(400, [404, 'JOB_NOT_FOUND: no such job, or another key’s.'], 503),
      },
    },
  ];
}
