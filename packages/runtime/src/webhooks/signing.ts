import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three Standard Webhooks headers of one attempt. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  /** Seconds since the epoch of this attempt, which the signature covers (receivers refuse stale ones). */
  'webhook-timestamp': string;
  /** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
  'webhook-signature': string;
}

/**
 * Signs one attempt of a delivery as the Standard Webhooks specification
 * says, with the `standardwebhooks` library (so receivers verify with
 * `new Webhook(secret).verify(body, headers)`). The id stays the same on
 * every attempt; the timestamp is the attempt's own.
 *
 * @param secret `whsec_…` (base64 after the prefix).
 * @param body The exact bytes sent.
 */
export function signWebhook(secret: string, id: string, at: Date, body: string): WebhookSignatureHeaders {
  const seconds = Math.floor(at.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    // The library signs whole seconds of the Date it is given; give it exactly the header's second.
    'webhook-signature': new Webhook(secret).sign(id, new Date(seconds * 1000), body),
  };
}
