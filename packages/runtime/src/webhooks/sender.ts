import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { errorMessage } from '@mediaflow/domain';
import type { WebhookAttempt } from '@mediaflow/repository';
import { hostOf, parseWebhookUrl, pinnedLookup, resolveChecked, systemResolver } from './ssrf';
import type { Resolver, WebhookAddressPolicy } from './ssrf';

export interface SendOptions {
  policy: WebhookAddressPolicy;
  /** The whole attempt's deadline: connect, send, status line and the (bounded) body. */
  timeoutMs: number;
  /** Tests substitute DNS; the system resolver by default. */
  resolve?: Resolver;
}

/** How much of a response body is read (and thrown away) before the socket is closed. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const USER_AGENT = 'mediaflow-webhooks/1';

/**
 * POSTs one attempt of a delivery. The connection goes only to an address
 * the policy allows, resolved once and pinned (pinnedLookup; an IP literal
 * is checked as is); redirects are not followed (a 3xx is a failed attempt,
 * as the redirect could point anywhere); at most 64 KiB of the response is
 * read; the attempt is abandoned after `timeoutMs`. Never throws: every
 * failure is an attempt without a status code and with an `error`.
 *
 * @param headers The signature headers (see signWebhook); content type and user agent are added.
 */
export async function sendWebhook(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  options: SendOptions,
): Promise<WebhookAttempt> {
  const started = new Date();
  const elapsed = (): number => Date.now() - started.getTime();
  try {
    const url = parseWebhookUrl(rawUrl);
    const host = hostOf(url);
    // Node skips `lookup` for IP literals, so check those here.
    if (net.isIP(host) !== 0) await resolveChecked(host, options.policy);
    const statusCode = await post(url, headers, body, options);
    return { at: started.toISOString(), duration_ms: elapsed(), status_code: statusCode };
  } catch (error) {
    return { at: started.toISOString(), duration_ms: elapsed(), error: errorMessage(error).slice(0, 500) };
  }
}

async function post(url: URL, headers: Record<string, string>, body: string, options: SendOptions): Promise<number> {
  const payload = Buffer.from(body, 'utf8');
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        // A fresh connection per attempt: a pooled socket would skip the pinned lookup.
        agent: false,
        lookup: pinnedLookup(options.policy, options.resolve ?? systemResolver),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(payload.length),
          'user-agent': USER_AGENT,
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          // Enough: only the status matters, and a receiver must not keep us reading.
          if (read > MAX_RESPONSE_BYTES) {
            response.destroy();
            resolve(status);
          }
        });
        response.on('end', () => resolve(status));
        response.on('error', () => resolve(status));
        response.on('close', () => resolve(status));
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`no response within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    request.on('error', (error) => reject(error));
    request.on('close', () => clearTimeout(timer));
    request.end(payload);
  });
}
