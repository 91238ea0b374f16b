import { AppError } from '@mediaflow/domain';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Takes `webhook_url` out of a POST /process body, so the operation's strict
 * schema sees only its own fields; the caller checks the URL (SSRF policy).
 *
 * @returns The body without it, and the URL when one was given.
 * @throws AppError VALIDATION_FAILED when `webhook_url` is not a string.
 */
export function takeWebhookUrl(body: unknown): { body: unknown; webhookUrl?: string } {
  if (!isRecord(body) || !('webhook_url' in body)) return { body };
  const { webhook_url: webhookUrl, ...rest } = body;
  if (webhookUrl === undefined || webhookUrl === null) return { body: rest };
  if (typeof webhookUrl !== 'string') {
    throw new AppError('VALIDATION_FAILED', 'webhook_url must be a string (an http or https URL)', {
      details: [{ path: 'webhook_url', message: 'expected a string' }],
    });
  }
  return { body: rest, webhookUrl };
}
